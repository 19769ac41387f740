"""The nights' fairness cut: the LP sees an uneven split at once, and no roster is cut off."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

import solver.model.objective as objective
from solver import CoverDemand, RosterProblem, ShiftRequest, Weights
from solver.roster import build_model
from tests.solver.solver_helpers import DAY, NIGHT, cover, problem, solved, staff


def _team(nights_off: int = 0) -> RosterProblem:
    """9 nurses over 4 weeks, one night and two days a day: 28 nights cannot split evenly."""
    people = tuple(staff(f"S{i}", max_consecutive=3, max_shifts={"N": 0} if i < nights_off
                         else {}) for i in range(9 + nights_off))
    return problem(28, people, shifts=(DAY, NIGHT), cover=cover(28, "N") + cover(28, req=2),
                   weights=Weights(fairness_nights=5))


def _root_bound(p: RosterProblem) -> float:
    """CP-SAT's bound at the root (propagation and the LP with its cuts, before any search)."""
    cp = cp_model.CpSolver()
    cp.parameters.num_workers = 1
    cp.parameters.linearization_level = 2
    cp.parameters.stop_after_root_propagation = True
    cp.solve(build_model(p).model)
    return cp.best_objective_bound


def test_uneven_nights_are_priced_at_the_root() -> None:
    # 28 nights over 9 nurses: 3 or 4 each, a spread of 1 (5) unless the cover gives way
    # (a night short costs 100, eight extra nights 8); two nurses who never work nights do not
    # count. Without the cut the LP splits 28/9 evenly: its root bound is -15.
    for p in (_team(), _team(nights_off=2)):
        assert solved(p).objective == 5
        assert _root_bound(p) == 5


def test_without_the_cut_the_root_bound_misses_the_split(monkeypatch: pytest.MonkeyPatch) -> None:
    # the same measure on the model without the cut: what the cut adds
    monkeypatch.setattr(objective, "_uneven_split", lambda *args, **kw: None)
    assert _root_bound(_team()) < 5


def test_no_cut_when_a_night_is_uncovered() -> None:
    # a night without a cover requirement makes the total free: an even split costs nothing
    demands = tuple(d for d in cover(28, "N") if d.day != 3) + cover(28, req=2)
    p = problem(28, tuple(staff(f"S{i}", max_consecutive=3) for i in range(9)),
                shifts=(DAY, NIGHT), cover=demands, weights=Weights(fairness_nights=5))
    assert solved(p).objective == 0


@st.composite
def _night_problems(draw: st.DrawFn) -> RosterProblem:
    """Small teams with fairness of nights and every night covered (so the cut applies)."""
    days = draw(st.sampled_from([5, 7]))
    people = tuple(staff(f"S{i}", max_consecutive=draw(st.sampled_from([None, 2, 3])),
                         min_consecutive_off=draw(st.sampled_from([1, 2])),
                         max_shifts={"N": draw(st.sampled_from([0, 2, days, days]))})
                   for i in range(draw(st.integers(2, 5))))
    under, over = draw(st.sampled_from([5, 100])), draw(st.sampled_from([0, 1, 3]))
    demands = tuple(CoverDemand(d, t, draw(st.integers(0, 2)), under, over)
                    for d in range(days) for t in ("D", "N"))
    wishes = tuple(ShiftRequest(draw(st.sampled_from(people)).id, draw(st.integers(0, days - 1)),
                                draw(st.sampled_from(["D", "N"])), draw(st.integers(1, 4)),
                                on=draw(st.booleans()))
                   for _ in range(draw(st.integers(0, 4))))
    return problem(days, people, shifts=(DAY, NIGHT), cover=demands, requests=wishes,
                   weights=Weights(fairness_nights=draw(st.sampled_from([2, 5, 30]))))


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(_night_problems())
def test_the_cut_never_changes_the_optimum(p: RosterProblem) -> None:
    with_cut = solved(p).objective
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(objective, "_uneven_split", lambda *args, **kw: None)
        assert solved(p).objective == with_cut
