"""Patient booking: slots from sessions, availability, bookings, manage links, waitlist, e-mails.

Modules are imported directly (``from planner.booking.booking import book``); this package
imports nothing so that importing one service does not pull the solver or the mail sender.
"""
