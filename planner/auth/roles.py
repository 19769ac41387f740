"""What each role may do. Pages and services ask these questions instead of comparing roles."""

from __future__ import annotations

from planner.models import Role

#: Roles that must pass a second factor (TOTP) to sign in.
SECOND_FACTOR_ROLES = frozenset({Role.MANAGER, Role.ADMIN})

#: Manage staff, contracts, skills, shift types, demand, leave; generate and publish rosters.
ROSTER_MANAGERS = frozenset({Role.MANAGER})
#: Search the audit trail.
AUDIT_READERS = frozenset({Role.MANAGER, Role.ADMIN})
#: Have a day of their own (appointments and/or shifts).
HAS_OWN_DAY = frozenset({Role.CLINICIAN, Role.NURSE})
#: See their own patients' details, reason for the visit included.
SEES_OWN_PATIENTS = frozenset({Role.CLINICIAN, Role.NURSE})
#: Manage the centre's agenda (appointments of every clinician, without the reason).
AGENDA_MANAGERS = frozenset({Role.SECRETARY, Role.PHARMACIST})
#: Manage user accounts.
ACCOUNT_ADMINS = frozenset({Role.ADMIN})
#: Manage system integrations: API tokens, every calendar address, scheduled jobs.
INTEGRATION_ADMINS = frozenset({Role.ADMIN})
#: Enter their own leave and shift preferences.
ENTERS_OWN_WISHES = frozenset({Role.CLINICIAN, Role.NURSE, Role.SECRETARY, Role.PHARMACIST,
                               Role.MANAGER})
#: Subscribe to their own shifts and appointments from a calendar app.
HAS_OWN_CALENDAR = ENTERS_OWN_WISHES


def needs_second_factor(role: Role | str) -> bool:
    """Whether this role signs in with a TOTP code as well as a password."""
    return Role(role) in SECOND_FACTOR_ROLES


def home_path(role: Role | str) -> str:
    """Where ``/staff`` sends a signed-in user of this role."""
    role = Role(role)
    if role in ROSTER_MANAGERS:
        return "/staff/roster"
    if role in HAS_OWN_DAY:
        return "/staff/day"
    if role is Role.PHARMACIST:
        return "/staff/counter"
    if role in AGENDA_MANAGERS:
        return "/staff/agenda"
    return "/staff/audit"
