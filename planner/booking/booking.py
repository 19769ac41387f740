"""Book, cancel and move appointments.

"One active appointment per slot" is the database's partial unique index: two patients racing
for a slot both try to insert, and the database refuses the second (on SQLite, writers also queue
behind ``BEGIN IMMEDIATE``). Python checks only the rules a database cannot know (notice,
horizon, release time). An idempotency key makes a retried request return the first booking.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from planner.booking.availability import unbookable_reason
from planner.booking.errors import (
    IdempotencyConflict,
    NotActive,
    NotFound,
    SlotUnavailable,
    TooLateToChange,
)
from planner.booking.identity import PatientDetails
from planner.booking.mail.outbox import enqueue
from planner.booking.manage_links import Links
from planner.booking.transactions import write_transaction
from planner.booking.views import AppointmentView, appointment_view
from planner.models import Appointment, AppointmentStatus, Motif, Patient, Slot
from planner.models.types import utcnow


@dataclass(frozen=True)
class BookingResult:
    """A booked appointment; ``replayed`` when an earlier request with the same key made it."""

    view: AppointmentView
    replayed: bool = False


def _replay(db: Session, idempotency_key: str, slot_id: int) -> BookingResult | None:
    found = db.execute(select(Appointment.id, Appointment.slot_id)
                       .where(Appointment.idempotency_key == idempotency_key)).first()
    if found is None:
        return None
    if found.slot_id != slot_id:
        raise IdempotencyConflict(idempotency_key)
    return BookingResult(appointment_view(db, found.id), replayed=True)


def _bookable_slot(db: Session, slot_id: int, now: dt.datetime) -> tuple[Slot, Motif]:
    slot = db.get(Slot, slot_id)
    if slot is None:
        raise NotFound(f"slot {slot_id}")
    motif = db.get(Motif, slot.motif_id)
    assert motif is not None
    reason = unbookable_reason(slot, motif, now)
    if reason is not None or not motif.active:
        raise SlotUnavailable(reason or "inactive")
    return slot, motif


def book(engine: Engine, *, slot_id: int, patient: PatientDetails, links: Links,
         idempotency_key: str | None = None, reason: str = "", locale: str = "fr",
         booked_by: int | None = None, now: dt.datetime | None = None) -> BookingResult:
    """Book ``slot_id`` for a guest patient.

    ``booked_by`` is the staff account acting for the patient (assisted booking at a pharmacy
    counter); ``None`` when patients book for themselves.
    Raises :class:`SlotUnavailable` when the slot is taken or not bookable.
    """
    now = now or utcnow()
    try:
        with write_transaction(engine) as db:
            if idempotency_key:
                replay = _replay(db, idempotency_key, slot_id)
                if replay is not None:
                    return replay
            slot, motif = _bookable_slot(db, slot_id, now)
            person = Patient(given_name=patient.given_name, family_name=patient.family_name,
                             birth_date=patient.birth_date, email=patient.email, phone=patient.phone,
                             created_at=now)
            db.add(person)
            db.flush()
            appointment = Appointment(slot_id=slot.id, patient_id=person.id, motif_id=motif.id,
                                      reason=reason, idempotency_key=idempotency_key,
                                      booked_by=booked_by, locale=locale, created_at=now)
            db.add(appointment)
            db.flush()  # the partial unique index refuses a second active appointment here
            view = appointment_view(db, appointment.id)
            enqueue(db, "confirmation", view, links, now)
            return BookingResult(view)
    except IntegrityError:
        if idempotency_key:
            with Session(engine) as db:
                replay = _replay(db, idempotency_key, slot_id)
                if replay is not None:
                    return replay
        raise SlotUnavailable("taken") from None


def _changeable(db: Session, appointment_id: int, now: dt.datetime,
                enforce_cutoff: bool = True) -> tuple[Appointment, AppointmentView]:
    appointment = db.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound(f"appointment {appointment_id}")
    view = appointment_view(db, appointment_id)
    if appointment.status != AppointmentStatus.BOOKED:
        raise NotActive(str(appointment.status))
    if enforce_cutoff and not view.can_change(now):
        raise TooLateToChange(view.change_deadline.isoformat())
    return appointment, view


def cancel(engine: Engine, appointment_id: int, *, links: Links,
           now: dt.datetime | None = None, by_staff: bool = False) -> AppointmentView:
    """Cancel an appointment; the freed slot goes to the waitlist.

    Patients may cancel until the motif's cut-off; staff acting for a patient (``by_staff``) may
    cancel until the appointment starts.
    """
    from planner.booking.waitlist import close_entries, offer_freed_slot

    now = now or utcnow()
    with write_transaction(engine) as db:
        appointment, view = _changeable(db, appointment_id, now, enforce_cutoff=not by_staff)
        if by_staff and view.starts_at <= now:
            raise TooLateToChange(view.starts_at.isoformat())
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancelled_at = now
        appointment.revision += 1
        db.add(appointment)
        db.flush()
        view = appointment_view(db, appointment_id)
        enqueue(db, "cancellation", view, links, now)
        close_entries(db, appointment_id)
        offer_freed_slot(db, appointment.slot_id, links, now)
        return view


def move_in_transaction(db: Session, appointment: Appointment, slot_id: int, links: Links,
                        now: dt.datetime) -> AppointmentView:
    """Move ``appointment`` to a free slot of the same motif (caller handles IntegrityError)."""
    from planner.booking.waitlist import offer_freed_slot

    slot, motif = _bookable_slot(db, slot_id, now)
    if motif.id != appointment.motif_id:
        raise SlotUnavailable("other_motif")
    old_slot_id = appointment.slot_id
    if old_slot_id == slot.id:
        raise SlotUnavailable("same_slot")
    appointment.slot_id = slot.id
    appointment.revision += 1
    db.add(appointment)
    db.flush()  # the partial unique index refuses the move if the new slot was taken meanwhile
    view = appointment_view(db, appointment.id)
    enqueue(db, "change", view, links, now)
    offer_freed_slot(db, old_slot_id, links, now)
    return view


def move(engine: Engine, appointment_id: int, slot_id: int, *, links: Links,
         now: dt.datetime | None = None) -> AppointmentView:
    """Move an appointment to another free slot of the same motif (before the cut-off)."""
    now = now or utcnow()
    try:
        with write_transaction(engine) as db:
            appointment, _view = _changeable(db, appointment_id, now)
            return move_in_transaction(db, appointment, slot_id, links, now)
    except IntegrityError:
        raise SlotUnavailable("taken") from None
