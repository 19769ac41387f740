"""Each rule on a tiny instance where it binds and the optimum is known."""

from __future__ import annotations

from solver import CoverDemand, Pin, ShiftRequest, ShiftType, Weights
from solver.validate import validate
from tests.solver.solver_helpers import DAY, NIGHT, cover, problem, rows, solved, staff


def test_cover_under_and_over() -> None:
    assert solved(problem(7)).objective == 0
    assert solved(problem(7, cover=cover(7, req=2))).objective == 700
    r = solved(problem(7, cover=cover(7, req=0)))
    assert r.objective == 0 and rows(r)["A"] == "......."


def test_max_consecutive_shifts() -> None:
    r = solved(problem(7, (staff("A", max_consecutive=3),)))
    assert r.objective == 100
    assert "...." not in rows(r)["A"] and "DDDD" not in rows(r)["A"]


def test_min_consecutive_shifts() -> None:
    demands = tuple(CoverDemand(d, "D", 1 if d == 3 else 0) for d in range(7))
    assert solved(problem(7, (staff("A"),), cover=demands)).objective == 0
    r = solved(problem(7, (staff("A", min_consecutive=3),), cover=demands))
    assert r.objective == 2  # a block of 3 around day 3: two extra shifts


def test_min_consecutive_days_off() -> None:
    r = solved(problem(7, (staff("A", min_consecutive_off=3, days_off=frozenset({3})),)))
    assert r.objective == 300
    row = rows(r)["A"]  # one block of 3 days off holding day 3 (DD...DD, D...DDD or DDD...D)
    assert row.count(".") == 3 and row[3] == "." and "..." in row


def test_max_weekends() -> None:
    r = solved(problem(14, (staff("A", max_weekends=1),), cover=cover(14)))
    assert r.objective == 200


def test_days_off() -> None:
    r = solved(problem(7, (staff("A", days_off=frozenset({2})),)))
    assert r.objective == 100 and rows(r)["A"][2] == "."


def test_max_shifts_per_type() -> None:
    p = problem(3, (staff("A", max_shifts={"N": 1}),), shifts=(DAY, NIGHT),
                cover=cover(3, "N"))
    assert solved(p).objective == 200


def test_shift_not_allowed() -> None:
    p = problem(3, (staff("A", max_shifts={"N": 0}),), shifts=(DAY, NIGHT), cover=cover(3, "N"))
    r = solved(p)
    assert r.objective == 300 and "N" not in rows(r)["A"]


def test_min_total_minutes() -> None:
    r = solved(problem(7, (staff("A", min_minutes=3 * 480),), cover=cover(7, req=0)))
    assert r.objective == 3


def test_max_total_minutes() -> None:
    assert solved(problem(3, (staff("A", max_minutes=960),), cover=cover(3))).objective == 100


def test_cannot_follow() -> None:
    night = ShiftType("N", 600, cannot_follow=("D",))
    demands = (CoverDemand(0, "N", 1), CoverDemand(1, "D", 1))
    assert solved(problem(2, shifts=(DAY, night), cover=demands)).objective == 100
    assert solved(problem(2, shifts=(DAY, NIGHT), cover=demands)).objective == 0


def test_min_rest_derives_successions() -> None:
    demands = (CoverDemand(0, "N", 1), CoverDemand(1, "D", 1))
    p = problem(2, shifts=(DAY, NIGHT), cover=demands, min_rest_minutes=11 * 60)
    assert p.forbidden_successions() == {("N", "D"): 1}
    assert solved(p).objective == 100
    # D then N the next day leaves 30 hours of rest: allowed
    ok = problem(2, shifts=(DAY, NIGHT), min_rest_minutes=660,
                 cover=(CoverDemand(0, "D", 1), CoverDemand(1, "N", 1)))
    assert solved(ok).objective == 0


def test_max_minutes_per_7_days() -> None:
    p = problem(7, cover=cover(7), max_minutes_per_7_days=6 * 480)
    assert solved(p).objective == 100


def test_history_max_consecutive_and_7_days() -> None:
    people = (staff("A", max_consecutive=3),)
    assert solved(problem(7, people)).objective == 100
    r = solved(problem(7, people, history={"A": ("D", "D", "D")}))
    assert r.objective == 200 and rows(r)["A"][0] == "."
    r = solved(problem(7, history={"A": ("D",) * 6}, max_minutes_per_7_days=6 * 480))
    assert rows(r)["A"][0] == "."


def test_history_rotation_and_min_consecutive() -> None:
    night = ShiftType("N", 600, cannot_follow=("D",))
    p = problem(1, shifts=(DAY, night), cover=(CoverDemand(0, "D", 1),), history={"A": ("N",)})
    assert solved(p).objective == 100
    idle = cover(7, req=0)
    assert solved(problem(7, (staff("A", min_consecutive=2),), cover=idle)).objective == 0
    r = solved(problem(7, (staff("A", min_consecutive=2),), cover=idle,
                       history={"A": (None, "D")}))
    assert r.objective == 1 and rows(r)["A"] == "D......"


def test_history_min_rest() -> None:
    p = problem(1, shifts=(DAY, NIGHT), cover=(CoverDemand(0, "D", 1),),
                history={"A": ("N",)}, min_rest_minutes=660)
    assert solved(p).objective == 100


def test_pins() -> None:
    r = solved(problem(7, pins=(Pin("A", 2, None),)))
    assert r.objective == 100 and rows(r)["A"][2] == "."
    r = solved(problem(7, cover=cover(7, req=0), pins=(Pin("A", 4, "D"),)))
    assert r.objective == 1 and rows(r)["A"] == "....D.."


def test_skills() -> None:
    people = (staff("A"), staff("B", skills=frozenset({"nurse"}), days_off=frozenset({1})))
    demands = cover(3, req=1, skill="nurse")
    r = solved(problem(3, people, cover=demands))
    # A is free every day but is not a nurse: day 1 stays short whatever A works
    assert r.objective == 100
    assert [v.day for v in r.violations] == [1]
    assert rows(r)["B"] == "D.D"


def test_requests() -> None:
    on = (ShiftRequest("A", 0, "D", 3, on=True),)
    demands = tuple(CoverDemand(d, "D", 0) for d in range(2))
    r = solved(problem(2, cover=demands, requests=on))
    assert r.objective == 1 and rows(r)["A"] == "D."
    off = (ShiftRequest("A", 1, "D", 2, on=False),)
    r = solved(problem(2, cover=cover(2), requests=off))
    assert r.objective == 2
    assert [v.rule for v in r.violations] == ["shift_off_request"]


def test_fairness_nights() -> None:
    people = (staff("A"), staff("B"), staff("C", max_shifts={"N": 0}))
    demands = cover(4, "N")
    plain = solved(problem(4, people, shifts=(DAY, NIGHT), cover=demands,
                           requests=tuple(ShiftRequest("A", d, "N", 1) for d in range(4))))
    assert rows(plain)["A"] == "NNNN"
    fair = solved(problem(4, people, shifts=(DAY, NIGHT), cover=demands,
                          requests=tuple(ShiftRequest("A", d, "N", 1) for d in range(4)),
                          weights=Weights(fairness_nights=5)))
    assert rows(fair)["A"].count("N") == 2 and rows(fair)["B"].count("N") == 2
    assert fair.objective == 2


def test_fairness_weekends() -> None:
    people = (staff("A"), staff("B"))
    wishes = tuple(ShiftRequest("A", d, "D", 1) for d in (5, 6, 12, 13))
    demands = cover(14, req=1)
    r = solved(problem(14, people, cover=demands, requests=wishes,
                       weights=Weights(fairness_weekends=5)))
    assert r.objective == 2
    assert {v.rule for v in r.violations} <= {"shift_on_request", "cover_over"}


def test_minimal_change_after_sick_leave() -> None:
    people = tuple(staff(s, max_consecutive=5) for s in "ABCD")
    # two people every day: A and B five days on, two off; C and D on the other days
    week = {"A": "DDDDD..", "B": "DDDDD..", "C": ".....DD", "D": ".....DD"}
    ref = {s: [c if c != "." else None for c in row * 2] for s, row in week.items()}
    base = problem(14, people, cover=cover(14, req=2))
    assert validate(base, ref).objective == 0
    sick = frozenset({0, 1})
    people2 = (staff("A", max_consecutive=5, days_off=sick), *people[1:])
    # without the reference many equally good rosters exist; with it only the sick days move
    again = solved(problem(14, people2, cover=cover(14, req=2), reference=ref,
                           weights=Weights(change=1)))
    changed = [(s, d) for s in "ABCD" for d in range(14) if again.roster[s][d] != ref[s][d]]
    assert {d for _, d in changed} <= set(sick)
    assert len(changed) == again.objective == 4
    assert all(again.roster["A"][d] is None for d in sick)
