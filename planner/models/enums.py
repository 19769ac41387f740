"""Enumerations stored as text."""

from __future__ import annotations

from enum import StrEnum


class Profession(StrEnum):
    """What a staff member does; drives which appointment types they can hold."""

    GENERAL_PRACTITIONER = "general_practitioner"
    NURSE = "nurse"
    MIDWIFE = "midwife"
    PHYSIOTHERAPIST = "physiotherapist"
    PHARMACIST = "pharmacist"
    SECRETARY = "secretary"
    MANAGER = "manager"


class Role(StrEnum):
    """What a user account may do."""

    ADMIN = "admin"
    MANAGER = "manager"
    CLINICIAN = "clinician"
    NURSE = "nurse"
    SECRETARY = "secretary"
    PHARMACIST = "pharmacist"


class Mode(StrEnum):
    """How an appointment takes place."""

    IN_PERSON = "in_person"
    VIDEO = "video"


class AppointmentStatus(StrEnum):
    """Life of an appointment; every status but ``cancelled`` holds its slot."""

    BOOKED = "booked"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class RequestKind(StrEnum):
    """A staff member's wish for one day."""

    SHIFT_ON = "shift_on"
    SHIFT_OFF = "shift_off"
    DAY_OFF = "day_off"


class LeaveKind(StrEnum):
    """Why a staff member is away."""

    ANNUAL = "annual"
    SICK = "sick"
    TRAINING = "training"
    OTHER = "other"


class RosterStatus(StrEnum):
    """A roster is drafted, then published; a newer version archives the older."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class WaitlistStatus(StrEnum):
    """A waitlisted patient waits, is offered a slot, then accepts or lets it expire."""

    WAITING = "waiting"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
