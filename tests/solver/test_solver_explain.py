"""Infeasibility explained in words, stop from another thread, progress callback."""

from __future__ import annotations

import threading
import time

from solver import CoverDemand, RosterSolver, Status, solve
from solver.problem import Pin
from tests.solver.solver_helpers import DAY, NIGHT, cover, problem, staff


def test_minimum_minutes_against_days_off() -> None:
    martin = staff("M", name="Nurse Martin", min_minutes=3360, days_off=frozenset(range(9)))
    r = solve(problem(14, (martin, staff("B")), cover=cover(14)), time_limit=10)
    assert r.status is Status.INFEASIBLE
    assert r.roster == {}
    [conflict] = r.conflicts
    assert conflict.staff == "M"
    assert set(conflict.rules) == {"min_total_minutes", "days_off"}
    assert conflict.message.startswith(
        "Nurse Martin cannot meet the minimum of 3360 minutes: 9 of 14 days are fixed days off")
    assert r.explanation == [conflict.message]


def test_hard_cover_needs_a_skill() -> None:
    people = (staff("A", days_off=frozenset({3})),
              staff("B", name="Bernard", skills=frozenset({"X"}), days_off=frozenset({3})),
              staff("C"))
    demands = (CoverDemand(3, "N", 1, skill="X"),)
    soft = solve(problem(7, people, shifts=(DAY, NIGHT), cover=demands), time_limit=10)
    assert soft.status is Status.OPTIMAL and soft.objective == 100
    r = solve(problem(7, people, shifts=(DAY, NIGHT), cover=demands, cover_hard=True),
              time_limit=10)
    assert r.status is Status.INFEASIBLE
    [conflict] = r.conflicts
    assert conflict.message.startswith(
        "Day 3 shift N needs 1 staff with skill X: nobody qualified is available")
    assert "Bernard: fixed day off on day 3" in conflict.message
    assert 3 in conflict.days


def test_hard_cover_with_pins_names_the_pin() -> None:
    people = (staff("A"), staff("B"))
    p = problem(3, people, cover=(CoverDemand(1, "D", 2),), cover_hard=True,
                pins=(Pin("A", 1, None),))
    r = solve(p, time_limit=10)
    assert r.status is Status.INFEASIBLE
    [conflict] = r.conflicts
    assert "pin" in conflict.rules and "A: is pinned off on day 1" in conflict.message


def test_several_independent_conflicts() -> None:
    people = (staff("A", min_minutes=5 * 480, days_off=frozenset(range(4))),
              staff("B", max_weekends=0, min_minutes=6 * 480))
    r = solve(problem(7, people, cover=cover(7)), time_limit=10)
    assert r.status is Status.INFEASIBLE
    assert {c.staff for c in r.conflicts} == {"A", "B"}
    text = " ".join(r.explanation)
    assert "B cannot meet the minimum of 2880 minutes: may work at most 0 of 1 weekends" in text


def _big() -> object:
    people = tuple(staff(f"S{i}", max_consecutive=4, min_consecutive=2, min_consecutive_off=2,
                         max_weekends=2, min_minutes=8 * 480, max_minutes=18 * 480)
                   for i in range(25))
    demands = tuple(CoverDemand(d, t, 3 + (d * 7 + len(t)) % 4) for d in range(28)
                    for t in ("D", "N"))
    return problem(28, people, shifts=(DAY, NIGHT), cover=demands, min_rest_minutes=660)


def test_stop_from_another_thread_and_progress() -> None:
    seen: list[tuple[float, float, float]] = []
    rs = RosterSolver(_big(), time_limit=60, progress=lambda *a: seen.append(a))
    timer = threading.Timer(1.5, rs.stop)
    start = time.monotonic()
    timer.start()
    r = rs.solve()
    assert time.monotonic() - start < 10
    assert r.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert seen and all(b <= o + 1e-6 for _, o, b in seen)
    assert r.objective <= min(o for _, o, _ in seen)  # true cost: no idle cover slack


def test_stop_event() -> None:
    stop = threading.Event()
    stop.set()
    r = solve(_big(), time_limit=60, stop=stop)
    assert r.seconds < 10
