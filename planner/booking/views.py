"""An appointment as patients see it: local times, clinician, place, and what they may still do."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session

from planner.booking.clock import zone
from planner.booking.errors import NotFound
from planner.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Mode,
    Motif,
    Patient,
    Room,
    Site,
    Slot,
    StaffMember,
)


@dataclass(frozen=True)
class AppointmentView:
    """Everything a page, an API answer or an e-mail shows about one appointment."""

    id: int
    status: AppointmentStatus
    revision: int
    locale: str
    slot_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    timezone: ZoneInfo
    motif: Motif
    clinician: str
    profession: str
    mode: Mode
    room: str | None
    site: Site
    patient: Patient
    created_at: dt.datetime

    @property
    def local_start(self) -> dt.datetime:
        """Start in the site's zone."""
        return self.starts_at.astimezone(self.timezone)

    @property
    def local_end(self) -> dt.datetime:
        """End in the site's zone."""
        return self.ends_at.astimezone(self.timezone)

    @property
    def active(self) -> bool:
        """Whether the appointment still holds its slot."""
        return self.status in ACTIVE_STATUSES

    @property
    def change_deadline(self) -> dt.datetime:
        """Last instant at which the patient may cancel or move it online."""
        return self.starts_at - dt.timedelta(minutes=self.motif.cancel_cutoff_minutes)

    def can_change(self, now: dt.datetime) -> bool:
        """Whether the patient may still cancel or move it online."""
        return self.status == AppointmentStatus.BOOKED and now <= self.change_deadline


def appointment_view(db: Session, appointment_id: int) -> AppointmentView:
    """The view of one appointment, or :class:`NotFound`."""
    row = db.execute(
        select(Appointment, Slot, Motif, StaffMember, Site, Patient)
        .join(Slot, Slot.id == Appointment.slot_id)
        .join(Motif, Motif.id == Appointment.motif_id)
        .join(StaffMember, StaffMember.id == Slot.staff_id)
        .join(Site, Site.id == Motif.site_id)
        .join(Patient, Patient.id == Appointment.patient_id)
        .where(Appointment.id == appointment_id)
    ).first()
    if row is None:
        raise NotFound(f"appointment {appointment_id}")
    appointment, slot, motif, member, site, patient = row
    room = db.get(Room, slot.room_id).name if slot.room_id else None
    return AppointmentView(
        id=appointment.id, status=AppointmentStatus(appointment.status),
        revision=appointment.revision, locale=appointment.locale, slot_id=slot.id,
        starts_at=slot.starts_at, ends_at=slot.ends_at, timezone=zone(site.timezone), motif=motif,
        clinician=member.display_name, profession=member.profession, mode=Mode(slot.mode),
        room=room, site=site, patient=patient, created_at=appointment.created_at,
    )
