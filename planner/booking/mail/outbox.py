"""The outbox: e-mails are queued in the same transaction as the change they announce.

A background sender (``sender.py``) claims due messages, sends them and retries failures with a
growing delay; reminders are queued once each (``dedupe_key``) when their time comes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from planner.booking.mail.compose import ICS_METHOD, Offer, compose
from planner.booking.mail.ics import appointment_ics
from planner.booking.manage_links import Links
from planner.booking.views import AppointmentView, appointment_view
from planner.models import ACTIVE_STATUSES, Appointment, MailMessage, Patient, Slot

MAX_ATTEMPTS = 8
CLAIM_SECONDS = 120
REMINDERS = (("reminder_48h", dt.timedelta(hours=48)), ("reminder_2h", dt.timedelta(hours=2)))


def retry_delay(attempts: int) -> dt.timedelta:
    """Wait before the next attempt: 30 s, 1 min, 2 min… capped at one hour."""
    return dt.timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


def enqueue(db: Session, kind: str, view: AppointmentView, links: Links, now: dt.datetime,
            dedupe_key: str | None = None,
            offer: Offer | None = None) -> MailMessage | None:
    """Queue a ``kind`` e-mail about ``view`` (nothing when the patient gave no e-mail address)."""
    if not view.patient.email:
        return None
    manage_url = links.manage_url(view.id)
    subject, body = compose(kind, view, manage_url, book_url=f"{links.base_url.rstrip('/')}/book",
                            offer=offer)
    method = ICS_METHOD.get(kind)
    message = MailMessage(
        kind=kind, to_address=view.patient.email, subject=subject, body=body,
        ics=appointment_ics(view, method, manage_url, now) if method else None,
        appointment_id=view.id, dedupe_key=dedupe_key, next_attempt_at=now, created_at=now,
    )
    db.add(message)
    return message


def _due(db: Session, now: dt.datetime, before: dt.timedelta) -> list[tuple[int, int]]:
    """Active appointments starting within ``before`` that were booked earlier than that."""
    rows = db.execute(
        select(Appointment.id, Appointment.revision, Appointment.created_at, Slot.starts_at)
        .join(Slot, Slot.id == Appointment.slot_id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .where(col(Appointment.status).in_([s.value for s in ACTIVE_STATUSES]),
               col(Patient.email).is_not(None),
               Slot.starts_at > now, Slot.starts_at <= now + before)
    ).all()
    return [(r.id, r.revision) for r in rows if r.created_at < r.starts_at - before]


def queue_due_reminders(db: Session, links: Links, now: dt.datetime) -> int:
    """Queue the 48 h and 2 h reminders that are due (once per appointment time)."""
    queued = 0
    for kind, before in REMINDERS:
        for appointment_id, revision in _due(db, now, before):
            key = f"{kind}:{appointment_id}:{revision}"
            if db.execute(select(MailMessage.id).where(MailMessage.dedupe_key == key)).first():
                continue
            try:
                with db.begin_nested():
                    enqueue(db, kind, appointment_view(db, appointment_id), links, now, dedupe_key=key)
                queued += 1
            except IntegrityError:
                continue  # another worker queued it first
    return queued


def claim_due(db: Session, now: dt.datetime, limit: int = 20) -> list[MailMessage]:
    """Claim up to ``limit`` due messages for this sender (others skip them while claimed)."""
    candidates = db.execute(
        select(MailMessage.id).where(
            MailMessage.status == "pending", MailMessage.next_attempt_at <= now,
            or_(col(MailMessage.claimed_until).is_(None), MailMessage.claimed_until < now))
        .order_by(MailMessage.next_attempt_at, MailMessage.id).limit(limit)
    ).scalars().all()
    claimed = []
    for message_id in candidates:
        result = db.execute(
            update(MailMessage).where(and_(
                MailMessage.id == message_id, MailMessage.status == "pending",
                or_(col(MailMessage.claimed_until).is_(None), MailMessage.claimed_until < now)))
            .values(claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS)))
        if result.rowcount == 1:
            claimed.append(db.get(MailMessage, message_id))
    return [m for m in claimed if m is not None]


def record_result(db: Session, message_id: int, now: dt.datetime, error: str | None) -> None:
    """Mark a message sent, or schedule its retry (failed for good after ``MAX_ATTEMPTS``)."""
    message = db.get(MailMessage, message_id)
    if message is None:
        return
    message.attempts += 1
    message.claimed_until = None
    if error is None:
        message.status, message.sent_at, message.last_error = "sent", now, ""
    else:
        message.last_error = error[:500]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = "failed"
        else:
            message.next_attempt_at = now + retry_delay(message.attempts)
    db.add(message)
