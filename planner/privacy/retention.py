"""Retention: patients inactive for longer than the configured period are pseudonymised."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from planner import audit
from planner.models import Appointment, Patient, Slot
from planner.privacy.patient_data import ERASED, erase_patient


def inactive_patients(session: Session, now: dt.datetime, days: int) -> list[int]:
    """Ids of patients not yet erased whose last appointment (or record) is older than ``days``."""
    cutoff = now - dt.timedelta(days=days)
    last_visit = (
        select(Appointment.patient_id, func.max(Slot.ends_at).label("last"))
        .join(Slot, col(Slot.id) == col(Appointment.slot_id))
        .group_by(col(Appointment.patient_id))
        .subquery()
    )
    rows = session.exec(
        select(Patient.id, Patient.created_at, last_visit.c.last)
        .join(last_visit, last_visit.c.patient_id == col(Patient.id), isouter=True)
        .where(col(Patient.given_name) != ERASED)
    ).all()
    stale = []
    for patient_id, created_at, last in rows:
        latest = last or created_at
        if latest.tzinfo is None:  # aggregates bypass the column type on SQLite
            latest = latest.replace(tzinfo=dt.UTC)
        if latest < cutoff:
            stale.append(patient_id)
    return stale


def apply_retention(engine: Engine, now: dt.datetime, days: int, *,
                    dry_run: bool = False) -> list[int]:
    """Pseudonymise every inactive patient (one transaction), audit each; returns their ids."""
    if days <= 0:
        return []
    with Session(engine) as session:
        stale = inactive_patients(session, now, days)
        if dry_run or not stale:
            return stale
        for patient_id in stale:
            erase_patient(session, patient_id)
        session.commit()
    for patient_id in stale:
        audit.record(engine, actor="system:retention", role="system", action="patient.erase",
                     object_type="patient", object_id=patient_id)
    return stale
