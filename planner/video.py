"""What video consultations need from the database: the appointment, its people, attendance.

The web layer reads a :class:`VideoAppointment` to open a consultation room and to decide who may
join it; it never sees the reason for the visit. :func:`mark_attended` is called when the
clinician ends the call. This module knows nothing about rooms, tokens or WebRTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from planner import audit
from planner.models import (
    Appointment,
    AppointmentStatus,
    Mode,
    Motif,
    Patient,
    Role,
    Site,
    Slot,
    StaffMember,
    UserAccount,
)
from planner.models.types import utcnow


@dataclass(frozen=True)
class VideoAppointment:
    """A video appointment as the consultation room sees it (no reason for the visit).

    Attributes:
        id: The appointment id (also the room id).
        starts_at: Start, aware UTC.
        ends_at: End, aware UTC.
        staff_id: The clinician who holds it.
        patient_id: The patient.
        clinician_name: e.g. "Dr Claire Morel".
        patient_name: e.g. "Jeanne Martin".
        motif_name: The motif in French; ``motif_name_en`` in English (may be empty).
        status: The appointment's status.
        booked_by_pharmacist: Booked at a pharmacy counter (that pharmacist may assist).
        booked_by: The account that booked it (staff booking on the patient's behalf), if any.
        timezone: The site's IANA time zone (pages show local time).
    """

    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    staff_id: int
    patient_id: int
    clinician_name: str
    patient_name: str
    motif_name: str
    motif_name_en: str
    status: AppointmentStatus
    booked_by_pharmacist: bool
    timezone: str = "Europe/Paris"
    booked_by: int | None = None

    @property
    def cancelled(self) -> bool:
        """Whether the appointment was cancelled (the room refuses everybody)."""
        return self.status is AppointmentStatus.CANCELLED


def _patient_name(patient: Patient) -> str:
    return f"{patient.given_name} {patient.family_name}".strip()


def video_appointment(db: Session, appointment_id: int) -> VideoAppointment | None:
    """The video appointment ``appointment_id``; ``None`` if unknown or not a video motif."""
    row = db.exec(
        select(Appointment, Slot, Motif, StaffMember, Patient, Site)
        .join(Slot, col(Slot.id) == Appointment.slot_id)
        .join(Motif, col(Motif.id) == Appointment.motif_id)
        .join(StaffMember, col(StaffMember.id) == Slot.staff_id)
        .join(Patient, col(Patient.id) == Appointment.patient_id)
        .join(Site, col(Site.id) == StaffMember.site_id)
        .where(Appointment.id == appointment_id)
    ).first()
    if row is None:
        return None
    appointment, slot, motif, staff, patient, site = row
    if Mode(motif.mode) is not Mode.VIDEO and Mode(slot.mode) is not Mode.VIDEO:
        return None
    by_pharmacist = False
    if appointment.booked_by is not None:
        booker = db.get(UserAccount, appointment.booked_by)
        by_pharmacist = booker is not None and Role(booker.role) is Role.PHARMACIST
    assert appointment.id is not None and staff.id is not None
    return VideoAppointment(
        id=appointment.id, starts_at=slot.starts_at, ends_at=slot.ends_at, staff_id=staff.id,
        patient_id=appointment.patient_id, clinician_name=staff.display_name,
        patient_name=_patient_name(patient), motif_name=motif.name, motif_name_en=motif.name_en,
        status=AppointmentStatus(appointment.status), booked_by_pharmacist=by_pharmacist,
        timezone=site.timezone, booked_by=appointment.booked_by,
    )


def video_appointments_of(db: Session, staff_id: int, since: dt.datetime,
                          until: dt.datetime) -> list[VideoAppointment]:
    """The clinician's video appointments (cancelled ones left out) starting in ``[since, until)``."""
    ids = db.exec(
        select(Appointment.id)
        .join(Slot, col(Slot.id) == Appointment.slot_id)
        .join(Motif, col(Motif.id) == Appointment.motif_id)
        .where(Slot.staff_id == staff_id, col(Slot.starts_at) >= since, col(Slot.starts_at) < until,
               Appointment.status != AppointmentStatus.CANCELLED,
               (Motif.mode == Mode.VIDEO) | (Slot.mode == Mode.VIDEO))
        .order_by(col(Slot.starts_at))
    ).all()
    found = [video_appointment(db, appointment_id) for appointment_id in ids if appointment_id]
    return [item for item in found if item is not None]


def staff_zone(db: Session, staff_id: int) -> str:
    """The IANA time zone of the clinician's site."""
    zone = db.exec(select(Site.timezone).join(StaffMember, col(StaffMember.site_id) == Site.id)
                   .where(StaffMember.id == staff_id)).first()
    return zone or "Europe/Paris"


def mark_attended(db: Session, appointment_id: int, *, actor: str = "", role: str = "",
                  request_id: str = "") -> bool:
    """The clinician ended the video consultation: the appointment is attended.

    Only a ``booked`` appointment changes; the change is written to the audit trail.

    Returns:
        Whether the status changed.
    """
    appointment = db.get(Appointment, appointment_id)
    if appointment is None or AppointmentStatus(appointment.status) is not AppointmentStatus.BOOKED:
        return False
    appointment.status = AppointmentStatus.ATTENDED
    appointment.revision += 1
    db.add(appointment)
    db.commit()
    engine = db.get_bind()
    audit.record(engine, actor=actor or "video", role=role, action="video_consultation_ended",  # type: ignore[arg-type]
                 object_type="appointment", object_id=appointment_id, outcome="ok",
                 request_id=request_id)
    return True


__all__ = ["VideoAppointment", "video_appointment", "video_appointments_of", "staff_zone",
           "mark_attended", "utcnow"]
