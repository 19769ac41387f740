"""The independent validator against the solver, on fixed and random (hypothesis) problems."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import (
    CoverDemand,
    Pin,
    RosterProblem,
    ShiftRequest,
    ShiftType,
    Staff,
    Status,
    Weights,
    solve,
)
from solver.formats.curtois import load_instance
from solver.validate import validate

FIXTURE = Path(__file__).parents[2] / "fixtures" / "solver" / "tiny.txt"


@st.composite
def problems(draw: st.DrawFn) -> RosterProblem:
    """Small random problems using every rule, with the clinic extensions drawn at random."""
    days = draw(st.sampled_from([5, 7, 9]))
    n_shifts = draw(st.integers(1, 3))
    starts = draw(st.lists(st.sampled_from([360, 420, 780, 840, 1260]), min_size=n_shifts,
                           max_size=n_shifts, unique=True))
    ids = ["D", "E", "N"][:n_shifts]
    shifts = []
    for k, sid in enumerate(ids):
        follow = draw(st.lists(st.sampled_from(ids), unique=True, max_size=2))
        shifts.append(ShiftType(sid, draw(st.sampled_from([480, 600, 720])), start=starts[k],
                                cannot_follow=tuple(follow), night=starts[k] >= 1200))
    staff = []
    n_staff = draw(st.integers(1, 4))
    for i in range(n_staff):
        sid = f"S{i}"
        maxima = {t: draw(st.integers(0, days)) for t in ids if draw(st.booleans())}
        staff.append(Staff(
            sid,
            max_shifts=maxima,
            min_minutes=draw(st.sampled_from([0, 0, 0, 480])),
            max_minutes=draw(st.sampled_from([None, 2400, 3600])),
            max_consecutive=draw(st.sampled_from([None, 2, 3, 5])),
            min_consecutive=draw(st.sampled_from([1, 1, 2, 3])),
            min_consecutive_off=draw(st.sampled_from([1, 1, 2, 3])),
            max_weekends=draw(st.sampled_from([None, None, 0, 1])),
            skills=frozenset(draw(st.lists(st.sampled_from(["x", "y"]), max_size=2))),
            days_off=frozenset(draw(st.lists(st.integers(0, days - 1), max_size=2))),
        ))
    staff_ids = [s.id for s in staff]
    requests = tuple(
        ShiftRequest(draw(st.sampled_from(staff_ids)), draw(st.integers(0, days - 1)),
                     draw(st.sampled_from(ids)), draw(st.integers(1, 3)), on=draw(st.booleans()))
        for _ in range(draw(st.integers(0, 6))))
    cover = tuple(
        CoverDemand(d, t, draw(st.integers(0, 2)), draw(st.sampled_from([0, 5, 100])),
                    draw(st.sampled_from([0, 1, 3])),
                    draw(st.sampled_from([None, None, None, "x"])))
        for d in range(days) for t in ids)
    cell = st.sampled_from([None, *ids])
    history = {s: tuple(draw(st.lists(cell, max_size=4))) for s in staff_ids
               if draw(st.booleans())}
    pins = tuple({(p.staff, p.day): p for p in (
        Pin(draw(st.sampled_from(staff_ids)), draw(st.integers(0, days - 1)), draw(cell))
        for _ in range(draw(st.integers(0, 2))))}.values())
    reference = {s: tuple(draw(st.lists(cell, min_size=days, max_size=days)))
                 for s in staff_ids if draw(st.booleans())}
    return RosterProblem(
        days=days, shifts=tuple(shifts), staff=tuple(staff), requests=requests, cover=cover,
        start_weekday=draw(st.integers(0, 6)),
        min_rest_minutes=draw(st.sampled_from([None, None, 660])),
        max_minutes_per_7_days=draw(st.sampled_from([None, None, 2880])),
        weights=Weights(draw(st.sampled_from([0, 2])), draw(st.sampled_from([0, 3])),
                        draw(st.sampled_from([0, 1]))),
        pins=pins, history=history, reference=reference,
        cover_hard=draw(st.sampled_from([False, False, False, True])),
    )


def _agree(p: RosterProblem, result_roster: dict, objective: int | None,
           violations: list) -> None:
    rep = validate(p, result_roster)
    assert rep.breaches == []
    assert rep.objective == objective
    assert sum(v.cost for v in violations) == objective
    key = sorted((v.rule, v.staff, v.day, v.shift, v.cost) for v in violations)
    assert key == sorted((v.rule, v.staff, v.day, v.shift, v.cost) for v in rep.violations)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_solver_and_validator_agree(p: RosterProblem) -> None:
    r = solve(p, time_limit=5, workers=2, explain=False)
    assert r.status is not Status.MODEL_INVALID, r.message
    if r.status.has_roster:
        _agree(p, r.roster, r.objective, r.violations)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.data())
def test_random_roster_pinned_matches_validator(p: RosterProblem, data: st.DataObject) -> None:
    """Pin every cell of a random roster: the model accepts it iff the validator does."""
    ids = [None, *(t.id for t in p.shifts)]
    base = solve(p, time_limit=5, explain=False)
    if base.status.has_roster and data.draw(st.booleans()):
        # the solver's roster with 0..2 cells changed: feasible or barely infeasible
        roster = {k: list(v) for k, v in base.roster.items()}
        for _ in range(data.draw(st.integers(0, 2))):
            sid = data.draw(st.sampled_from(sorted(roster)))
            roster[sid][data.draw(st.integers(0, p.days - 1))] = data.draw(st.sampled_from(ids))
    else:
        roster = {s.id: [data.draw(st.sampled_from(ids)) for _ in range(p.days)]
                  for s in p.staff}
    pins = tuple(Pin(sid, d, c) for sid, row in roster.items() for d, c in enumerate(row))
    pinned = replace(p, pins=pins)
    rep = validate(pinned, roster)
    r = solve(pinned, time_limit=5, workers=1, explain=False)
    if rep.feasible:
        assert r.status is Status.OPTIMAL
        assert r.roster == roster
        _agree(pinned, r.roster, r.objective, r.violations)
    else:
        assert r.status is Status.INFEASIBLE, rep.breaches


def test_fixture_instance_agrees() -> None:
    p = load_instance(FIXTURE)
    r = solve(p, time_limit=3)
    assert r.status.has_roster
    _agree(p, r.roster, r.objective, r.violations)


def test_validator_reports_breaches() -> None:
    p = load_instance(FIXTURE)
    bad = {s.id: ["N"] * p.days for s in p.staff}
    rep = validate(p, bad)
    rules = {b.rule for b in rep.breaches}
    assert {"max_consecutive", "max_weekends", "days_off", "max_shifts",
            "max_total_minutes"} <= rules
    assert not rep.feasible
    short = validate(p, {"A": ["D"], "Z": []})
    assert {"horizon", "unknown_staff"} <= {b.rule for b in short.breaches}


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_stretch_formulations_agree(p: RosterProblem) -> None:
    """Start/stop variables and clause patterns: the same optimum for the stretch rules."""
    import solver.model.rules as rules

    results = {}
    for how in ("changes", "clauses"):
        old, rules.STRETCH = rules.STRETCH, how
        try:
            results[how] = solve(p, time_limit=5, workers=1, explain=False)
        finally:
            rules.STRETCH = old
    a, b = results["changes"], results["clauses"]
    assert a.status == b.status
    if a.status is Status.OPTIMAL:
        assert a.objective == b.objective
        _agree(p, a.roster, a.objective, a.violations)
