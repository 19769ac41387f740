"""The solve strategies: the employee-by-employee path for very large problems, the hybrid."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

import solver.strategy as strategy
from solver import CoverDemand, ShiftRequest, Status, Weights, solve
from solver.validate import validate
from tests.solver.solver_helpers import DAY, NIGHT, check_result, problem, staff


def _mid() -> object:
    people = tuple(staff(f"S{i}", max_consecutive=5, min_consecutive=2, min_consecutive_off=2,
                         max_weekends=2, min_minutes=10 * 480, max_minutes=20 * 600,
                         max_shifts={"N": 6})
                   for i in range(8))
    demands = tuple(CoverDemand(d, t, 2 if t == "D" else 1) for d in range(28)
                    for t in ("D", "N"))
    wishes = tuple(ShiftRequest(f"S{i}", (3 * i) % 28, "D", 2, on=i % 2 == 0) for i in range(8))
    return problem(28, people, shifts=(DAY, NIGHT), cover=demands, requests=wishes,
                   min_rest_minutes=660)


def test_huge_path_gives_a_validated_roster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(strategy, "HUGE", 0)
    p = _mid()
    seen: list[float] = []
    r = solve(p, time_limit=4, progress=lambda s, o, b: seen.append(o))
    assert r.status is Status.FEASIBLE
    rep = validate(p, r.roster)
    assert rep.feasible and rep.objective == r.objective
    assert seen and seen[-1] >= r.objective
    assert sum(v.cost for v in r.violations) == r.objective


@pytest.mark.parametrize("window_max", [400, 0])
def test_huge_path_re_solves_windows_of_small_teams_only(monkeypatch: pytest.MonkeyPatch,
                                                          window_max: int) -> None:
    from solver.lns import StaffLNS
    from solver.window import WindowSearch

    monkeypatch.setattr(strategy, "HUGE", 0)
    monkeypatch.setattr(strategy, "WINDOW_MAX", window_max)
    calls = {"window": 0, "best": 0}
    window_step, best_step = WindowSearch.step, StaffLNS.improve_one

    def counted(kind: str, step):  # noqa: ANN001, ANN202
        def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            calls[kind] += 1
            return step(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(WindowSearch, "step", counted("window", window_step))
    monkeypatch.setattr(StaffLNS, "improve_one", counted("best", best_step))
    p = _mid()  # 8 staff, 2 shift types
    r = solve(p, time_limit=4)
    assert r.status is Status.FEASIBLE
    rep = validate(p, r.roster)
    assert rep.feasible and rep.objective == r.objective
    assert calls["best"] > 0
    assert (calls["window"] > 0) == (window_max > 0)


def test_huge_path_uses_a_feasible_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    p = _mid()
    first = solve(p, time_limit=3)
    monkeypatch.setattr(strategy, "HUGE", 0)
    again = solve(p, time_limit=2, hint=first.roster)
    assert again.status.has_roster and again.objective <= first.objective


def test_hybrid_path_gives_a_validated_roster_and_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fairness makes the objective non-separable: CP-SAT first, then the LNS."""
    monkeypatch.setattr(strategy, "SMALL", 0)
    # CP-SAT stops at its first roster, the LNS goes on from there
    monkeypatch.setattr(strategy, "BOUND_PARAMETERS",
                        {**strategy.BOUND_PARAMETERS, "stop_after_first_solution": True})
    p = replace(_mid(), weights=Weights(fairness_nights=2))
    seen: list[float] = []
    r = solve(p, time_limit=4, progress=lambda s, o, b: seen.append(o))
    check_result(p, r)
    assert len(seen) >= 2 and seen[-1] == r.objective < seen[0]


def test_parallel_construction_gives_a_validated_roster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(strategy, "HUGE", 0)
    monkeypatch.setattr(strategy, "PARALLEL_SIZE", 0)
    p = _mid()
    r = solve(p, time_limit=5)
    assert r.status is Status.FEASIBLE
    rep = validate(p, r.roster)
    assert rep.feasible and rep.objective == r.objective


def test_parallel_construction_rows_are_feasible() -> None:
    from solver.lns import StaffLNS

    p = _mid()
    lns = StaffLNS(p, 0, lambda cp: None, workers=2)
    roster = lns.construct_parallel(time.monotonic() + 8, lambda: False)
    assert roster is not None and list(roster) == [s.id for s in p.staff]
    assert validate(p, roster).feasible
