"""The centre's agenda for the front desk (secretary, pharmacist): every clinician's appointments.

The rows carry the patient's name and contact but never the reason for the visit: the front desk
does not need it, so it is not even read from the database here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from planner.models import (
    Appointment,
    AppointmentStatus,
    Mode,
    Motif,
    Patient,
    Slot,
    StaffMember,
)


@dataclass(frozen=True)
class AgendaRow:
    """One appointment as the front desk sees it."""

    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    staff_id: int
    clinician: str
    clinician_family: str
    patient_name: str
    birth_date: dt.date
    email: str | None
    phone: str | None
    motif_name: str
    motif_name_en: str
    mode: Mode
    status: AppointmentStatus
    booked_by: int | None
    patient_id: int = 0


def agenda(db: Session, site_id: int, since: dt.datetime, until: dt.datetime, *,
           include_cancelled: bool = True, booked_by: int | None = None,
           mode: Mode | None = None) -> list[AgendaRow]:
    """Appointments of every clinician of ``site_id`` starting in ``[since, until)``, by time."""
    query = (select(Appointment.id, Appointment.status, Appointment.booked_by, Appointment.patient_id,
                    Slot.starts_at,
                    Slot.ends_at, Slot.mode, StaffMember.id.label("staff_id"),  # type: ignore[union-attr]
                    StaffMember.title, StaffMember.given_name.label("staff_given"),  # type: ignore[attr-defined]
                    StaffMember.family_name.label("staff_family"),  # type: ignore[attr-defined]
                    Patient.given_name, Patient.family_name, Patient.birth_date, Patient.email,
                    Patient.phone, Motif.name, Motif.name_en)
             .join(Slot, col(Slot.id) == Appointment.slot_id)
             .join(StaffMember, col(StaffMember.id) == Slot.staff_id)
             .join(Patient, col(Patient.id) == Appointment.patient_id)
             .join(Motif, col(Motif.id) == Appointment.motif_id)
             .where(StaffMember.site_id == site_id, col(Slot.starts_at) >= since,
                    col(Slot.starts_at) < until)
             .order_by(col(Slot.starts_at), col(StaffMember.family_name)))
    if not include_cancelled:
        query = query.where(Appointment.status != AppointmentStatus.CANCELLED)
    if booked_by is not None:
        query = query.where(Appointment.booked_by == booked_by)
    if mode is not None:
        query = query.where(Slot.mode == mode)
    rows = []
    for r in db.exec(query).all():
        title = f"{r.title} " if r.title else ""
        rows.append(AgendaRow(
            id=r.id, starts_at=r.starts_at, ends_at=r.ends_at, staff_id=r.staff_id,
            clinician=f"{title}{r.staff_given} {r.staff_family}", clinician_family=r.staff_family,
            patient_name=f"{r.given_name} {r.family_name}", birth_date=r.birth_date, email=r.email,
            phone=r.phone, motif_name=r.name, motif_name_en=r.name_en, mode=Mode(r.mode),
            status=AppointmentStatus(r.status), booked_by=r.booked_by, patient_id=r.patient_id))
    return rows


def appointment_site(db: Session, appointment_id: int) -> int | None:
    """The site of an appointment (through its clinician), or ``None`` if there is no such one."""
    if not 0 < appointment_id <= 2**63 - 1:
        return None
    return db.exec(select(StaffMember.site_id).join(Slot, col(Slot.staff_id) == StaffMember.id)
                   .join(Appointment, col(Appointment.slot_id) == Slot.id)
                   .where(Appointment.id == appointment_id)).first()
