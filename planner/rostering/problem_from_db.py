"""Build the solver's :class:`RosterProblem` from the database, and map its answers back.

This is the one module that knows both the tables and the solver's dataclasses. Staff and shift
types are named by their codes in the problem (readable in explanations); :class:`ProblemMap`
turns codes and day indices back into database ids and dates.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field, replace

from sqlmodel import Session, col, select

import solver
from planner.models import (
    Assignment,
    Contract,
    CoverDemand,
    Leave,
    RequestKind,
    Roster,
    RosterPin,
    ShiftType,
    Skill,
    StaffMember,
    StaffRequest,
    StaffSkill,
)
from planner.rostering.past import days_over, history_of, published_over, worked_pins

PERIOD_DAYS = 28

#: Weights of the clinic's soft rules (one place). ``change`` applies to re-solves only.
#: Fairness costs this much per night (weekend) between the most and the least loaded of the
#: staff who may work nights (weekends); an unmet cover costs 100. Measured on the demo team
#: over 4 weeks (60 s, 2 workers): without it the optimum gives one nurse 6 nights and another
#: 1; with 5 every nurse who works nights has 3 or 4, proven optimal in a median of 3.1-4.5 s
#: (8 of 150 runs over 10 s, with the cut of ``solver.model.objective._uneven_split``; 1.3-2.8 s
#: without fairness).
FAIRNESS_NIGHTS = 5
FAIRNESS_WEEKENDS = 5
CHANGE_WEIGHT = 2


@dataclass
class ProblemMap:
    """How the problem's names relate to the database."""

    start: dt.date
    days: int
    staff_by_code: dict[str, StaffMember] = field(default_factory=dict)
    shift_by_code: dict[str, ShiftType] = field(default_factory=dict)

    def date(self, day: int) -> dt.date:
        """The date of a day index."""
        return self.start + dt.timedelta(days=day)

    def index(self, day: dt.date) -> int:
        """The day index of a date."""
        return (day - self.start).days

    def staff_name(self, code: str | None) -> str:
        """A staff member's display name from their code."""
        member = self.staff_by_code.get(code or "")
        return member.display_name if member else (code or "")

    def readable(self, sentence: str) -> str:
        """Replace the solver's ``day N`` by dates in a sentence."""
        def as_date(match: re.Match[str]) -> str:
            return self.date(int(match.group(2))).strftime("%a %d/%m")
        return re.sub(r"\b([Dd]ay) (\d+)", as_date, sentence)


def _scaled(value: int, days: int) -> int:
    """A per-4-week limit scaled to the horizon (rounded up: never stricter than the contract)."""
    return math.ceil(value * days / PERIOD_DAYS)


def _scaled_down(value: int, days: int) -> int:
    """A per-4-week minimum scaled to ``days`` (rounded down: never stricter than the contract)."""
    return math.floor(value * days / PERIOD_DAYS)


def shift_team(db: Session, site_id: int) -> list[StaffMember]:
    """The staff rostered with shifts at a site, in a stable order."""
    return list(db.exec(select(StaffMember).where(
        StaffMember.site_id == site_id, col(StaffMember.works_shifts), col(StaffMember.active))
        .order_by(col(StaffMember.family_name), col(StaffMember.given_name))))


def cells_of(db: Session, roster_id: int, mapping: ProblemMap) -> dict[str, list[str | None]]:
    """A stored roster as the solver's grid (staff code -> shift code or None per day)."""
    by_id = {m.id: code for code, m in mapping.staff_by_code.items()}
    shift_code = {s.id: code for code, s in mapping.shift_by_code.items()}
    grid: dict[str, list[str | None]] = {code: [None] * mapping.days for code in mapping.staff_by_code}
    for a in db.exec(select(Assignment).where(Assignment.roster_id == roster_id)):
        code = by_id.get(a.staff_id)
        day = mapping.index(a.day)
        if code is not None and 0 <= day < mapping.days:
            grid[code][day] = shift_code.get(a.shift_type_id)
    return grid


def build_problem(db: Session, roster: Roster, *, reference_id: int | None = None,
                  today: dt.date | None = None) -> tuple[solver.RosterProblem, ProblemMap]:
    """The roster problem of a (draft) roster: its site, period and pins.

    Args:
        db: Database session.
        roster: The roster being solved (site, start date, days; its pins apply).
        reference_id: A previous version; the solve then pays for every cell it changes.
        today: The first day that may still change (default: the current date). The days before
            keep the reference's cells, or without one the published roster's: see
            :func:`worked_pins`.
    """
    site_id, start, days = roster.site_id, roster.start_date, roster.days
    end = start + dt.timedelta(days=days - 1)
    mapping = ProblemMap(start=start, days=days)
    shift_rows = list(db.exec(select(ShiftType).where(ShiftType.site_id == site_id)
                              .order_by(col(ShiftType.start_minute))))
    mapping.shift_by_code = {s.code: s for s in shift_rows}
    shifts_by_id = {s.id: s for s in shift_rows if s.id is not None}
    skill_code = {s.id: s.code for s in db.exec(select(Skill).where(Skill.site_id == site_id))}
    contracts = {c.id: c for c in db.exec(select(Contract).where(Contract.site_id == site_id))}
    team = shift_team(db, site_id)
    mapping.staff_by_code = {m.code: m for m in team}
    ids = [m.id for m in team]
    skills: dict[int, set[str]] = {}
    for link in db.exec(select(StaffSkill).where(col(StaffSkill.staff_id).in_(ids))):
        skills.setdefault(link.staff_id, set()).add(skill_code[link.skill_id])
    days_off: dict[int, set[int]] = {}
    for leave in db.exec(select(Leave).where(col(Leave.staff_id).in_(ids),
                                             col(Leave.end_date) >= start,
                                             col(Leave.start_date) <= end)):
        first = max(leave.start_date, start)
        last = min(leave.end_date, end)
        days_off.setdefault(leave.staff_id, set()).update(
            mapping.index(first) + k for k in range((last - first).days + 1))

    staff = []
    used_contracts: list[Contract] = []
    for m in team:
        contract = contracts.get(m.contract_id) if m.contract_id else None
        if contract is not None:
            used_contracts.append(contract)
        staff.append(solver.Staff(
            id=m.code, name=m.display_name,
            max_shifts={code: _scaled(limit, days) for code, limit in (m.max_shifts or {}).items()
                        if code in mapping.shift_by_code},
            # leave counts as time worked: the minimum applies to the days the member is there
            min_minutes=_scaled_down(contract.min_minutes_per_4_weeks,
                                     days - len(days_off.get(m.id or 0, ()))) if contract else 0,
            max_minutes=_scaled(contract.max_minutes_per_4_weeks, days) if contract else None,
            max_consecutive=contract.max_consecutive_shifts if contract else None,
            min_consecutive=contract.min_consecutive_shifts if contract else 1,
            min_consecutive_off=contract.min_consecutive_days_off if contract else 1,
            max_weekends=_scaled(contract.max_weekends_per_4_weeks, days) if contract else None,
            skills=frozenset(skills.get(m.id or 0, set())),
            days_off=frozenset(days_off.get(m.id or 0, set())),
        ))

    cover = []
    demand = db.exec(select(CoverDemand).where(CoverDemand.site_id == site_id)).all()
    for day in range(days):
        weekday = mapping.date(day).weekday()
        for d in demand:
            if d.weekday == weekday and d.shift_type_id in shifts_by_id:
                cover.append(solver.CoverDemand(
                    day=day, shift=shifts_by_id[d.shift_type_id].code, requirement=d.required,
                    under_weight=d.under_weight, over_weight=d.over_weight,
                    skill=skill_code.get(d.skill_id) if d.skill_id else None))

    requests = []
    by_staff_id = {m.id: m for m in team}
    for r in db.exec(select(StaffRequest).where(col(StaffRequest.staff_id).in_(ids),
                                                col(StaffRequest.day) >= start,
                                                col(StaffRequest.day) <= end)):
        code = by_staff_id[r.staff_id].code
        day = mapping.index(r.day)
        if r.kind == RequestKind.DAY_OFF or r.shift_type_id is None:
            requests += [solver.ShiftRequest(code, day, s.code, r.weight, on=False) for s in shift_rows]
        else:
            requests.append(solver.ShiftRequest(code, day, shifts_by_id[r.shift_type_id].code,
                                                r.weight, on=r.kind == RequestKind.SHIFT_ON))

    pins = []
    for pin in db.exec(select(RosterPin).where(RosterPin.roster_id == roster.id)):
        member = by_staff_id.get(pin.staff_id)
        if member is not None and 0 <= mapping.index(pin.day) < days:
            pins.append(solver.Pin(member.code, mapping.index(pin.day),
                                   shifts_by_id[pin.shift_type_id].code if pin.shift_type_id else None))

    reference = {}
    if reference_id is not None:
        reference = {code: tuple(cells) for code, cells in cells_of(db, reference_id, mapping).items()}

    problem = solver.RosterProblem(
        days=days,
        shifts=tuple(solver.ShiftType(id=s.code, minutes=s.length_minutes, start=s.start_minute,
                                      night=s.is_night) for s in shift_rows),
        staff=tuple(staff),
        requests=tuple(requests),
        cover=tuple(cover),
        start_weekday=start.weekday(),
        name=f"site {site_id} from {start.isoformat()}",
        min_rest_minutes=max((c.min_rest_minutes for c in used_contracts), default=None) or None,
        max_minutes_per_7_days=min((c.max_minutes_per_7_days for c in used_contracts),
                                   default=None) or None,
        weights=solver.Weights(fairness_nights=FAIRNESS_NIGHTS, fairness_weekends=FAIRNESS_WEEKENDS,
                               change=CHANGE_WEIGHT if reference else 0),
        pins=tuple(pins),
        history=history_of(db, site_id, start, team, shifts_by_id),
        reference=reference,
    )
    # the days before today are over: keep the reference's cells, or else the published roster's
    worked = days_over(start, days, today or dt.date.today())
    past = reference
    if not past and worked > 0:
        source = published_over(db, site_id, start, worked)
        if source is not None:
            past = {code: tuple(cells) for code, cells in cells_of(db, source.id or 0, mapping).items()}
    if past and worked > 0:
        problem = replace(problem, pins=problem.pins + tuple(worked_pins(problem, past, worked)))
    return problem, mapping
