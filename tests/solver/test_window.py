"""Window re-solves for huge problems: every rule over the whole horizon kept, costs exact."""

from __future__ import annotations

import time
from dataclasses import replace

from hypothesis import HealthCheck, given, settings

from solver import CoverDemand, Pin, RosterProblem, ShiftRequest, Weights
from solver.lns import Coverage, StaffLNS
from solver.result import Roster
from solver.validate import validate
from solver.window import WindowSearch
from tests.solver.solver_helpers import DAY, NIGHT, problem, staff
from tests.solver.test_solver_validate import problems


def _team(days: int = 35) -> RosterProblem:
    """Five weeks, starting on a Wednesday, with every horizon-wide limit and a history."""
    people = tuple(staff(f"S{i}", max_consecutive=5, min_consecutive=2, min_consecutive_off=2,
                         max_weekends=3, min_minutes=12 * 480, max_minutes=20 * 600,
                         max_shifts={"N": 6}, skills=frozenset({"x"}) if i < 3 else frozenset(),
                         days_off=frozenset({(7 * i + 3) % days}))
                   for i in range(7))
    demands = tuple(CoverDemand(d, t, 2 if t == "D" else 1) for d in range(days)
                    for t in ("D", "N"))
    skilled = tuple(CoverDemand(d, "D", 1, skill="x") for d in range(0, days, 2))
    wishes = tuple(ShiftRequest(f"S{i}", (5 * i + 2) % days, "D", 2, on=i % 2 == 0)
                   for i in range(7))
    history = {"S0": ("D", "D", "D", "D"), "S1": ("N", None), "S2": (None, "N")}
    return problem(days, people, shifts=(DAY, NIGHT), cover=demands + skilled,
                   requests=wishes, min_rest_minutes=660, start_weekday=2, history=history,
                   pins=(Pin("S3", 10, "N"), Pin("S4", 20, None)))


def _first(p: RosterProblem) -> Roster | None:
    return StaffLNS(p, 0, lambda cp: None).construct(time.monotonic() + 30, lambda: False)


def _check_steps(p: RosterProblem, roster: Roster, steps: int, seconds: float) -> int:
    """Run window steps; after each the roster is valid and its cost moved by what was said."""
    cost = validate(p, roster).objective
    search = WindowSearch(p, 0, lambda cp: None)
    cov = Coverage(p, roster)
    gained = 0
    for _ in range(steps):
        delta = search.step(roster, seconds, cov)
        report = validate(p, roster)
        assert report.feasible, report.breaches
        assert delta <= 0 and report.objective == cost + delta
        assert cov.count == Coverage(p, roster).count  # kept up to date
        cost += delta
        gained -= delta
    return gained


def test_windows_keep_every_rule_and_improve_a_blind_roster() -> None:
    p = _team()
    roster = _first(p)
    assert roster is not None
    before = validate(p, roster).objective
    gained = _check_steps(p, roster, 25, 5.0)
    assert gained > 0 and validate(p, roster).objective < before
    assert roster["S3"][10] == "N" and roster["S4"][20] is None  # pins hold


def test_a_window_is_its_own_problem_with_the_rest_fixed() -> None:
    p = _team()
    roster = _first(p)
    assert roster is not None
    search = WindowSearch(p, 0, lambda cp: None)
    sub = search.window(roster, 5, 12, ["S0", "S5"])  # Monday 5 .. Sunday 11, then pinned days
    assert sub.start_weekday == 0 and sub.days == 7 + search.extra
    assert [st.id for st in sub.staff] == ["S0", "S5"]
    assert {c.day for c in sub.cover} == set(range(7))  # cover of the window only
    pinned = {(q.staff, q.day) for q in sub.pins}
    assert pinned == {(sid, d) for sid in ("S0", "S5") for d in range(7, sub.days)}
    # the rows as they stand cost the same in the window's problem, whatever the others do
    here = {sid: roster[sid][5:5 + sub.days] for sid in ("S0", "S5")}
    assert validate(sub, here).feasible
    s0 = sub.staff[0]
    outside = [c for d, c in enumerate(roster["S0"]) if not 5 <= d < 5 + sub.days and c]
    assert s0.max_shifts["N"] == 6 - outside.count("N")
    assert s0.max_minutes == 20 * 600 - sum(480 if c == "D" else 600 for c in outside)


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_window_steps_never_break_a_rule_on_random_problems(p: RosterProblem) -> None:
    p = replace(p, weights=Weights(change=p.weights.change), cover_hard=False)
    roster = _first(p)
    if roster is None:  # someone has no valid row at all
        return
    _check_steps(p, roster, 4, 5.0)
