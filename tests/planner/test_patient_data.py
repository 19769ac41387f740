"""Patients' rights: a full export, and an erasure that leaves no trace of who they were."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from planner import audit
from planner.backup import make_backup
from planner.database import session_scope
from planner.models import (
    Appointment,
    ConsultationSession,
    Motif,
    Patient,
    Slot,
    WaitlistEntry,
)
from planner.privacy.classification import CLASSIFICATION, DataClass
from planner.privacy.patient_data import (
    UnknownPatient,
    erase_patient,
    export_patient,
    linked_tables,
)

#: Tables that hold personal data about staff, not patients (covered by staff processes).
STAFF_PERSONAL_TABLES = {"staffmember", "useraccount", "auditevent", "leave", "staffsession",
                         "signinfailure"}

NAME, EMAIL, PHONE, REASON = "Zéphyrine", "zephyrine.quillard@example.org", "+33 6 12 34 56 78", \
    "douleur thoracique depuis trois jours"


def _patient_with_history(engine: Engine) -> int:
    with session_scope(engine) as session:
        consultation = session.exec(select(ConsultationSession).limit(1)).one()
        motif = session.exec(select(Motif).where(Motif.code == "mg-consult")).one()
        slot = Slot(session_id=consultation.id, staff_id=consultation.staff_id, motif_id=motif.id,
                    room_id=consultation.room_id, mode=motif.mode, starts_at=consultation.starts_at,
                    ends_at=consultation.starts_at + dt.timedelta(minutes=20))
        patient = Patient(given_name=NAME, family_name="Quillard", birth_date=dt.date(1971, 4, 9),
                          email=EMAIL, phone=PHONE)
        session.add_all([slot, patient])
        session.flush()
        appointment = Appointment(slot_id=slot.id, patient_id=patient.id, motif_id=motif.id,
                                  reason=REASON, idempotency_key="k-1")
        session.add(appointment)
        session.flush()
        session.add(WaitlistEntry(patient_id=patient.id, motif_id=motif.id,
                                  appointment_id=appointment.id))
        ids = patient.id, appointment.id
    audit.record(engine, actor="secretary:3", action="appointment.read",
                 object_type="appointment", object_id=ids[1])
    return ids[0]


def test_export_holds_every_record_of_the_patient(demo_engine: Engine) -> None:
    patient_id = _patient_with_history(demo_engine)
    with Session(demo_engine) as session:
        data = export_patient(session, patient_id)
    assert data["patient"]["email"] == EMAIL and data["patient"]["given_name"] == NAME
    assert data["records"]["appointment"][0]["reason"] == REASON
    assert len(data["records"]["waitlistentry"]) == 1
    assert [event["action"] for event in data["access_log"]] == ["appointment.read"]
    with Session(demo_engine) as session, pytest.raises(UnknownPatient):
        export_patient(session, 999_999)


def test_erasure_leaves_no_trace_but_keeps_anonymous_counts(demo_engine: Engine,
                                                            tmp_path: Path) -> None:
    patient_id = _patient_with_history(demo_engine)
    with session_scope(demo_engine) as session:
        changed = erase_patient(session, patient_id)
    assert changed["patient"] == 1 and changed["appointment"] == 1
    backup = make_backup(demo_engine, tmp_path / "after.jsonl.gz").path
    with gzip.open(backup, "rt", encoding="utf-8") as handle:
        everything = handle.read()
    for trace in (NAME, "Quillard", EMAIL, PHONE, REASON, "1971-04-09"):
        assert trace not in everything
    with Session(demo_engine) as session:
        assert len(session.exec(select(Appointment)).all()) == 1  # still counted
        assert session.get(Patient, patient_id).given_name == "erased"


def test_every_table_with_personal_data_is_reached_from_the_patient() -> None:
    reached = {"patient"} | {table.name for table, _, _ in linked_tables()}
    personal = {table for table, columns in CLASSIFICATION.items()
                if any(kind in (DataClass.IDENTIFYING, DataClass.HEALTH) for kind in columns.values())}
    present = {table.name for table in SQLModel.metadata.sorted_tables}
    left_out = (personal & present) - reached - STAFF_PERSONAL_TABLES
    assert not left_out, (f"{sorted(left_out)} hold personal data but no foreign key leads there "
                          "from a patient: export and erasure would miss them")
