"""Booking, cancelling and moving; the database guarantees one active appointment per slot."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from planner.booking.availability import SlotQuery, free_slots
from planner.booking.booking import book, cancel, move
from planner.booking.errors import (
    IdempotencyConflict,
    NotActive,
    SlotUnavailable,
    TooLateToChange,
)
from planner.booking.slots import generate_slots
from planner.models import Appointment, Motif, Slot
from tests.conftest import DEMO_TODAY
from tests.planner.booking.support import JEANNE, LINKS, NOW, patient


def _motif(engine: Engine, code: str) -> Motif:
    with Session(engine) as db:
        return db.exec(select(Motif).where(Motif.code == code)).one()


def _free(engine: Engine, code: str, now: dt.datetime = NOW, **query: object) -> list:
    with Session(engine) as db:
        return free_slots(db, SlotQuery(motif_id=_motif(engine, code).id, **query), now)


def test_a_second_active_appointment_is_refused_by_the_database(demo_engine: Engine) -> None:
    with Session(demo_engine) as db:
        generate_slots(db, DEMO_TODAY, DEMO_TODAY + dt.timedelta(days=1))
        db.commit()
    slot = _free(demo_engine, "mg-consult")[0]
    book(demo_engine, slot_id=slot.id, patient=JEANNE, links=LINKS, now=NOW)
    with pytest.raises(IntegrityError), demo_engine.begin() as connection:
        patient_id = connection.execute(text("SELECT patient_id FROM appointment")).scalar_one()
        connection.execute(text(
            "INSERT INTO appointment (slot_id, patient_id, motif_id, status, reason, created_at, "
            "locale, revision) VALUES (:slot, :patient, :motif, 'booked', '', :now, 'fr', 0)"),
            {"slot": slot.id, "patient": patient_id, "motif": slot.motif_id, "now": NOW.replace(tzinfo=None)})
    with demo_engine.begin() as connection:  # a cancelled one next to it is fine
        connection.execute(text(
            "INSERT INTO appointment (slot_id, patient_id, motif_id, status, reason, created_at, "
            "locale, revision) SELECT slot_id, patient_id, motif_id, 'cancelled', '', created_at, "
            "'fr', 0 FROM appointment"))
    with pytest.raises(SlotUnavailable):
        book(demo_engine, slot_id=slot.id, patient=patient(2), links=LINKS, now=NOW)


def test_booking_is_idempotent_and_a_taken_slot_is_refused(booking_engine: Engine) -> None:
    slot = _free(booking_engine, "mg-consult")[3]
    first = book(booking_engine, slot_id=slot.id, patient=JEANNE, links=LINKS,
                 idempotency_key="click-1", now=NOW)
    again = book(booking_engine, slot_id=slot.id, patient=JEANNE, links=LINKS,
                 idempotency_key="click-1", now=NOW)
    assert again.replayed and again.view.id == first.view.id
    with pytest.raises(SlotUnavailable):
        book(booking_engine, slot_id=slot.id, patient=patient(2), links=LINKS,
             idempotency_key="someone-else", now=NOW)
    with pytest.raises(IdempotencyConflict):
        other = _free(booking_engine, "mg-consult")[0]
        book(booking_engine, slot_id=other.id, patient=JEANNE, links=LINKS,
             idempotency_key="click-1", now=NOW)
    assert slot.id not in {s.id for s in _free(booking_engine, "mg-consult")}
    with Session(booking_engine) as db:
        assert len(db.exec(select(Appointment)).all()) == 1


def test_availability_honours_notice_horizon_and_the_morning_release(booking_engine: Engine) -> None:
    consult = _motif(booking_engine, "mg-consult")
    slots = _free(booking_engine, "mg-consult")
    assert slots[0].starts_at >= NOW + dt.timedelta(minutes=consult.min_notice_minutes)
    assert slots[-1].starts_at <= NOW + dt.timedelta(days=consult.horizon_days)
    # urgent slots: not offered before 07:30 local on their day, and only for today (horizon 1 day)
    early = dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)  # 06:00 in Lyon
    assert _free(booking_engine, "mg-urgence", now=early) == []
    urgent = _free(booking_engine, "mg-urgence", now=NOW + dt.timedelta(minutes=31))
    assert urgent and all(s.local_start(s.starts_at.tzinfo).date() == dt.date(2026, 11, 23)
                          for s in urgent)
    # a clinician filter keeps only their slots; a booked slot disappears
    one = _free(booking_engine, "mg-consult", staff_id=slots[0].staff_id)
    assert {s.staff_id for s in one} == {slots[0].staff_id}
    book(booking_engine, slot_id=one[0].id, patient=JEANNE, links=LINKS, now=NOW)
    assert one[0].id not in {s.id for s in _free(booking_engine, "mg-consult")}


def test_cancel_before_the_cutoff_frees_the_slot_and_after_it_is_refused(booking_engine: Engine) -> None:
    slots = _free(booking_engine, "mg-consult")
    later = book(booking_engine, slot_id=slots[-1].id, patient=JEANNE, links=LINKS, now=NOW).view
    soon = book(booking_engine, slot_id=slots[0].id, patient=patient(2), links=LINKS, now=NOW).view
    with pytest.raises(TooLateToChange):  # cut-off is 4 hours for this motif
        cancel(booking_engine, soon.id, links=LINKS, now=soon.starts_at - dt.timedelta(hours=3))
    cancelled = cancel(booking_engine, later.id, links=LINKS, now=NOW)
    assert not cancelled.active and cancelled.revision == 1
    assert slots[-1].id in {s.id for s in _free(booking_engine, "mg-consult")}
    with pytest.raises(NotActive):
        cancel(booking_engine, later.id, links=LINKS, now=NOW)


def test_move_takes_the_new_slot_and_gives_back_the_old(booking_engine: Engine) -> None:
    slots = _free(booking_engine, "kine-seance")
    view = book(booking_engine, slot_id=slots[-5].id, patient=JEANNE, links=LINKS, now=NOW).view
    moved = move(booking_engine, view.id, slots[-9].id, links=LINKS, now=NOW)
    assert moved.slot_id == slots[-9].id and moved.revision == 1
    free_ids = {s.id for s in _free(booking_engine, "kine-seance")}
    assert slots[-5].id in free_ids and slots[-9].id not in free_ids
    other = book(booking_engine, slot_id=slots[-12].id, patient=patient(2), links=LINKS, now=NOW).view
    with pytest.raises(SlotUnavailable):
        move(booking_engine, view.id, other.slot_id, links=LINKS, now=NOW)


def test_regenerating_slots_keeps_booked_ones_and_lays_the_rest_around_them(booking_engine: Engine) -> None:
    slots = _free(booking_engine, "mg-consult")
    booked = book(booking_engine, slot_id=slots[40].id, patient=JEANNE, links=LINKS, now=NOW).view
    cancelled = book(booking_engine, slot_id=slots[44].id, patient=patient(2), links=LINKS, now=NOW).view
    cancel(booking_engine, cancelled.id, links=LINKS, now=NOW)
    with Session(booking_engine) as db:
        report = generate_slots(db, DEMO_TODAY, DEMO_TODAY + dt.timedelta(days=7))
        db.commit()
    assert report.kept_booked == 1 and report.withdrawn >= 1 and report.created > 100
    with Session(booking_engine) as db:
        kept = db.get(Slot, booked.slot_id)
        assert kept is not None and not kept.withdrawn and kept.starts_at == booked.starts_at
        assert db.get(Appointment, booked.id).slot_id == booked.slot_id
        same_day = db.exec(select(Slot).where(Slot.staff_id == kept.staff_id, Slot.id != kept.id,
                                              Slot.withdrawn == False)).all()  # noqa: E712
        assert all(not (s.starts_at < kept.ends_at and kept.starts_at < s.ends_at) for s in same_day)
        assert db.get(Slot, cancelled.slot_id).withdrawn  # still referenced by the old appointment
