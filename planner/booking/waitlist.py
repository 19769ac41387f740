"""The waitlist: patients with an appointment who would take an earlier slot of the same motif.

When a slot is freed, it is offered by e-mail to the first waiting patients in order (those
whose appointment is later than the slot). The first to accept gets it — the database's unique
index settles a tie — and their old slot is in turn offered to the next ones. An offer that is
not taken in time expires; the slot then goes to the next patients in the list.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from planner.booking.availability import active_appointment_exists, unbookable_reason
from planner.booking.errors import NotActive, NotFound, OfferUnavailable, SlotUnavailable
from planner.booking.mail.compose import Offer
from planner.booking.mail.outbox import enqueue
from planner.booking.manage_links import Links
from planner.booking.transactions import write_transaction
from planner.booking.views import AppointmentView, appointment_view
from planner.models import (
    Appointment,
    AppointmentStatus,
    Motif,
    Patient,
    Slot,
    StaffMember,
    WaitlistEntry,
    WaitlistStatus,
)
from planner.models.types import utcnow

#: How many waiting patients receive the same offer, and for how long it holds.
OFFER_BATCH = 3
OFFER_MINUTES = 30
_OPEN = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


def open_entry(db: Session, appointment_id: int) -> WaitlistEntry | None:
    """The appointment's entry that is still waiting or holds an offer, if any."""
    return db.execute(select(WaitlistEntry).where(
        WaitlistEntry.appointment_id == appointment_id,
        col(WaitlistEntry.status).in_([s.value for s in _OPEN]))).scalars().first()


def latest_entry(db: Session, appointment_id: int) -> WaitlistEntry | None:
    """The appointment's most recent entry, whatever its status."""
    return db.execute(select(WaitlistEntry).where(WaitlistEntry.appointment_id == appointment_id)
                      .order_by(col(WaitlistEntry.id).desc())).scalars().first()


def join(engine: Engine, appointment_id: int, now: dt.datetime | None = None) -> WaitlistEntry:
    """Put the appointment's patient on the waitlist of its motif (once)."""
    now = now or utcnow()
    with write_transaction(engine) as db:
        appointment = db.get(Appointment, appointment_id)
        if appointment is None:
            raise NotFound(f"appointment {appointment_id}")
        if appointment.status != AppointmentStatus.BOOKED:
            raise NotActive(str(appointment.status))
        entry = open_entry(db, appointment_id)
        if entry is None:
            slot = db.get(Slot, appointment.slot_id)
            entry = WaitlistEntry(patient_id=appointment.patient_id, motif_id=appointment.motif_id,
                                  appointment_id=appointment_id,
                                  wanted_before=slot.starts_at if slot else None, created_at=now)
            db.add(entry)
            db.flush()
        return entry


def close_entries(db: Session, appointment_id: int) -> None:
    """The appointment is cancelled: its waitlist entries end."""
    db.execute(update(WaitlistEntry).where(
        WaitlistEntry.appointment_id == appointment_id,
        col(WaitlistEntry.status).in_([s.value for s in _OPEN]))
        .values(status=WaitlistStatus.CANCELLED.value))


def leave(engine: Engine, appointment_id: int) -> None:
    """Take the appointment off the waitlist."""
    with write_transaction(engine) as db:
        close_entries(db, appointment_id)


def offer_freed_slot(db: Session, slot_id: int, links: Links, now: dt.datetime,
                     skip_entries: frozenset[int] = frozenset()) -> int:
    """Offer a free slot to the first waiting patients whose appointment is later; returns how many."""
    slot = db.get(Slot, slot_id)
    if slot is None:
        return 0
    motif = db.get(Motif, slot.motif_id)
    if motif is None or unbookable_reason(slot, motif, now) is not None:
        return 0
    if db.execute(select(Slot.id).where(Slot.id == slot_id, active_appointment_exists())).first():
        return 0
    current = Slot.__table__.alias("current_slot")
    candidates = db.execute(
        select(WaitlistEntry)
        .join(Appointment, Appointment.id == WaitlistEntry.appointment_id)
        .join(current, current.c.id == Appointment.slot_id)
        .join(Patient, Patient.id == WaitlistEntry.patient_id)
        .where(WaitlistEntry.motif_id == slot.motif_id,
               WaitlistEntry.status == WaitlistStatus.WAITING.value,
               Appointment.status == AppointmentStatus.BOOKED.value,
               current.c.starts_at > slot.starts_at, col(Patient.email).is_not(None),
               col(WaitlistEntry.id).not_in(skip_entries or {0}))
        .order_by(WaitlistEntry.created_at, WaitlistEntry.id)
        .limit(OFFER_BATCH)
    ).scalars().all()
    member = db.get(StaffMember, slot.staff_id)
    clinician = member.display_name if member else ""
    latest = slot.starts_at - dt.timedelta(minutes=motif.min_notice_minutes)
    expires = min(now + dt.timedelta(minutes=OFFER_MINUTES), latest)
    for entry in candidates:
        entry.status = WaitlistStatus.OFFERED
        entry.offered_slot_id = slot.id
        entry.offer_expires_at = expires
        db.add(entry)
        view = appointment_view(db, entry.appointment_id)
        enqueue(db, "waitlist_offer", view, links, now,
                offer=Offer(slot.starts_at, clinician, expires, links.offer_url(entry.id, slot.id)))
    db.flush()
    return len(candidates)


def offer_details(db: Session, entry_id: int, slot_id: int) -> tuple[WaitlistEntry, Slot]:
    """The entry and slot of an offer link, or :class:`NotFound`."""
    entry = db.get(WaitlistEntry, entry_id)
    slot = db.get(Slot, slot_id)
    if entry is None or slot is None:
        raise NotFound(f"offer {entry_id}/{slot_id}")
    return entry, slot


def offer_is_open(entry: WaitlistEntry, slot_id: int, now: dt.datetime) -> bool:
    """Whether the entry still holds this offer."""
    return (entry.status == WaitlistStatus.OFFERED and entry.offered_slot_id == slot_id
            and entry.offer_expires_at is not None and entry.offer_expires_at > now)


def accept_offer(engine: Engine, entry_id: int, slot_id: int, *, links: Links,
                 now: dt.datetime | None = None) -> AppointmentView:
    """Move the patient's appointment to the offered slot, if nobody took it first."""
    from planner.booking.booking import move_in_transaction

    now = now or utcnow()
    try:
        with write_transaction(engine) as db:
            entry, _slot = offer_details(db, entry_id, slot_id)
            if not offer_is_open(entry, slot_id, now):
                raise OfferUnavailable("expired")
            appointment = db.get(Appointment, entry.appointment_id)
            if appointment is None or appointment.status != AppointmentStatus.BOOKED:
                raise OfferUnavailable("no_appointment")
            entry.status = WaitlistStatus.ACCEPTED
            db.add(entry)
            # the others keep their place in the list (and may be offered the slot freed below)
            db.execute(update(WaitlistEntry).where(
                WaitlistEntry.offered_slot_id == slot_id, WaitlistEntry.id != entry_id,
                WaitlistEntry.status == WaitlistStatus.OFFERED.value)
                .values(status=WaitlistStatus.WAITING.value, offered_slot_id=None,
                        offer_expires_at=None))
            db.flush()
            return move_in_transaction(db, appointment, slot_id, links, now)
    except (IntegrityError, SlotUnavailable):
        raise OfferUnavailable("taken") from None


def expire_offers(engine: Engine, links: Links, now: dt.datetime) -> int:
    """End the offers nobody took in time and offer those slots to the next patients."""
    with write_transaction(engine) as db:
        expired = db.execute(select(WaitlistEntry).where(
            WaitlistEntry.status == WaitlistStatus.OFFERED.value,
            col(WaitlistEntry.offer_expires_at) <= now)).scalars().all()
        slots: dict[int, set[int]] = {}
        for entry in expired:
            entry.status = WaitlistStatus.EXPIRED
            db.add(entry)
            if entry.offered_slot_id is not None:
                slots.setdefault(entry.offered_slot_id, set()).add(entry.id)
        db.flush()
        for slot_id, entries in slots.items():
            still_offered = db.execute(select(WaitlistEntry.id).where(
                WaitlistEntry.offered_slot_id == slot_id,
                WaitlistEntry.status == WaitlistStatus.OFFERED.value)).first()
            if still_offered is None:
                offer_freed_slot(db, slot_id, links, now, skip_entries=frozenset(entries))
        return len(expired)
