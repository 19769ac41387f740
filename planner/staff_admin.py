"""The manager's "team and rules": staff members, contracts, skills, shift types, cover demand and
leave for anyone.

Every ``save_*`` function takes the raw strings of a form, checks them and either stores the row
(returning it) or returns field errors: a mapping from field name to a :class:`FieldError` (a code and
the numbers the message needs). The web layer turns codes into sentences in the page's language.
Nothing is committed when there is an error.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from planner.models import (
    Contract,
    CoverDemand,
    Leave,
    LeaveKind,
    Profession,
    ShiftType,
    Skill,
    StaffMember,
    StaffSkill,
)

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
CODE = re.compile(r"^[A-Za-z0-9_-]+$")
MAX_LEAVE_DAYS = 366
MAX_COVER = 50


@dataclass(frozen=True)
class FieldError:
    """Why one field was refused: ``code`` names the problem, ``params`` fill the message."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)


Errors = dict[str, FieldError]


@dataclass
class Saved:
    """The outcome of a save: the row when it worked, else the field errors."""

    row: Any = None
    errors: Errors = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the row was stored."""
        return not self.errors


class _Form:
    """Reads and checks the fields of one submitted form, collecting errors."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: Errors = {}

    def raw(self, name: str) -> str:
        value = self.data.get(name, "")
        if isinstance(value, list):
            value = value[0] if value else ""
        return str(value).strip()

    def values(self, name: str) -> list[str]:
        value = self.data.get(name, [])
        items = value if isinstance(value, list) else [value]
        return [str(v).strip() for v in items if str(v).strip()]

    def fail(self, name: str, code: str, **params: Any) -> None:
        self.errors.setdefault(name, FieldError(code, params))

    def text(self, name: str, max_length: int, required: bool = True) -> str:
        value = self.raw(name)
        if required and not value:
            self.fail(name, "required")
        elif len(value) > max_length:
            self.fail(name, "too_long", max=max_length)
        return value

    def code(self, name: str, max_length: int) -> str:
        value = self.text(name, max_length)
        if value and name not in self.errors and not CODE.match(value):
            self.fail(name, "code_chars")
        return value

    def flag(self, name: str) -> bool:
        return self.raw(name).lower() in ("1", "on", "true", "yes")

    def integer(self, name: str, low: int, high: int, default: int | None = None) -> int:
        value = self.raw(name)
        if not value and default is not None:
            return default
        try:
            number = int(value)
        except ValueError:
            self.fail(name, "whole_number", min=low, max=high)
            return low
        if not low <= number <= high:
            self.fail(name, "whole_number", min=low, max=high)
        return number

    def hours(self, name: str, low: float, high: float) -> int:
        """Hours (``7.5``, ``7,5`` or ``7:30``) as whole minutes."""
        value = self.raw(name).replace(",", ".")
        try:
            if ":" in value:
                h, m = value.split(":", 1)
                minutes = int(h) * 60 + int(m)
                if not 0 <= int(m) < 60:
                    raise ValueError
            else:
                minutes = round(float(value) * 60)
        except ValueError:
            self.fail(name, "hours", min=_num(low), max=_num(high))
            return 0
        if not low * 60 <= minutes <= high * 60:
            self.fail(name, "hours", min=_num(low), max=_num(high))
        return minutes

    def time_of_day(self, name: str) -> int:
        value = self.raw(name)
        match = re.match(r"^(\d{1,2})[:hH](\d{2})$", value)
        if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            self.fail(name, "time")
            return 0
        return int(match.group(1)) * 60 + int(match.group(2))

    def date(self, name: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(self.raw(name))
        except ValueError:
            self.fail(name, "date")
            return None

    def choice(self, name: str, options: type, default: Any = None) -> Any:
        value = self.raw(name)
        try:
            return options(value)
        except ValueError:
            if default is not None and not value:
                return default
            self.fail(name, "choice")
            return default


def _num(value: float) -> str:
    return f"{value:g}"


# --- listing ------------------------------------------------------------------------------------


def staff_members(db: Session, site_id: int) -> list[StaffMember]:
    """Everyone of the site, active first, by family name."""
    return list(db.exec(select(StaffMember).where(StaffMember.site_id == site_id)
                        .order_by(col(StaffMember.active).desc(), col(StaffMember.family_name),
                                  col(StaffMember.given_name))).all())


def skills_of_site(db: Session, site_id: int) -> list[Skill]:
    """The site's skills by name."""
    return list(db.exec(select(Skill).where(Skill.site_id == site_id).order_by(col(Skill.name))).all())


def skill_ids_by_staff(db: Session, site_id: int) -> dict[int, set[int]]:
    """Which skills each staff member of the site holds."""
    held: dict[int, set[int]] = {}
    rows = db.exec(select(StaffSkill).join(StaffMember, col(StaffMember.id) == StaffSkill.staff_id)
                   .where(StaffMember.site_id == site_id)).all()
    for row in rows:
        held.setdefault(row.staff_id, set()).add(row.skill_id)
    return held


def contracts_of_site(db: Session, site_id: int) -> list[Contract]:
    """The site's contracts by name."""
    return list(db.exec(select(Contract).where(Contract.site_id == site_id)
                        .order_by(col(Contract.name))).all())


def shift_types_of_site(db: Session, site_id: int) -> list[ShiftType]:
    """The site's shift types by start time."""
    return list(db.exec(select(ShiftType).where(ShiftType.site_id == site_id)
                        .order_by(col(ShiftType.start_minute), col(ShiftType.code))).all())


def cover_of_site(db: Session, site_id: int) -> list[CoverDemand]:
    """The site's cover demand rows."""
    return list(db.exec(select(CoverDemand).where(CoverDemand.site_id == site_id)
                        .order_by(col(CoverDemand.shift_type_id), col(CoverDemand.weekday))).all())


def coming_leave(db: Session, site_id: int, today: dt.date) -> list[tuple[Leave, StaffMember]]:
    """Leave of anyone at the site that has not ended yet, soonest first."""
    return list(db.exec(select(Leave, StaffMember).join(StaffMember, col(StaffMember.id) == Leave.staff_id)
                        .where(StaffMember.site_id == site_id, col(Leave.end_date) >= today)
                        .order_by(col(Leave.start_date), col(StaffMember.family_name))).all())


MAX_ID = 2**63 - 1  # larger numbers cannot be ids (and overflow SQLite's integers)


def _in_site(db: Session, model: type, row_id: int | None, site_id: int) -> Any:
    row = db.get(model, row_id) if row_id is not None and 0 < row_id <= MAX_ID else None
    return row if row is not None and row.site_id == site_id else None


def staff_member(db: Session, site_id: int, staff_id: int) -> StaffMember | None:
    """One staff member of the site."""
    return _in_site(db, StaffMember, staff_id, site_id)


def contract(db: Session, site_id: int, contract_id: int) -> Contract | None:
    """One contract of the site."""
    return _in_site(db, Contract, contract_id, site_id)


def shift_type(db: Session, site_id: int, shift_type_id: int) -> ShiftType | None:
    """One shift type of the site."""
    return _in_site(db, ShiftType, shift_type_id, site_id)


def skill(db: Session, site_id: int, skill_id: int) -> Skill | None:
    """One skill of the site."""
    return _in_site(db, Skill, skill_id, site_id)


def _code_taken(db: Session, model: type, site_id: int, code: str, own_id: int | None) -> bool:
    found = db.exec(select(model).where(model.site_id == site_id, model.code == code)).first()
    return found is not None and found.id != own_id


# --- staff ----------------------------------------------------------------------------------------


def save_staff(db: Session, site_id: int, data: Mapping[str, Any],
               member: StaffMember | None = None) -> Saved:
    """Create (``member`` is ``None``) or update a staff member, skills included."""
    form = _Form(data)
    code = form.code("code", 20).upper()
    given = form.text("given_name", 100)
    family = form.text("family_name", 100)
    title = form.text("title", 20, required=False)
    profession = form.choice("profession", Profession)
    contract_raw = form.raw("contract_id")
    contract_id: int | None = None
    if contract_raw:
        found = contract(db, site_id, int(contract_raw)) if contract_raw.isdigit() else None
        if found is None:
            form.fail("contract_id", "choice")
        else:
            contract_id = found.id
    works_shifts = form.flag("works_shifts")
    if works_shifts and contract_id is None and "contract_id" not in form.errors:
        form.fail("contract_id", "contract_for_shifts")
    wanted_skills: set[int] = set()
    valid_skills = {s.id for s in skills_of_site(db, site_id)}
    for raw in form.values("skills"):
        if not raw.isdigit() or int(raw) not in valid_skills:
            form.fail("skills", "choice")
        else:
            wanted_skills.add(int(raw))
    if code and "code" not in form.errors and _code_taken(db, StaffMember, site_id, code,
                                                          member.id if member else None):
        form.fail("code", "code_taken")
    if form.errors:
        return Saved(errors=form.errors)
    row = member or StaffMember(site_id=site_id, code=code, given_name=given, family_name=family,
                                profession=profession)
    row.code, row.given_name, row.family_name, row.title = code, given, family, title
    row.profession = profession
    row.contract_id = contract_id
    row.works_shifts = works_shifts
    row.holds_sessions = form.flag("holds_sessions")
    row.active = form.flag("active") if member is not None else True
    db.add(row)
    db.flush()
    held = {s.skill_id: s for s in db.exec(select(StaffSkill).where(StaffSkill.staff_id == row.id))}
    for skill_id, link in held.items():
        if skill_id not in wanted_skills:
            db.delete(link)
    for skill_id in wanted_skills - set(held):
        db.add(StaffSkill(staff_id=row.id or 0, skill_id=skill_id))
    db.commit()
    db.refresh(row)
    return Saved(row=row)


# --- contracts ----------------------------------------------------------------------------------


def save_contract(db: Session, site_id: int, data: Mapping[str, Any],
                  row: Contract | None = None) -> Saved:
    """Create or update a contract; hours are entered, minutes stored."""
    form = _Form(data)
    name = form.text("name", 100)
    min_total = form.hours("min_hours_4w", 0, 400)
    max_total = form.hours("max_hours_4w", 0, 400)
    max_week = form.hours("max_hours_7d", 1, 96)
    rest = form.hours("min_rest_hours", 0, 24)
    max_cons = form.integer("max_consecutive_shifts", 1, 14)
    min_cons = form.integer("min_consecutive_shifts", 1, 14)
    min_off = form.integer("min_consecutive_days_off", 1, 14)
    weekends = form.integer("max_weekends_4w", 0, 4)
    if not form.errors and min_total > max_total:
        form.fail("min_hours_4w", "min_above_max")
    if not form.errors and min_cons > max_cons:
        form.fail("min_consecutive_shifts", "min_above_max")
    if form.errors:
        return Saved(errors=form.errors)
    row = row or Contract(site_id=site_id, name=name)
    row.name = name
    row.min_minutes_per_4_weeks, row.max_minutes_per_4_weeks = min_total, max_total
    row.max_minutes_per_7_days, row.min_rest_minutes = max_week, rest
    row.max_consecutive_shifts, row.min_consecutive_shifts = max_cons, min_cons
    row.min_consecutive_days_off, row.max_weekends_per_4_weeks = min_off, weekends
    db.add(row)
    db.commit()
    db.refresh(row)
    return Saved(row=row)


# --- skills -------------------------------------------------------------------------------------


def save_skill(db: Session, site_id: int, data: Mapping[str, Any], row: Skill | None = None) -> Saved:
    """Create or rename a skill."""
    form = _Form(data)
    code = form.code("code", 40).lower()
    name = form.text("name", 100)
    if code and "code" not in form.errors and _code_taken(db, Skill, site_id, code,
                                                          row.id if row else None):
        form.fail("code", "code_taken")
    if form.errors:
        return Saved(errors=form.errors)
    row = row or Skill(site_id=site_id, code=code, name=name)
    row.code, row.name = code, name
    db.add(row)
    db.commit()
    db.refresh(row)
    return Saved(row=row)


# --- shift types --------------------------------------------------------------------------------


def save_shift_type(db: Session, site_id: int, data: Mapping[str, Any],
                    row: ShiftType | None = None) -> Saved:
    """Create or update a shift type (code, name, start, length, colour, night)."""
    form = _Form(data)
    code = form.code("code", 10).upper()
    name = form.text("name", 100)
    start = form.time_of_day("start")
    length = form.hours("length_hours", 0.5, 24)
    colour = form.raw("colour") or "#4c6ef5"
    if not COLOUR.match(colour):
        form.fail("colour", "colour")
    if code and "code" not in form.errors and _code_taken(db, ShiftType, site_id, code,
                                                          row.id if row else None):
        form.fail("code", "code_taken")
    if form.errors:
        return Saved(errors=form.errors)
    row = row or ShiftType(site_id=site_id, code=code, name=name, start_minute=start,
                           length_minutes=length)
    row.code, row.name, row.start_minute, row.length_minutes = code, name, start, length
    row.colour, row.is_night = colour.lower(), form.flag("is_night")
    db.add(row)
    db.commit()
    db.refresh(row)
    return Saved(row=row)


# --- cover demand -------------------------------------------------------------------------------


def cover_field(shift_type_id: int, weekday: int, skill_id: int | None) -> str:
    """The form field of one cell of the cover grid."""
    return f"cover-{shift_type_id}-{weekday}-{skill_id or 0}"


def cover_grid(db: Session, site_id: int) -> dict[str, int]:
    """The demand of each (shift, weekday, skill) cell, keyed by :func:`cover_field`."""
    return {cover_field(c.shift_type_id, c.weekday, c.skill_id): c.required
            for c in cover_of_site(db, site_id)}


def save_cover(db: Session, site_id: int, data: Mapping[str, Any]) -> Saved:
    """Store every cell of the cover grid that was sent (0 removes the requirement).

    Rows are the shift types, optionally narrowed to one skill; columns are the weekdays.
    A new (shift, skill) row may be added with the fields ``new_shift``/``new_skill``.
    """
    form = _Form(data)
    shifts = {s.id for s in shift_types_of_site(db, site_id)}
    skills = {s.id for s in skills_of_site(db, site_id)}
    existing = {cover_field(c.shift_type_id, c.weekday, c.skill_id): c for c in cover_of_site(db, site_id)}
    wanted: dict[tuple[int, int, int | None], int] = {}
    for name in data:
        match = re.match(r"^cover-(\d+)-([0-6])-(\d+)$", name)
        if not match:
            continue
        shift_id, weekday, skill_id = int(match.group(1)), int(match.group(2)), int(match.group(3))
        if shift_id not in shifts or (skill_id and skill_id not in skills):
            form.fail(name, "choice")
            continue
        wanted[(shift_id, weekday, skill_id or None)] = form.integer(name, 0, MAX_COVER, default=0)
    new_shift, new_skill = form.raw("new_shift"), form.raw("new_skill")
    if new_shift or new_skill:
        if not (new_shift.isdigit() and int(new_shift) in shifts):
            form.fail("new_shift", "choice")
        if not (new_skill.isdigit() and int(new_skill) in skills):
            form.fail("new_skill", "choice")
    if form.errors:
        return Saved(errors=form.errors)
    if new_shift and new_skill:
        for weekday in range(7):
            wanted.setdefault((int(new_shift), weekday, int(new_skill)), 0)
            key = cover_field(int(new_shift), weekday, int(new_skill))
            if key not in existing:  # an empty row stays visible until filled
                row = CoverDemand(site_id=site_id, shift_type_id=int(new_shift), weekday=weekday,
                                  required=0, skill_id=int(new_skill))
                db.add(row)
                existing[key] = row
    for (shift_id, weekday, skill_id), required in wanted.items():
        key = cover_field(shift_id, weekday, skill_id)
        row = existing.get(key)
        if row is None:
            if required:
                db.add(CoverDemand(site_id=site_id, shift_type_id=shift_id, weekday=weekday,
                                   required=required, skill_id=skill_id))
        elif required == 0 and skill_id is None:
            db.delete(row)
        else:
            row.required = required
            db.add(row)
    db.commit()
    return Saved(row=len(wanted))


def remove_cover_row(db: Session, site_id: int, shift_type_id: int, skill_id: int) -> int:
    """Remove a skill row of the cover grid; how many cells went."""
    if not (0 < shift_type_id <= MAX_ID and 0 < skill_id <= MAX_ID):
        return 0
    rows = db.exec(select(CoverDemand).where(CoverDemand.site_id == site_id,
                                             CoverDemand.shift_type_id == shift_type_id,
                                             CoverDemand.skill_id == skill_id)).all()
    for row in rows:
        db.delete(row)
    db.commit()
    return len(rows)


# --- leave for anyone ---------------------------------------------------------------------------


def save_leave(db: Session, site_id: int, data: Mapping[str, Any]) -> Saved:
    """Enter leave (inclusive dates, sick leave included) for any staff member of the site."""
    form = _Form(data)
    staff_raw = form.raw("staff_id")
    member = staff_member(db, site_id, int(staff_raw)) if staff_raw.isdigit() else None
    if member is None:
        form.fail("staff_id", "choice")
    first = form.date("start_date")
    last = form.date("end_date")
    kind = form.choice("kind", LeaveKind, LeaveKind.ANNUAL)
    note = form.text("note", 200, required=False)
    if first and last:
        if last < first:
            form.fail("end_date", "end_before_start")
        elif (last - first).days >= MAX_LEAVE_DAYS:
            form.fail("end_date", "too_many_days", max=MAX_LEAVE_DAYS)
    if form.errors:
        return Saved(errors=form.errors)
    assert member is not None and first is not None and last is not None
    row = Leave(staff_id=member.id or 0, start_date=first, end_date=last, kind=kind, note=note)
    db.add(row)
    db.commit()
    db.refresh(row)
    return Saved(row=row)


def remove_leave(db: Session, site_id: int, leave_id: int) -> Leave | None:
    """Delete one leave of a staff member of the site; the row removed, or ``None``."""
    row = db.get(Leave, leave_id) if 0 < leave_id <= MAX_ID else None
    if row is None or staff_member(db, site_id, row.staff_id) is None:
        return None
    db.delete(row)
    db.commit()
    return row
