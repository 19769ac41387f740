"""Appointment types (motifs), consultation sessions, slots, patients, appointments, waitlist."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from planner.models.enums import AppointmentStatus, Mode, Profession, WaitlistStatus
from planner.models.types import UTCDateTime, text_enum, utcnow

#: Statuses that hold a slot; the partial unique index below uses the same list.
ACTIVE_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.ATTENDED, AppointmentStatus.NO_SHOW)
_ACTIVE_SQL = "status IN ('booked', 'attended', 'no_show')"


class Motif(SQLModel, table=True):
    """An appointment type as patients choose it ("motif de consultation")."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=120)
    name_en: str = Field(default="", max_length=120)
    profession: Profession = Field(sa_type=text_enum(Profession))
    mode: Mode = Field(sa_type=text_enum(Mode))
    duration_minutes: int = Field(gt=0, le=480)
    buffer_before_minutes: int = Field(default=0, ge=0)
    buffer_after_minutes: int = Field(default=0, ge=0)
    min_notice_minutes: int = Field(default=120, ge=0)
    horizon_days: int = Field(default=60, gt=0)
    cancel_cutoff_minutes: int = Field(default=1440, ge=0)
    urgent: bool = Field(default=False, description="Same-day urgent care, released each morning.")
    new_patients: bool = Field(default=True)
    active: bool = Field(default=True)

    __table_args__ = (UniqueConstraint("site_id", "code"),)


class ConsultationSession(SQLModel, table=True):
    """A block of time when a clinician sees patients, in a room or by video."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    staff_id: int = Field(foreign_key="staffmember.id", index=True)
    room_id: int | None = Field(default=None, foreign_key="room.id")
    starts_at: dt.datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: dt.datetime = Field(sa_type=UTCDateTime)
    video: bool = Field(default=False, description="Video consultations may be held in it.")
    roster_id: int | None = Field(default=None, foreign_key="roster.id")


class Slot(SQLModel, table=True):
    """A bookable time for one motif, cut from a consultation session."""

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="consultationsession.id", index=True)
    staff_id: int = Field(foreign_key="staffmember.id")
    room_id: int | None = Field(default=None, foreign_key="room.id")
    motif_id: int = Field(foreign_key="motif.id")
    mode: Mode = Field(sa_type=text_enum(Mode))
    starts_at: dt.datetime = Field(sa_type=UTCDateTime)
    ends_at: dt.datetime = Field(sa_type=UTCDateTime)
    held_until: dt.datetime | None = Field(
        default=None, sa_type=UTCDateTime, description="Urgent slots are not offered before this."
    )
    withdrawn: bool = Field(default=False)

    __table_args__ = (
        # Covers the free-slot search (planner.booking.availability): no table reads, no sort.
        Index("ix_slot_motif_start_cover", "motif_id", "starts_at", "id", "ends_at", "staff_id",
              "mode", "withdrawn", "held_until"),
        Index("ix_slot_staff_start", "staff_id", "starts_at"),
    )


class Patient(SQLModel, table=True):
    """A person who books; no account is needed."""

    id: int | None = Field(default=None, primary_key=True)
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    birth_date: dt.date
    email: str | None = Field(default=None, max_length=200, index=True)
    phone: str | None = Field(default=None, max_length=40)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Appointment(SQLModel, table=True):
    """A patient's booking of a slot. At most one active appointment per slot (database index)."""

    id: int | None = Field(default=None, primary_key=True)
    slot_id: int = Field(foreign_key="slot.id")
    patient_id: int = Field(foreign_key="patient.id", index=True)
    motif_id: int = Field(foreign_key="motif.id")
    status: AppointmentStatus = Field(
        default=AppointmentStatus.BOOKED, sa_type=text_enum(AppointmentStatus)
    )
    reason: str = Field(default="", max_length=500, description="Reason for the visit (health data).")
    idempotency_key: str | None = Field(default=None, max_length=100, unique=True)
    booked_by: int | None = Field(default=None, foreign_key="useraccount.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    cancelled_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    locale: str = Field(default="fr", max_length=5, description="Language of the patient's e-mails.")
    revision: int = Field(default=0, ge=0, description="Bumped at each change (the .ics SEQUENCE).")

    __table_args__ = (
        Index(
            "uq_appointment_active_slot",
            "slot_id",
            unique=True,
            sqlite_where=text(_ACTIVE_SQL),
            postgresql_where=text(_ACTIVE_SQL),
        ),
    )


class WaitlistEntry(SQLModel, table=True):
    """A patient who wants an earlier slot for a motif."""

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    motif_id: int = Field(foreign_key="motif.id", index=True)
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id")
    wanted_before: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: WaitlistStatus = Field(
        default=WaitlistStatus.WAITING, sa_type=text_enum(WaitlistStatus)
    )
    offered_slot_id: int | None = Field(default=None, foreign_key="slot.id")
    offer_expires_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class BookingGeneration(SQLModel, table=True):
    """A counter that database triggers bump at each committed change of what free slots are
    made of (appointments, slots, motifs, sites, staff): the key that keeps cached free-slot
    answers fresh, whoever writes (this app, another process, raw SQL). One row, ``id`` 1.

    The triggers live in migration 0007 (:mod:`planner.booking.answer_cache` reads them); the row
    is created on first use, so a freshly migrated database stays empty (backups restore into it).
    """

    __tablename__ = "booking_generation"

    id: int | None = Field(default=None, primary_key=True)
    value: int = Field(default=0, sa_type=BigInteger)
