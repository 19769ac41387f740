"""Shift types, cover demand, staff requests and leave, rosters and their assignments."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from planner.models.enums import LeaveKind, RequestKind, RosterStatus
from planner.models.types import UTCDateTime, text_enum, utcnow


class ShiftType(SQLModel, table=True):
    """A kind of shift, e.g. morning 07:00 for 8 hours."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    code: str = Field(max_length=10)
    name: str = Field(max_length=100)
    start_minute: int = Field(ge=0, lt=1440, description="Local start time, minutes after midnight.")
    length_minutes: int = Field(gt=0, le=1440)
    colour: str = Field(default="#4c6ef5", max_length=9)
    is_night: bool = Field(default=False)

    __table_args__ = (UniqueConstraint("site_id", "code"),)


class CoverDemand(SQLModel, table=True):
    """How many people a shift needs on a weekday (0 = Monday), optionally with a skill."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    shift_type_id: int = Field(foreign_key="shifttype.id", index=True)
    weekday: int = Field(ge=0, le=6)
    required: int = Field(ge=0)
    skill_id: int | None = Field(default=None, foreign_key="skill.id")
    under_weight: int = Field(default=100, ge=0)
    over_weight: int = Field(default=1, ge=0)


class StaffRequest(SQLModel, table=True):
    """A wish for one day: to work a shift, not to work a shift, or a day off."""

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staffmember.id", index=True)
    day: dt.date
    kind: RequestKind = Field(sa_type=text_enum(RequestKind))
    shift_type_id: int | None = Field(default=None, foreign_key="shifttype.id")
    weight: int = Field(default=1, ge=1, le=10)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Leave(SQLModel, table=True):
    """Days a staff member is away (inclusive dates); a roster never assigns them."""

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staffmember.id", index=True)
    start_date: dt.date
    end_date: dt.date
    kind: LeaveKind = Field(default=LeaveKind.ANNUAL, sa_type=text_enum(LeaveKind))
    note: str = Field(default="", max_length=200)


class Roster(SQLModel, table=True):
    """One version of the roster of a site over a period."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    start_date: dt.date
    days: int = Field(gt=0)
    version: int = Field(default=1, ge=1)
    status: RosterStatus = Field(default=RosterStatus.DRAFT, sa_type=text_enum(RosterStatus))
    parent_id: int | None = Field(default=None, foreign_key="roster.id")
    solver_status: str = Field(default="", max_length=20)
    objective: int | None = None
    bound: int | None = None
    solve_seconds: float | None = None
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class Assignment(SQLModel, table=True):
    """One staff member works one shift on one day of a roster."""

    id: int | None = Field(default=None, primary_key=True)
    roster_id: int = Field(foreign_key="roster.id", index=True)
    staff_id: int = Field(foreign_key="staffmember.id", index=True)
    day: dt.date
    shift_type_id: int = Field(foreign_key="shifttype.id")
    pinned: bool = Field(default=False)

    __table_args__ = (UniqueConstraint("roster_id", "staff_id", "day"),)


class RosterViolation(SQLModel, table=True):
    """A penalty paid by a roster, explained (who, which day, which rule, cost)."""

    id: int | None = Field(default=None, primary_key=True)
    roster_id: int = Field(foreign_key="roster.id", index=True)
    rule: str = Field(max_length=60)
    staff_id: int | None = Field(default=None, foreign_key="staffmember.id")
    day: dt.date | None = None
    cost: int = Field(ge=0)
    shift_type_id: int | None = Field(default=None, foreign_key="shifttype.id")
    message: str = Field(max_length=500)


class RosterPin(SQLModel, table=True):
    """A cell a manager fixed in a roster version: a shift, or a day off (no shift type)."""

    id: int | None = Field(default=None, primary_key=True)
    roster_id: int = Field(foreign_key="roster.id", index=True)
    staff_id: int = Field(foreign_key="staffmember.id")
    day: dt.date
    shift_type_id: int | None = Field(default=None, foreign_key="shifttype.id")

    __table_args__ = (UniqueConstraint("roster_id", "staff_id", "day"),)
