"""Template helpers of the staff pages: dates, statuses, and penalties explained in words."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date as babel_format_date

from planner.models import RosterStatus
from web.i18n import N_, babel_locale
from web.i18n import gettext_ as _

_ROSTER_STATUS = {
    RosterStatus.DRAFT: N_("Draft"), RosterStatus.PUBLISHED: N_("Published"),
    RosterStatus.ARCHIVED: N_("Archived"),
}
_SOLVER_STATUS = {
    "queued": N_("Waiting to start"), "running": N_("Solving…"), "stopping": N_("Stopping…"),
    "optimal": N_("Optimal (proven best)"), "feasible": N_("Good roster (not proven best)"),
    "infeasible": N_("No roster possible"), "unknown": N_("Stopped before any roster"),
    "model_invalid": N_("Invalid data"), "error": N_("The solve failed"),
}
_RULES = {
    "shift_on_request": N_("Wish to work"), "shift_off_request": N_("Wish not to work"),
    "cover_under": N_("Short of staff"), "cover_over": N_("More staff than needed"),
    "fairness_nights": N_("Fair share of nights"), "fairness_weekends": N_("Fair share of weekends"),
    "minimal_change": N_("Change from the previous version"),
}
_RELAX = {
    "min_total_minutes": N_("Lower the minimum hours of the contract, or shorten the leave."),
    "max_total_minutes": N_("Raise the maximum hours of the contract."),
    "days_off": N_("Move or shorten the leave, or let someone else cover these days."),
    "max_shifts": N_("Raise the maximum of this shift type for this person."),
    "max_consecutive": N_("Allow more working days in a row in the contract."),
    "min_consecutive": N_("Allow shorter blocks of working days in the contract."),
    "min_consecutive_off": N_("Allow shorter blocks of days off in the contract."),
    "max_weekends": N_("Allow more weekends in the contract."),
    "shift_rotation": N_("Check the minimum rest between shifts."),
    "pin": N_("Release one of the pinned cells."),
    "max_minutes_per_7_days": N_("The 48-hour weekly limit is reached: release a pin or add staff."),
    "cover_minimum": N_("Lower the cover needed that day, or add qualified staff."),
}
RESTRICTIONS_TEXT = N_("Relax one of these rules: ")


def format_date(day: dt.date | None, style: str = "medium") -> str:
    """A date in the request's language."""
    if day is None:
        return ""
    pattern = {"medium": "EEE d MMM", "full": "EEEE d MMMM", "long": "d MMMM y"}.get(style, style)
    return babel_format_date(day, pattern, locale=babel_locale())


def weekday_short(day: dt.date) -> str:
    """Two or three letters of the weekday."""
    return babel_format_date(day, "EEE", locale=babel_locale()).rstrip(".")


def minutes_label(minute: int) -> str:
    """Minutes after midnight as HH:MM."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def roster_status_label(status: RosterStatus | str) -> str:
    """Draft, published or archived."""
    return _(_ROSTER_STATUS[RosterStatus(status)])


def solver_status_label(status: str) -> str:
    """Where the solve stands, in words."""
    return _(_SOLVER_STATUS.get(status, status or "queued")) if status in _SOLVER_STATUS else status


def rule_label(rule: str) -> str:
    """A soft rule's name."""
    return _(_RULES[rule]) if rule in _RULES else rule


def relax_advice(rule: str) -> str:
    """What to relax for a stored conflict (``conflict:rule1,rule2``)."""
    names = rule.split(":", 1)[1].split(",") if ":" in rule else []
    tips = [_(_RELAX[name]) for name in names if name in _RELAX]
    return " ".join(dict.fromkeys(tips))


def shift_code(view, shift_type_id: int | None) -> str:  # noqa: ANN001 - RosterView
    """A shift type's code."""
    for shift in view.shifts:
        if shift.id == shift_type_id:
            return shift.code
    return ""


def staff_name(view, staff_id: int | None) -> str:  # noqa: ANN001 - RosterView
    """A staff member's name in the grid, or a dash."""
    for member in view.staff:
        if member.id == staff_id:
            return f"{member.given_name} {member.family_name}"
    return "—"


def violation_text(view, item) -> str:  # noqa: ANN001 - RosterView, RosterViolation
    """A penalty in words: who, which day, which rule, what it cost."""
    shift = next((s for s in view.shifts if s.id == item.shift_type_id), None)
    values = {"who": staff_name(view, item.staff_id), "day": format_date(item.day, "full"),
              "shift": shift.name if shift else "", "cost": item.cost}
    texts = {
        "shift_on_request": N_("%(who)s asked to work the %(shift)s shift on %(day)s; not granted."),
        "shift_off_request": N_("%(who)s asked not to work the %(shift)s shift on %(day)s; "
                                "they work it."),
        "cover_under": N_("The %(shift)s shift on %(day)s is short of staff."),
        "cover_over": N_("The %(shift)s shift on %(day)s has more staff than needed."),
        "minimal_change": N_("%(who)s on %(day)s: changed from the previous version."),
    }
    if item.rule in texts:
        return _(texts[item.rule], **values)
    return item.message


_APPOINTMENT_STATUS = {
    "booked": N_("Booked"), "attended": N_("Attended"), "no_show": N_("No-show"),
    "cancelled": N_("Cancelled"),
}


def appointment_status_label(status: object) -> str:
    """An appointment's status in words."""
    value = getattr(status, "value", status)
    return _(_APPOINTMENT_STATUS.get(str(value), str(value)))


def install(environment) -> None:  # noqa: ANN001 - jinja2.Environment
    """Register the helpers as template globals."""
    environment.globals.update(
        format_date=format_date, weekday_short=weekday_short, minutes_label=minutes_label,
        roster_status_label=roster_status_label, solver_status_label=solver_status_label,
        rule_label=rule_label, relax_advice=relax_advice, shift_code=shift_code,
        staff_name=staff_name, violation_text=violation_text, timedelta=dt.timedelta,
        appointment_status_label=appointment_status_label,
    )
