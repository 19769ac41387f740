"""Builders of small problems for the solver tests."""

from __future__ import annotations

from solver import CoverDemand, RosterProblem, RosterResult, ShiftType, Staff, Status, solve
from solver.validate import validate

DAY = ShiftType("D", 480, start=7 * 60)
NIGHT = ShiftType("N", 600, start=21 * 60, night=True)


def staff(sid: str, **kw: object) -> Staff:
    """A permissive employee unless told otherwise."""
    return Staff(sid, **kw)  # type: ignore[arg-type]


def cover(days: int, shift: str = "D", req: int = 1, under: int = 100, over: int = 1,
          skill: str | None = None) -> tuple[CoverDemand, ...]:
    """The same requirement on every day."""
    return tuple(CoverDemand(d, shift, req, under, over, skill) for d in range(days))


def problem(days: int = 7, people: tuple[Staff, ...] = (), shifts: tuple[ShiftType, ...] = (DAY,),
            **kw: object) -> RosterProblem:
    """A problem with ``cover`` defaulting to 1 D per day."""
    kw.setdefault("cover", cover(days))
    return RosterProblem(days=days, shifts=shifts, staff=people or (staff("A"),), **kw)  # type: ignore[arg-type]


def solved(p: RosterProblem, time_limit: float = 10.0, **kw: object) -> RosterResult:
    """Solve to optimality and cross-check with the validator."""
    r = solve(p, time_limit=time_limit, workers=2, seed=0, **kw)  # type: ignore[arg-type]
    assert r.status is Status.OPTIMAL, r
    rep = validate(p, r.roster)
    assert rep.breaches == [], rep.breaches
    assert rep.objective == r.objective
    assert sum(v.cost for v in r.violations) == r.objective
    return r


def rows(r: RosterResult) -> dict[str, str]:
    """Roster as one string per staff: shift id per day, '.' for off."""
    return {k: "".join(c or "." for c in v) for k, v in r.roster.items()}


def check_result(p: RosterProblem, r: RosterResult) -> None:
    """A roster the validator accepts at the same cost, and a bound that matches the status."""
    assert r.status.has_roster, r
    rep = validate(p, r.roster)
    assert rep.feasible and rep.objective == r.objective
    assert sum(v.cost for v in r.violations) == r.objective
    assert r.bound is not None and r.bound <= r.objective
    assert (r.status is Status.OPTIMAL) == (r.bound >= r.objective)
