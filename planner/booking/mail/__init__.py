"""E-mails to patients: composition (texts, .ics), the outbox, and the SMTP sender.

No e-mail ever names the reason for the visit, nor the appointment type: only the time, the
clinician, the place (or "video") and the links.
"""
