"""Structured LNS over the whole model: every kept roster is valid and cheaper, it reaches the
optimum of a small problem, it keeps pins and history, and it stops at a proven bound."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from ortools.sat.python import cp_model

from solver import CoverDemand, Pin, ShiftRequest, Weights
from solver.colgen import ColumnGeneration
from solver.guide import Guide
from solver.lns import Coverage, StaffLNS
from solver.neighbourhoods import RosterLNS, search_parallel
from solver.problem import RosterProblem
from solver.result import Roster
from solver.roster import build_model
from solver.validate import validate
from tests.solver.solver_helpers import DAY, NIGHT, problem, solved, staff


def _team(days: int = 21, **kw: object) -> RosterProblem:
    people = tuple(staff(f"S{i}", max_consecutive=5, min_consecutive=2, min_consecutive_off=2,
                         max_weekends=2, min_minutes=8 * 480, max_minutes=14 * 600,
                         max_shifts={"N": 5})
                   for i in range(6))
    demands = tuple(CoverDemand(d, t, 2 if t == "D" else 1) for d in range(days)
                    for t in ("D", "N"))
    wishes = tuple(ShiftRequest(f"S{i}", (5 * i) % days, "D", 3, on=i % 2 == 0)
                   for i in range(6))
    kw.setdefault("cover", demands)
    return problem(days, people, shifts=(DAY, NIGHT), requests=wishes, min_rest_minutes=660,
                   **kw)


def _first(p: RosterProblem) -> tuple[Roster, int]:
    """A poor but valid roster: employee by employee, each blind to the others' needs."""
    roster = StaffLNS(p, 0, lambda cp: None).construct(time.monotonic() + 30, lambda: False)
    assert roster is not None
    rep = validate(p, roster)
    assert rep.feasible
    return roster, rep.objective


def _watch_steps(monkeypatch: pytest.MonkeyPatch,
                 seen: Callable[..., object]) -> None:
    """Call ``seen(roster, found, deep, began, other)`` after every step of any RosterLNS (in
    the thread that stepped; ``began`` is when the step started, ``other`` the roster crossed
    with, if any)."""
    step = RosterLNS.step

    def watched(self: RosterLNS, roster: Roster, cost: int, seconds: float,  # noqa: ANN202
                deep: bool = False, other: Roster | None = None):
        began = time.monotonic()
        found = step(self, roster, cost, seconds, deep, other)
        seen(roster, found, deep, began, other)
        return found

    monkeypatch.setattr(RosterLNS, "step", watched)


def _steps(p: RosterProblem, roster: Roster, cost: int, n: int) -> tuple[Roster, int, list]:
    lns = RosterLNS(build_model(p), 0, lambda cp: None)
    kept = []
    for _ in range(n):
        # generous per-step time: these parts are solved in milliseconds
        found = lns.step(roster, cost, 10.0)
        if found is not None:
            kept.append(found)
            roster, cost = found
    return roster, cost, kept


def test_every_kept_roster_is_valid_and_cheaper() -> None:
    p = _team()
    roster, cost = _first(p)
    final, final_cost, kept = _steps(p, roster, cost, 25)
    assert kept, "no step improved a blind construction"
    previous = cost
    for r, c in kept:
        rep = validate(p, r)
        assert rep.feasible, rep.breaches
        assert rep.objective == c < previous
        previous = c
    assert final_cost < cost


def test_reaches_the_proven_optimum_of_a_small_problem() -> None:
    p = _team(14)
    best = solved(p).objective
    roster, cost = _first(p)
    assert cost > best
    _, final_cost, _ = _steps(p, roster, cost, 60)
    assert final_cost == best


def test_keeps_pins_history_and_fairness() -> None:
    p = _team(14)
    pins = (Pin("S0", 3, "N"), Pin("S1", 4, None), Pin("S2", 0, "D"))
    p = _team(14, pins=pins, history={"S3": ("D", "D", "D", "D", "D")},
              weights=Weights(fairness_nights=7, fairness_weekends=5))
    roster, cost = _first(p)
    final, final_cost, kept = _steps(p, roster, cost, 25)
    assert kept
    rep = validate(p, final)
    assert rep.feasible and rep.objective == final_cost
    assert final["S0"][3] == "N" and final["S1"][4] is None and final["S2"][0] == "D"
    assert final["S3"][0] is None  # a sixth working day in a row is not allowed


def test_parallel_search_stops_at_the_bound_and_on_request() -> None:
    p = _team(14)
    built = build_model(p)
    roster, cost = _first(p)
    start = time.monotonic()
    same, same_cost = search_parallel(built, roster, cost, start + 60, lambda: False,
                                      lambda cp: None, floor=cost)
    assert (same, same_cost) == (roster, cost)
    stopped, stopped_cost = search_parallel(built, roster, cost, start + 60, lambda: True,
                                            lambda cp: None)
    assert (stopped, stopped_cost) == (roster, cost)


def test_parallel_search_improves_with_two_threads() -> None:
    p = _team()
    built = build_model(p)
    roster, cost = _first(p)
    seen: list[int] = []
    final, final_cost = search_parallel(built, roster, cost, time.monotonic() + 2,
                                        lambda: False, lambda cp: None, threads=2,
                                        improved=lambda r, c: seen.append(c))
    rep = validate(p, final)
    assert rep.feasible and rep.objective == final_cost < cost
    assert seen == sorted(seen, reverse=True) and seen[-1] == final_cost


def test_threads_go_apart_once_the_best_roster_stalls(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import solver.neighbourhoods as nb

    monkeypatch.setattr(nb, "SPLIT_AFTER", 0.0)  # apart from the first step
    steps: dict[int, list[tuple[Roster, tuple[Roster, int] | None]]] = {}
    _watch_steps(monkeypatch, lambda roster, found, deep, began, other: steps.setdefault(
        threading.get_ident(), []).append((roster, found)))
    p = _team()
    roster, cost = _first(p)
    final, final_cost = search_parallel(build_model(p), roster, cost, time.monotonic() + 2,
                                        lambda: False, lambda cp: None, threads=2)
    assert len(steps) == 2
    found_costs = []
    for seen in steps.values():
        own = roster  # each thread walks from its own last roster, never the other's
        for base, found in seen:
            assert base == own
            if found is not None:
                own = found[0]
                found_costs.append(found[1])
    rep = validate(p, final)
    assert rep.feasible and rep.objective == final_cost == min(found_costs) < cost


def test_a_deep_step_frees_every_employee_on_a_run_of_days(monkeypatch: pytest.MonkeyPatch) -> None:
    import solver.neighbourhoods as nb

    p = _team(14)
    best = solved(p).objective
    roster, cost = _first(p)
    monkeypatch.setattr(nb, "DEEP_DAYS", 7)
    lns = RosterLNS(build_model(p), 0, lambda cp: None)
    found = lns.step(roster, cost, 10.0, deep=True)
    if found is not None:  # each employee's row changed within a week of days
        for st in p.staff:
            changed = [d for d in range(p.days) if found[0][st.id][d] != roster[st.id][d]]
            assert not changed or changed[-1] - changed[0] < 7
        assert validate(p, found[0]).objective == found[1] < cost
    monkeypatch.setattr(nb, "DEEP_DAYS", 14)  # the whole horizon: the problem's optimum
    found = lns.step(roster, cost, 10.0, deep=True)
    assert found is not None and found[1] == best
    assert validate(p, found[0]).feasible


def test_a_crossing_step_mixes_two_rosters_where_they_differ() -> None:
    p = _team(14)
    best = solved(p)
    assert best.roster is not None
    roster, cost = _first(p)
    lns = RosterLNS(build_model(p), 0, lambda cp: None)
    found = lns.step(roster, cost, 10.0, other=best.roster)
    assert found is not None and found[1] == best.objective < cost
    assert validate(p, found[0]).objective == found[1]
    agreed = [(st.id, d) for st in p.staff for d in range(p.days)
              if roster[st.id][d] == best.roster[st.id][d]]
    assert agreed, "a blind construction and the optimum should share some cells"
    assert all(found[0][sid][d] == roster[sid][d] for sid, d in agreed)
    # crossing with itself frees nothing: nothing cheaper
    assert lns.step(best.roster, best.objective, 10.0, other=best.roster) is None


@pytest.mark.parametrize("max_cells", [10_000, 100])
def test_threads_apart_cross_their_rosters(monkeypatch: pytest.MonkeyPatch, max_cells: int) -> None:
    import solver.neighbourhoods as nb

    monkeypatch.setattr(nb, "SPLIT_AFTER", 0.0)
    monkeypatch.setattr(nb, "CROSS", 0.5)
    monkeypatch.setattr(nb, "CROSS_MAX_CELLS", max_cells)  # the team has 6 x 21 = 126 cells
    crossings: list[tuple[Roster, Roster, tuple[Roster, int] | None]] = []
    _watch_steps(monkeypatch, lambda roster, found, deep, began, other: other is not None
                 and crossings.append((roster, other, found)))
    p = _team()
    roster, cost = _first(p)
    final, final_cost = search_parallel(build_model(p), roster, cost, time.monotonic() + 3,
                                        lambda: False, lambda cp: None, threads=2)
    if max_cells < 126:
        assert not crossings, "no crossing on a roster larger than CROSS_MAX_CELLS"
    else:
        assert crossings, "threads apart with different rosters should cross them"
    for mine, theirs, found in crossings:
        assert mine != theirs
        if found is not None:
            assert validate(p, found[0]).objective == found[1]
            # only cells where the two rosters differ may change
            assert all(found[0][sid][d] == mine[sid][d] for sid in mine for d in range(p.days)
                       if mine[sid][d] == theirs[sid][d])
    rep = validate(p, final)
    assert rep.feasible and rep.objective == final_cost < cost


def test_a_stalled_search_takes_deep_steps_now_and_then(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import solver.neighbourhoods as nb

    monkeypatch.setattr(nb, "DEEP_AFTER", 0.5)
    deep_steps: dict[int, list[float]] = {}
    _watch_steps(monkeypatch, lambda roster, found, deep, began, other: deep and deep_steps.setdefault(
        threading.get_ident(), []).append(began))
    p = _team(14)
    best = solved(p)
    assert best.roster is not None
    start = time.monotonic()
    # the optimum: no step can improve it, so the search stalls from the start
    final, final_cost = search_parallel(build_model(p), best.roster, best.objective,
                                        start + 2.5, lambda: False, lambda cp: None, threads=2)
    assert final_cost == best.objective
    assert len(deep_steps) == 2, "each stalled thread takes deep steps"
    for times in deep_steps.values():
        assert times[0] - start >= 0.5
        # one deep step per DEEP_AFTER seconds at most
        assert all(b - a >= 0.5 for a, b in zip(times, times[1:], strict=False))
        assert len(times) <= 5


def _guide(p: RosterProblem) -> Guide:
    roster, _ = _first(p)
    cg = ColumnGeneration(p, workers=2)
    cg.add_roster(roster)
    cg.run(time.monotonic() + 10)
    duals = cg.master.solve()
    assert duals is not None
    return Guide(cg.master, duals)


@pytest.mark.parametrize("kind", ["staff", "days", "block", "pair", "guided_staff", "guided_block",
                                  "relaxed_staff"])
def test_each_kind_frees_a_part_of_the_roster(kind: str) -> None:
    p = _team()
    guide = _guide(p) if kind.startswith(("guided", "relaxed")) else None
    lns = RosterLNS(build_model(p), 1, lambda cp: None, guide)
    roster, _ = _first(p)
    cells = lns._cells(kind, roster)
    assert 0 < len(cells) < len(p.staff) * p.days
    assert all(0 <= s < len(p.staff) and 0 <= d < p.days for s, d in cells)


def test_guided_parts_favour_what_carries_the_reduced_costs() -> None:
    lns = RosterLNS(build_model(_team()), 3, lambda cp: None)
    picks = [lns._weighted([0.0, 0.0, 100.0, 0.0, 1.0], 1)[0] for _ in range(200)]
    assert picks.count(2) > 180
    assert set(picks) - {2}, "a part without reduced cost must still be drawn sometimes"
    assert sorted(lns._weighted([1.0] * 6, 6)) == list(range(6))


def test_guided_search_keeps_every_roster_valid() -> None:
    p = _team()
    roster, cost = _first(p)
    guide = _guide(p)  # before the clock starts: column generation takes up to 10 s
    final, final_cost = search_parallel(build_model(p), roster, cost, time.monotonic() + 2,
                                        lambda: False, lambda cp: None, guide=guide)
    rep = validate(p, final)
    assert rep.feasible and rep.objective == final_cost < cost


def test_narrowed_model_gives_each_cell_only_the_relaxations_shifts_or_its_own() -> None:
    p = _team()
    guide = _guide(p)
    roster, cost = _first(p)
    built = build_model(p)
    narrow = guide.narrowed(built, roster)
    idx = p.shift_index

    def allowed(s: int, d: int, shift: str | None) -> bool:
        return shift is None or shift == roster[p.staff[s].id][d] or (d, idx[shift]) in guide.share[s]

    closed = [(s, d, p.shifts[t].id) for s in range(len(p.staff)) for d in range(p.days)
              for t in built.ctx.vars.x[s][d] if not allowed(s, d, p.shifts[t].id)]
    assert closed, "the relaxation should leave some cells' shifts out on this team"
    final, final_cost = search_parallel(narrow, roster, cost, time.monotonic() + 2,
                                        lambda: False, lambda cp: None, guide=guide)
    rep = validate(p, final)
    assert rep.feasible and rep.objective == final_cost <= cost
    for s, st in enumerate(p.staff):
        assert all(allowed(s, d, shift) for d, shift in enumerate(final[st.id]))
    # the narrowed model closes those cells' shifts; the whole model keeps them open
    for s, d, shift in closed:
        i = built.ctx.vars.x[s][d][idx[shift]].index
        assert list(narrow.model.proto.variables[i].domain) == [0, 0]
        assert list(built.model.proto.variables[i].domain) == [0, 1]


def test_parallel_search_gives_up_once_it_stalls_for_its_patience() -> None:
    p = _team(14)
    best = solved(p)
    started = time.monotonic()
    same, same_cost = search_parallel(build_model(p), best.roster, best.objective,
                                      started + 120, lambda: False, lambda cp: None,
                                      patience=0.5)
    assert (same, same_cost) == (best.roster, best.objective)
    assert time.monotonic() - started < 60, "a stalled search must not wait for its deadline"


def test_pair_kind_frees_everybody_around_a_short_and_an_over_staffed_day() -> None:
    p = _team(21, cover=(CoverDemand(3, "D", 2), CoverDemand(17, "N", 1)))
    lns = RosterLNS(build_model(p), 5, lambda cp: None)
    roster = {st.id: [None] * p.days for st in p.staff}
    roster["S0"][17] = roster["S1"][17] = "N"  # day 3 short of 2, day 17 one too many
    assert Coverage(p, roster).gaps() == ([3], [17])
    lns.share["pair"] = 0.1  # two windows of two days (the least), each ending on its day
    assert lns._cells("pair", roster) == {(s, d) for s in range(len(p.staff))
                                          for d in (2, 3, 16, 17)}


def test_a_relaxed_step_looks_first_where_the_relaxation_works(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A relaxed step frees the rows of some staff and hints them with the relaxation's rounded
    rows, not with their own; it keeps every hard rule. Only rosters of at most
    RELAXED_MAX_CELLS cells draw that kind."""
    import solver.neighbourhoods as nb

    p = _team()
    guide = _guide(p)
    roster, cost = _first(p)
    built = build_model(p)
    hints: list[dict[int, int]] = []
    solve_part = nb.solve_part

    def watched(model, *args, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        hint = model.proto.solution_hint
        hints.append(dict(zip(hint.vars, hint.values, strict=True)))
        return solve_part(model, *args, **kw)

    monkeypatch.setattr(nb, "solve_part", watched)
    lns = RosterLNS(built, 0, lambda cp: None, guide)
    assert "relaxed_staff" in lns.kinds
    found = lns.step(roster, cost, 10.0, kind="relaxed_staff")
    assert found is not None
    rep = validate(p, found[0])
    assert rep.feasible and rep.objective == found[1] < cost
    hint = hints[-1]
    x = built.ctx.vars.x
    idx = p.shift_index
    freed = [s for s in range(len(p.staff)) if all(
        lit.index in hint for day in x[s] for lit in day.values())]
    assert freed and len(freed) < len(p.staff)  # whole rows of some staff, not all
    own = relaxed = 0
    for s in freed:
        row = roster[p.staff[s].id]
        for d, day in enumerate(x[s]):
            want = guide.rounded(s, d)
            for t, lit in day.items():
                assert hint[lit.index] == int(t == want)
            own += want != (None if row[d] is None else idx[row[d]])
            relaxed += want is not None
    assert own and relaxed, "the relaxation's rows differ from the blind roster's"
    monkeypatch.setattr(nb, "RELAXED_MAX_CELLS", len(p.staff) * p.days - 1)
    assert "relaxed_staff" not in RosterLNS(built, 0, lambda cp: None, guide).kinds


def test_relaxed_steps_are_drawn_as_often_as_their_weight(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a small roster with a guide, a step is relaxed about RELAXED_WEIGHT times as often as
    any other kind (a third of the steps with weight 3 beside six other kinds)."""
    import solver.neighbourhoods as nb

    p = _team()
    guide = _guide(p)
    roster, cost = _first(p)
    lns = RosterLNS(build_model(p), 5, lambda cp: None, guide)
    drawn: list[str] = []
    cells = RosterLNS._cells

    def watched(self: RosterLNS, kind: str, r: Roster) -> set[tuple[int, int]]:
        drawn.append(kind)
        return cells(self, kind, r)

    monkeypatch.setattr(RosterLNS, "_cells", watched)
    monkeypatch.setattr(nb, "solve_part", lambda *a, **kw: (cp_model.INFEASIBLE, None))
    for _ in range(270):
        assert lns.step(roster, cost, 1.0) is None
    others = set(drawn) - {"relaxed_staff"}
    assert others == {"staff", "days", "block", "pair", "guided_staff", "guided_block"}
    relaxed = drawn.count("relaxed_staff")
    assert 0.25 * len(drawn) < relaxed < 0.42 * len(drawn)
    assert all(relaxed > 2 * drawn.count(k) for k in others)
    monkeypatch.setattr(nb, "RELAXED_WEIGHT", 1)
    assert RosterLNS(build_model(p), 5, lambda cp: None, guide).kinds.count("relaxed_staff") == 1
