"""What the database itself guarantees: one active appointment per slot, UTC instants, foreign keys."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session, select

from planner.database import session_scope
from planner.models import Appointment, AppointmentStatus, ConsultationSession, Motif, Patient, Slot


def _first_slot(engine: Engine) -> tuple[int, int, int]:
    """Create one slot from the demo's first session; return (slot id, motif id, patient id)."""
    with session_scope(engine) as session:
        consultation = session.exec(select(ConsultationSession).limit(1)).one()
        motif = session.exec(select(Motif).where(Motif.code == "mg-consult")).one()
        slot = Slot(session_id=consultation.id, staff_id=consultation.staff_id, motif_id=motif.id,
                    room_id=consultation.room_id, mode=motif.mode, starts_at=consultation.starts_at,
                    ends_at=consultation.starts_at + dt.timedelta(minutes=20))
        patient = Patient(given_name="Jeanne", family_name="Essai", birth_date=dt.date(1980, 2, 3),
                          email="jeanne@example.org")
        session.add_all([slot, patient])
        session.flush()
        return slot.id, motif.id, patient.id


def _raw_insert(engine: Engine, slot_id: int, motif_id: int, patient_id: int, status: str) -> None:
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO appointment (slot_id, patient_id, motif_id, status, reason, created_at) "
            "VALUES (:slot, :patient, :motif, :status, '', CURRENT_TIMESTAMP)"),
            {"slot": slot_id, "patient": patient_id, "motif": motif_id, "status": status})


def test_a_second_active_appointment_on_a_slot_is_refused_by_the_database(
        demo_engine: Engine) -> None:
    slot_id, motif_id, patient_id = _first_slot(demo_engine)
    _raw_insert(demo_engine, slot_id, motif_id, patient_id, "booked")
    with pytest.raises(IntegrityError):
        _raw_insert(demo_engine, slot_id, motif_id, patient_id, "booked")
    with pytest.raises(IntegrityError):
        _raw_insert(demo_engine, slot_id, motif_id, patient_id, "attended")


def test_cancelled_appointments_do_not_hold_the_slot(demo_engine: Engine) -> None:
    slot_id, motif_id, patient_id = _first_slot(demo_engine)
    _raw_insert(demo_engine, slot_id, motif_id, patient_id, "cancelled")
    _raw_insert(demo_engine, slot_id, motif_id, patient_id, "cancelled")
    _raw_insert(demo_engine, slot_id, motif_id, patient_id, "booked")
    with Session(demo_engine) as session:
        statuses = sorted(a.status for a in session.exec(select(Appointment)))
    assert statuses == [AppointmentStatus.BOOKED, AppointmentStatus.CANCELLED,
                        AppointmentStatus.CANCELLED]


def test_instants_come_back_in_utc_and_naive_ones_are_refused(demo_engine: Engine) -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    with session_scope(demo_engine) as session:
        patient = Patient(given_name="A", family_name="B", birth_date=dt.date(1990, 1, 1),
                          created_at=dt.datetime(2026, 3, 29, 3, 30, tzinfo=paris))
        session.add(patient)
        session.flush()
        patient_id = patient.id
    with Session(demo_engine) as session:
        stored = session.get(Patient, patient_id)
        assert stored.created_at == dt.datetime(2026, 3, 29, 2, 30, tzinfo=dt.UTC)
        assert stored.created_at.utcoffset() == dt.timedelta(0)
    with pytest.raises(StatementError, match="naive datetime"), session_scope(demo_engine) as s:
        s.add(Patient(given_name="A", family_name="B", birth_date=dt.date(1990, 1, 1),
                      created_at=dt.datetime(2026, 1, 1, 12, 0)))


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO room (site_id, name) VALUES (4242, 'Nowhere')"))


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:  # noqa: ANN001
    from planner.database import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
