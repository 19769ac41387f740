"""The domain tables. Importing this package registers every table on ``SQLModel.metadata``."""

from planner.models.audit import AuditEvent
from planner.models.booking import (
    ACTIVE_STATUSES,
    Appointment,
    ConsultationSession,
    Motif,
    Patient,
    Slot,
    WaitlistEntry,
)
from planner.models.enums import (
    AppointmentStatus,
    LeaveKind,
    Mode,
    Profession,
    RequestKind,
    Role,
    RosterStatus,
    WaitlistStatus,
)
from planner.models.organisation import Room, Site
from planner.models.rostering import (
    Assignment,
    CoverDemand,
    Leave,
    Roster,
    RosterViolation,
    ShiftType,
    StaffRequest,
)
from planner.models.staff import Contract, Skill, StaffMember, StaffSkill, UserAccount

__all__ = [
    "ACTIVE_STATUSES",
    "Appointment",
    "AppointmentStatus",
    "Assignment",
    "AuditEvent",
    "ConsultationSession",
    "Contract",
    "CoverDemand",
    "Leave",
    "LeaveKind",
    "Mode",
    "Motif",
    "Patient",
    "Profession",
    "RequestKind",
    "Role",
    "Room",
    "Roster",
    "RosterStatus",
    "RosterViolation",
    "ShiftType",
    "Site",
    "Skill",
    "Slot",
    "StaffMember",
    "StaffRequest",
    "StaffSkill",
    "UserAccount",
    "WaitlistEntry",
    "WaitlistStatus",
]
