"""The domain tables. Importing this package registers every table on ``SQLModel.metadata``."""

from planner.models.api import ApiToken
from planner.models.audit import AuditEvent
from planner.models.auth import SigninFailure, StaffSession
from planner.models.booking import (
    ACTIVE_STATUSES,
    Appointment,
    ConsultationSession,
    Motif,
    Patient,
    Slot,
    WaitlistEntry,
)
from planner.models.calendar import CalendarFeed, FeedKind
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
from planner.models.mail import MailMessage
from planner.models.maintenance import MaintenanceRun
from planner.models.organisation import Room, Site
from planner.models.rostering import (
    Assignment,
    CoverDemand,
    Leave,
    Roster,
    RosterPin,
    RosterViolation,
    ShiftType,
    StaffRequest,
)
from planner.models.staff import Contract, Skill, StaffMember, StaffSkill, UserAccount

__all__ = [
    "ACTIVE_STATUSES",
    "ApiToken",
    "CalendarFeed",
    "FeedKind",
    "MaintenanceRun",
    "Appointment",
    "AppointmentStatus",
    "Assignment",
    "AuditEvent",
    "ConsultationSession",
    "Contract",
    "CoverDemand",
    "Leave",
    "LeaveKind",
    "MailMessage",
    "Mode",
    "Motif",
    "Patient",
    "Profession",
    "RequestKind",
    "Role",
    "Room",
    "Roster",
    "RosterPin",
    "RosterStatus",
    "RosterViolation",
    "ShiftType",
    "SigninFailure",
    "Site",
    "Skill",
    "Slot",
    "StaffMember",
    "StaffRequest",
    "StaffSession",
    "StaffSkill",
    "UserAccount",
    "WaitlistEntry",
    "WaitlistStatus",
]
