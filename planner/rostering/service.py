"""Rosters: create a version, solve it off the event loop, store it, pin cells, compare, publish.

A solve runs in a thread (:class:`RosterJob`); CP-SAT releases the GIL, so the web server keeps
answering. Progress goes to a callback (the web layer streams it over server-sent events) and to the
roster row itself (objective, bound, seconds), so any worker can show where a solve stands.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, delete, func, select

import solver
from planner.models import (
    Assignment,
    CoverDemand,
    Roster,
    RosterPin,
    RosterStatus,
    RosterViolation,
    ShiftType,
    StaffMember,
    StaffSkill,
)
from planner.models.types import utcnow
from planner.rostering.problem_from_db import ProblemMap, build_problem, shift_team
from planner.rostering.stop_requests import RUNNING, STOPPING, watch

QUEUED = "queued"
#: Rule name of stored explanations of an infeasible roster.
CONFLICT = "conflict"


class RosterError(ValueError):
    """A roster operation that is not allowed (message for the manager)."""


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a solve, as streamed to the page."""

    roster_id: int
    seconds: float
    objective: float | None
    bound: float | None
    done: bool = False
    status: str = RUNNING


ProgressCallback = Callable[[ProgressEvent], None]


# ---------------------------------------------------------------- versions
def new_version(db: Session, site_id: int, start: dt.date, days: int,
                parent: Roster | None = None) -> Roster:
    """A new draft roster; with ``parent`` it copies the parent's pins (and follows it)."""
    if days < 1 or days > 84:
        raise RosterError("A roster covers 1 to 84 days.")
    latest = db.exec(select(func.max(Roster.version)).where(
        Roster.site_id == site_id, Roster.start_date == start, Roster.days == days)).one()
    roster = Roster(site_id=site_id, start_date=start, days=days, version=(latest or 0) + 1,
                    parent_id=parent.id if parent else None, solver_status=QUEUED)
    db.add(roster)
    db.flush()
    if parent is not None:
        for pin in db.exec(select(RosterPin).where(RosterPin.roster_id == parent.id)).all():
            db.add(RosterPin(roster_id=roster.id, staff_id=pin.staff_id, day=pin.day,
                             shift_type_id=pin.shift_type_id))
    db.commit()
    return roster


def _store_result(db: Session, roster: Roster, result: solver.RosterResult,
                  mapping: ProblemMap) -> None:
    db.exec(delete(Assignment).where(col(Assignment.roster_id) == roster.id))  # type: ignore[call-overload]
    db.exec(delete(RosterViolation).where(col(RosterViolation.roster_id) == roster.id))  # type: ignore[call-overload]
    pinned = {(p.staff_id, p.day) for p in
              db.exec(select(RosterPin).where(RosterPin.roster_id == roster.id))}
    for code, cells in result.roster.items():
        member = mapping.staff_by_code[code]
        for day, cell in enumerate(cells):
            if cell is not None:
                date = mapping.date(day)
                db.add(Assignment(roster_id=roster.id, staff_id=member.id, day=date,
                                  shift_type_id=mapping.shift_by_code[cell].id,
                                  pinned=(member.id, date) in pinned))
    for v in result.violations:
        member = mapping.staff_by_code.get(v.staff or "")
        db.add(RosterViolation(
            roster_id=roster.id, rule=v.rule[:60], staff_id=member.id if member else None,
            day=mapping.date(v.day) if v.day is not None else None, cost=max(0, v.cost),
            shift_type_id=mapping.shift_by_code[v.shift].id if v.shift in mapping.shift_by_code else None,
            message=violation_message(v, mapping)[:500]))
    for c in result.conflicts:
        member = mapping.staff_by_code.get(c.staff or "")
        db.add(RosterViolation(
            roster_id=roster.id, rule=(CONFLICT + ":" + ",".join(c.rules))[:60],
            staff_id=member.id if member else None,
            day=mapping.date(c.days[0]) if c.days else None, cost=0,
            message=mapping.readable(c.message)[:500]))
    roster.solver_status = result.status.value
    roster.objective = result.objective
    roster.bound = round(result.bound) if result.bound is not None else None
    roster.solve_seconds = round(result.seconds, 3)
    db.add(roster)
    db.commit()


def violation_message(v: solver.Violation, mapping: ProblemMap) -> str:
    """A sentence in English for a stored penalty (the web layer translates by rule)."""
    who = mapping.staff_name(v.staff)
    when = mapping.date(v.day).strftime("%a %d/%m") if v.day is not None else ""
    shift = mapping.shift_by_code.get(v.shift or "")
    shift_name = shift.name if shift else (v.shift or "")
    texts = {
        "shift_on_request": f"{who} asked to work {shift_name} on {when}",
        "shift_off_request": f"{who} asked not to work {shift_name} on {when}",
        "cover_under": f"{shift_name} on {when} is short of staff",
        "cover_over": f"{shift_name} on {when} has more staff than needed",
        "minimal_change": f"{who} on {when} changed from the previous version",
    }
    return f"{texts.get(v.rule, mapping.readable(v.message))} (cost {v.cost})"


# ---------------------------------------------------------------- solving
class RosterJob:
    """One solve of one roster version in a background thread."""

    def __init__(self, engine: Engine, roster_id: int, *, time_limit: float, workers: int = 2,
                 seed: int = 0, on_progress: ProgressCallback | None = None,
                 today: dt.date | None = None) -> None:
        self.engine = engine
        self.today = today  # the first day a re-solve may change (None: the current date)
        self.roster_id = roster_id
        self.time_limit = time_limit
        self.workers = workers
        self.seed = seed
        self.on_progress = on_progress
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.run, name=f"roster-{roster_id}", daemon=True)
        self.result: solver.RosterResult | None = None
        self.error: str | None = None
        self._last_write = 0.0

    def start(self) -> RosterJob:
        """Start the solve in its thread."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Ask the solve to stop; it keeps the best roster found so far."""
        self.stop_event.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the end of the solve; whether it ended."""
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def _emit(self, event: ProgressEvent) -> None:
        if self.on_progress is not None:
            with contextlib.suppress(Exception):  # a broken listener must not break the solve
                self.on_progress(event)

    def _progress(self, seconds: float, objective: float, bound: float) -> None:
        self._emit(ProgressEvent(self.roster_id, seconds, objective, bound))
        if time.monotonic() - self._last_write > 1.0:
            self._last_write = time.monotonic()
            try:
                with Session(self.engine) as db:
                    roster = db.get(Roster, self.roster_id)
                    if roster is not None:
                        roster.objective = round(objective)
                        roster.bound = round(bound)
                        roster.solve_seconds = round(seconds, 3)
                        db.add(roster)
                        db.commit()
            except SQLAlchemyError:
                pass

    def run(self) -> None:
        """Build the problem, solve, store (called in the thread)."""
        try:
            with Session(self.engine, expire_on_commit=False) as db:
                roster = db.get(Roster, self.roster_id)
                assert roster is not None
                roster.solver_status = RUNNING
                db.add(roster)
                db.commit()
                problem, mapping = build_problem(db, roster, reference_id=roster.parent_id,
                                                 today=self.today)
                hint = None
                if roster.parent_id is not None:
                    from planner.rostering.problem_from_db import cells_of

                    hint = cells_of(db, roster.parent_id, mapping)
            self._emit(ProgressEvent(self.roster_id, 0.0, None, None))
            finished = threading.Event()
            watch(self.engine, self.roster_id, self.stop_event, finished)  # a stop from another worker
            try:
                result = solver.RosterSolver(
                    problem, self.time_limit, workers=self.workers, seed=self.seed, hint=hint,
                    progress=self._progress, stop_event=self.stop_event).solve()
            finally:
                finished.set()
            self.result = result
            with Session(self.engine, expire_on_commit=False) as db:
                roster = db.get(Roster, self.roster_id)
                assert roster is not None
                _store_result(db, roster, result, mapping)
            self._emit(ProgressEvent(self.roster_id, result.seconds,
                                     result.objective, result.bound, done=True,
                                     status=result.status.value))
        except Exception as error:  # noqa: BLE001 - recorded on the roster for the manager
            self.error = str(error)
            with Session(self.engine) as db:
                roster = db.get(Roster, self.roster_id)
                if roster is not None:
                    roster.solver_status = "error"
                    db.add(roster)
                    db.commit()
            self._emit(ProgressEvent(self.roster_id, 0.0, None, None, done=True, status="error"))


class JobRegistry:
    """The solves running in this process (one per roster version)."""

    def __init__(self) -> None:
        self._jobs: dict[int, RosterJob] = {}
        self._lock = threading.Lock()

    def start(self, job: RosterJob) -> RosterJob:
        """Register and start ``job``."""
        with self._lock:
            self._jobs[job.roster_id] = job
        return job.start()

    def get(self, roster_id: int) -> RosterJob | None:
        """The job of a roster, if it runs (or ran) here."""
        with self._lock:
            return self._jobs.get(roster_id)

    def stop(self, roster_id: int) -> bool:
        """Stop a roster's solve; whether it was running here."""
        job = self.get(roster_id)
        if job is None or not job.thread.is_alive():
            return False
        job.stop()
        return True

    def stop_all(self, timeout: float = 10.0) -> None:
        """Stop every solve and wait for them (server shutdown)."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.stop()
        for job in jobs:
            job.wait(timeout)


def solve_now(engine: Engine, roster_id: int, time_limit: float, workers: int = 2,
              seed: int = 0, today: dt.date | None = None) -> solver.RosterResult:
    """Solve a roster version in the calling thread (CLI and tests)."""
    job = RosterJob(engine, roster_id, time_limit=time_limit, workers=workers, seed=seed,
                    today=today)
    job.run()
    if job.error:
        raise RosterError(job.error)
    assert job.result is not None
    return job.result


# ---------------------------------------------------------------- editing
def _draft(db: Session, roster_id: int) -> Roster:
    roster = db.get(Roster, roster_id)
    if roster is None:
        raise RosterError("This roster does not exist.")
    if roster.status != RosterStatus.DRAFT:
        raise RosterError("A published roster cannot be changed: re-solve to make a new draft.")
    if roster.solver_status in (RUNNING, STOPPING, QUEUED):
        raise RosterError("Wait for the solve to end before changing the roster.")
    return roster


def set_cell(db: Session, roster_id: int, staff_id: int, day: dt.date,
             shift_type_id: int | None) -> None:
    """Pin one cell of a draft to a shift (or to a day off); a re-solve keeps it."""
    roster = _draft(db, roster_id)
    if not roster.start_date <= day < roster.start_date + dt.timedelta(days=roster.days):
        raise RosterError("This day is outside the roster's period.")
    member = db.get(StaffMember, staff_id)
    if member is None or member.site_id != roster.site_id or not member.works_shifts:
        raise RosterError("This person is not in the shift team.")
    if shift_type_id is not None:
        shift = db.get(ShiftType, shift_type_id)
        if shift is None or shift.site_id != roster.site_id:
            raise RosterError("Unknown shift.")
    pin = db.exec(select(RosterPin).where(RosterPin.roster_id == roster_id,
                                          RosterPin.staff_id == staff_id, RosterPin.day == day)).first()
    if pin is None:
        pin = RosterPin(roster_id=roster_id, staff_id=staff_id, day=day)
    pin.shift_type_id = shift_type_id
    db.add(pin)
    cell = db.exec(select(Assignment).where(Assignment.roster_id == roster_id,
                                            Assignment.staff_id == staff_id,
                                            Assignment.day == day)).first()
    if shift_type_id is None:
        if cell is not None:
            db.delete(cell)
    else:
        cell = cell or Assignment(roster_id=roster_id, staff_id=staff_id, day=day,
                                  shift_type_id=shift_type_id)
        cell.shift_type_id = shift_type_id
        cell.pinned = True
        db.add(cell)
    db.commit()


def unpin_cell(db: Session, roster_id: int, staff_id: int, day: dt.date) -> None:
    """Release a pinned cell (its value stays until the next solve)."""
    _draft(db, roster_id)
    db.exec(delete(RosterPin).where(col(RosterPin.roster_id) == roster_id,  # type: ignore[call-overload]
                                    col(RosterPin.staff_id) == staff_id, col(RosterPin.day) == day))
    cell = db.exec(select(Assignment).where(Assignment.roster_id == roster_id,
                                            Assignment.staff_id == staff_id,
                                            Assignment.day == day)).first()
    if cell is not None:
        cell.pinned = False
        db.add(cell)
    db.commit()


def publish(db: Session, roster_id: int) -> Roster:
    """Publish a solved draft; published versions of overlapping periods are archived."""
    roster = _draft(db, roster_id)
    if roster.solver_status not in (solver.Status.OPTIMAL.value, solver.Status.FEASIBLE.value):
        raise RosterError("Only a solved roster can be published.")
    end = roster.start_date + dt.timedelta(days=roster.days)
    for other in db.exec(select(Roster).where(Roster.site_id == roster.site_id,
                                              Roster.status == RosterStatus.PUBLISHED)).all():
        other_end = other.start_date + dt.timedelta(days=other.days)
        if other.start_date < end and roster.start_date < other_end:
            other.status = RosterStatus.ARCHIVED
            db.add(other)
    roster.status = RosterStatus.PUBLISHED
    roster.published_at = utcnow()
    db.add(roster)
    db.commit()
    return roster


# ---------------------------------------------------------------- reading
@dataclass(frozen=True)
class CoverCell:
    """Cover of one shift (optionally one skill) on one day."""

    assigned: int
    required: int

    @property
    def state(self) -> str:
        """``short``, ``over`` or ``ok``."""
        if self.assigned < self.required:
            return "short"
        return "over" if self.assigned > self.required else "ok"


@dataclass
class RosterView:
    """Everything the grid page shows for one roster version."""

    roster: Roster
    days: list[dt.date]
    staff: list[StaffMember]
    shifts: list[ShiftType]
    cells: dict[tuple[int, dt.date], Assignment]
    pins: dict[tuple[int, dt.date], RosterPin]
    cover_rows: list[tuple[str, ShiftType, str | None, list[CoverCell]]]
    violations: list[RosterViolation]
    conflicts: list[RosterViolation]


def roster_view(db: Session, roster: Roster) -> RosterView:
    """The grid, its cover under it, and the explained penalties."""
    days = [roster.start_date + dt.timedelta(days=k) for k in range(roster.days)]
    staff = shift_team(db, roster.site_id)
    shifts = list(db.exec(select(ShiftType).where(ShiftType.site_id == roster.site_id)
                          .order_by(col(ShiftType.start_minute))))
    cells = {(a.staff_id, a.day): a for a in
             db.exec(select(Assignment).where(Assignment.roster_id == roster.id))}
    pins = {(p.staff_id, p.day): p for p in
            db.exec(select(RosterPin).where(RosterPin.roster_id == roster.id))}
    skills_of: dict[int, set[int]] = {}
    for link in db.exec(select(StaffSkill)):
        skills_of.setdefault(link.staff_id, set()).add(link.skill_id)
    from planner.models import Skill

    skill_names = {s.id: s.name for s in db.exec(select(Skill).where(Skill.site_id == roster.site_id))}
    demand = db.exec(select(CoverDemand).where(CoverDemand.site_id == roster.site_id)).all()
    keys = sorted({(d.shift_type_id, d.skill_id) for d in demand},
                  key=lambda k: ([s.id for s in shifts].index(k[0]) if k[0] in [s.id for s in shifts]
                                 else 99, k[1] or 0))
    cover_rows = []
    for shift_id, skill_id in keys:
        shift = next((s for s in shifts if s.id == shift_id), None)
        if shift is None:
            continue
        row = []
        for day in days:
            required = sum(d.required for d in demand if d.shift_type_id == shift_id
                           and d.skill_id == skill_id and d.weekday == day.weekday())
            assigned = sum(1 for (sid, d), a in cells.items() if d == day and a.shift_type_id == shift_id
                           and (skill_id is None or skill_id in skills_of.get(sid, set())))
            row.append(CoverCell(assigned, required))
        cover_rows.append((f"{shift.code}", shift, skill_names.get(skill_id) if skill_id else None, row))
    rows = list(db.exec(select(RosterViolation).where(RosterViolation.roster_id == roster.id)
                        .order_by(col(RosterViolation.day), col(RosterViolation.id))))
    return RosterView(
        roster=roster, days=days, staff=staff, shifts=shifts, cells=cells, pins=pins,
        cover_rows=cover_rows,
        violations=[v for v in rows if not v.rule.startswith(CONFLICT)],
        conflicts=[v for v in rows if v.rule.startswith(CONFLICT)],
    )


@dataclass(frozen=True)
class Change:
    """One cell that differs between two versions."""

    staff: StaffMember
    day: dt.date
    before: ShiftType | None
    after: ShiftType | None


def compare(db: Session, roster: Roster, other: Roster) -> list[Change]:
    """Cells of ``roster`` that differ from ``other`` (same period)."""
    shifts = {s.id: s for s in db.exec(select(ShiftType).where(ShiftType.site_id == roster.site_id))}
    mine = {(a.staff_id, a.day): a.shift_type_id for a in
            db.exec(select(Assignment).where(Assignment.roster_id == roster.id))}
    theirs = {(a.staff_id, a.day): a.shift_type_id for a in
              db.exec(select(Assignment).where(Assignment.roster_id == other.id))}
    staff = {m.id: m for m in shift_team(db, roster.site_id)}
    changes = []
    for key in sorted(set(mine) | set(theirs), key=lambda k: (k[1], k[0])):
        if mine.get(key) != theirs.get(key) and key[0] in staff:
            before, after = theirs.get(key), mine.get(key)
            changes.append(Change(staff[key[0]], key[1], shifts.get(before) if before else None,
                                  shifts.get(after) if after else None))
    return changes


def published_shifts(db: Session, staff_id: int, first: dt.date,
                     last: dt.date) -> list[tuple[Assignment, ShiftType]]:
    """A staff member's published shifts between two dates (inclusive)."""
    rows = db.exec(select(Assignment, ShiftType)
                   .join(Roster, col(Roster.id) == Assignment.roster_id)
                   .join(ShiftType, col(ShiftType.id) == Assignment.shift_type_id)
                   .where(Assignment.staff_id == staff_id, Roster.status == RosterStatus.PUBLISHED,
                          col(Assignment.day) >= first, col(Assignment.day) <= last)
                   .order_by(col(Assignment.day)))
    return list(rows.all())
