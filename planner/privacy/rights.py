"""A patient's request to erase their data, end to end.

Future appointments are cancelled first (their slots go back to the waitlist), then the patient is
pseudonymised, e-mails still waiting to be sent to them are dropped, and the request is audited.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from planner import audit
from planner.booking import booking as booking_service
from planner.booking.errors import NotActive, TooLateToChange
from planner.booking.manage_links import Links
from planner.models import Appointment, AppointmentStatus, MailMessage, Slot
from planner.privacy.patient_data import erase_patient


def future_appointments(engine: Engine, patient_id: int, now: dt.datetime) -> list[int]:
    """Ids of the patient's booked appointments that have not started."""
    with Session(engine) as db:
        return list(db.exec(
            select(Appointment.id).join(Slot, col(Slot.id) == col(Appointment.slot_id))
            .where(Appointment.patient_id == patient_id,
                   Appointment.status == AppointmentStatus.BOOKED, col(Slot.starts_at) > now)))


def erase_on_request(engine: Engine, patient_id: int, *, links: Links, now: dt.datetime,
                     actor: str, role: str = "patient", request_id: str = "") -> list[int]:
    """Cancel the patient's future appointments, then pseudonymise them; returns the cancelled ids."""
    cancelled = []
    for appointment_id in future_appointments(engine, patient_id, now):
        try:
            booking_service.cancel(engine, appointment_id, links=links, now=now, by_staff=True)
            cancelled.append(appointment_id)
        except (NotActive, TooLateToChange):
            continue
    with Session(engine) as db:
        appointment_ids = list(db.exec(select(Appointment.id).where(
            Appointment.patient_id == patient_id)))
        erase_patient(db, patient_id)
        db.execute(update(MailMessage)
                   .where(col(MailMessage.appointment_id).in_(appointment_ids),
                          col(MailMessage.status) == "pending")
                   .values(status="dropped", last_error="patient data erased"))
        db.commit()
    audit.record(engine, actor=actor, role=role, action="patient.erase", object_type="patient",
                 object_id=patient_id, request_id=request_id)
    return cancelled
