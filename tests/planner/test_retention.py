"""Retention pseudonymises patients who have not come for longer than the configured period."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from planner import audit
from planner.database import session_scope
from planner.models import Appointment, AuditEvent, ConsultationSession, Motif, Patient, Slot
from planner.privacy.retention import apply_retention


def _patient(engine: Engine, name: str, visit: dt.datetime | None) -> int:
    with session_scope(engine) as session:
        patient = Patient(given_name=name, family_name="Test", birth_date=dt.date(1980, 1, 1),
                          email=f"{name}@example.org",
                          created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        session.add(patient)
        session.flush()
        if visit is not None:
            consultation = session.exec(select(ConsultationSession).limit(1)).one()
            motif = session.exec(select(Motif).where(Motif.code == "mg-consult")).one()
            slot = Slot(session_id=consultation.id, staff_id=consultation.staff_id,
                        motif_id=motif.id, mode=motif.mode, starts_at=visit,
                        ends_at=visit + dt.timedelta(minutes=20))
            session.add(slot)
            session.flush()
            session.add(Appointment(slot_id=slot.id, patient_id=patient.id, motif_id=motif.id))
        return patient.id


def test_only_patients_inactive_beyond_the_period_are_erased(demo_engine: Engine) -> None:
    now = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    old = _patient(demo_engine, "ancien", now - dt.timedelta(days=800))
    recent = _patient(demo_engine, "recent", now - dt.timedelta(days=100))
    never = _patient(demo_engine, "jamais", None)  # created in 2020, never came
    assert sorted(apply_retention(demo_engine, now, 730, dry_run=True)) == sorted([old, never])
    assert sorted(apply_retention(demo_engine, now, 730)) == sorted([old, never])
    with Session(demo_engine) as session:
        assert session.get(Patient, old).email is None
        assert session.get(Patient, recent).email == "recent@example.org"
        erased = session.exec(select(AuditEvent).where(AuditEvent.action == "patient.erase")).all()
        assert sorted(int(event.object_id) for event in erased) == sorted([old, never])
        assert audit.verify_chain(session).intact
    assert apply_retention(demo_engine, now, 730) == []  # already done
    assert apply_retention(demo_engine, now, 0) == []  # 0 = retention off
