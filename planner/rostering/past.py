"""What has already happened: the week before a roster's period, and the days of it that are over.

Both come from published rosters (the one the team worked to). The solver sees the week before
as history, and the days over as pins (:func:`worked_pins`), so that no solve rewrites them.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

import solver
from planner.models import Assignment, Roster, RosterStatus, ShiftType, StaffMember
from solver.validate import validate

HISTORY_DAYS = 7


def _published(db: Session, site_id: int, first: dt.date, last: dt.date) -> list[Roster]:
    """The site's published rosters holding any day from ``first`` to ``last``, oldest first."""
    rows = db.exec(select(Roster).where(
        Roster.site_id == site_id, Roster.status == RosterStatus.PUBLISHED,
        col(Roster.start_date) <= last).order_by(col(Roster.id))).all()
    return [r for r in rows if r.start_date + dt.timedelta(days=r.days - 1) >= first]


def history_of(db: Session, site_id: int, start: dt.date,
               staff: list[StaffMember], shifts: dict[int, ShiftType]) -> dict[str, tuple[str | None, ...]]:
    """The last week before ``start`` from the published roster(s) covering it."""
    first = start - dt.timedelta(days=HISTORY_DAYS)
    covering = _published(db, site_id, first, start - dt.timedelta(days=1))
    if not covering:
        return {}
    cells: dict[tuple[int, dt.date], str] = {}
    for roster in covering:
        for a in db.exec(select(Assignment).where(Assignment.roster_id == roster.id,
                                                  col(Assignment.day) >= first,
                                                  col(Assignment.day) < start)):
            cells[(a.staff_id, a.day)] = shifts[a.shift_type_id].code
    return {
        m.code: tuple(cells.get((m.id or 0, first + dt.timedelta(days=k)))
                      for k in range(HISTORY_DAYS))
        for m in staff
    }


def days_over(start: dt.date, days: int, today: dt.date) -> int:
    """How many days of the period from ``start`` are over by ``today`` (0 to ``days``)."""
    return max(0, min(days, (today - start).days))


def published_over(db: Session, site_id: int, start: dt.date, over: int) -> Roster | None:
    """The latest published roster holding all the ``over`` days from ``start``."""
    last = start + dt.timedelta(days=over - 1)
    return next((r for r in reversed(_published(db, site_id, start, last))
                 if r.start_date <= start and r.start_date + dt.timedelta(days=r.days - 1) >= last),
                None)


def worked_pins(problem: solver.RosterProblem, past: dict[str, tuple[str | None, ...]],
                worked: int) -> list[solver.Pin]:
    """Pins that keep the ``past`` roster's cells on the first ``worked`` days (before today).

    A solve during the period must not rewrite shifts that are over. The past of whoever's row
    of ``past`` breaks a hard rule of the new problem is left to the solve (at the cost of each
    cell it changes, in a re-solve): leave entered since (a nurse off sick from today may have
    worked yesterday a stretch the rules find too short now), a cell the manager pinned unlike
    the rules. Everyone else's past is kept, and their rules accept it.
    """
    cells_by_staff = {code: list(cells) for code, cells in past.items()}
    broken = {b.staff for b in validate(problem, cells_by_staff).breaches}
    pinned = {(pin.staff, pin.day) for pin in problem.pins}
    return [solver.Pin(code, day, cells[day])
            for code, cells in cells_by_staff.items() if code not in broken
            for day in range(min(worked, len(cells))) if (code, day) not in pinned]
