"""Soft rules: one small function each, returning named penalty terms; listed in SOFT_RULES.

Weights come from one place: per-item weights from the problem data (requests, cover) and
the clinic weights from :class:`solver.problem.Weights`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from solver.model.rules import cover_literals
from solver.model.variables import Context, neg


@dataclass(frozen=True)
class Term:
    """A named penalty: ``weight * value(expr)``; ``message`` may use ``{n}`` (the value)."""

    rule: str
    staff: str | None
    day: int | None
    shift: str | None
    weight: int
    expr: object  # literal, IntVar, linear expression or int
    message: str
    #: Exact value from a solution when ``expr`` may overstate it (cover slacks mid-search).
    evaluate: Callable[[cp_model.CpSolver], int] | None = None


def shift_on_requests(ctx: Context) -> list[Term]:
    """Pay the weight when a requested shift is not assigned."""
    p, v = ctx.problem, ctx.vars
    out = []
    for r in p.requests:
        if not r.on or r.weight == 0:
            continue
        s = p.staff_index[r.staff]
        lit = v.x[s][r.day].get(p.shift_index[r.shift], 0)
        out.append(Term("shift_on_request", r.staff, r.day, r.shift, r.weight, neg(lit),
                        f"{p.staff[s].label} asked to work {r.shift} on day {r.day}"))
    return out


def shift_off_requests(ctx: Context) -> list[Term]:
    """Pay the weight when a shift the employee asked not to work is assigned."""
    p, v = ctx.problem, ctx.vars
    out = []
    for r in p.requests:
        if r.on or r.weight == 0:
            continue
        s = p.staff_index[r.staff]
        lit = v.x[s][r.day].get(p.shift_index[r.shift], 0)
        out.append(Term("shift_off_request", r.staff, r.day, r.shift, r.weight, lit,
                        f"{p.staff[s].label} asked not to work {r.shift} on day {r.day}"))
    return out


def cover(ctx: Context) -> list[Term]:
    """Pay per person under and over each cover requirement (slack variables)."""
    out = []
    for c in ctx.problem.cover:
        lits = cover_literals(ctx, c.day, c.shift, c.skill)
        req = c.requirement
        under, over = ctx.cover_slacks(c, lits)
        what = f"day {c.day} shift {c.shift}" + (f" (skill {c.skill})" if c.skill else "")
        # a roster found before the end may carry both slacks at once: read the true value
        if c.under_weight and req:
            out.append(Term("cover_under", None, c.day, c.shift, c.under_weight, under,
                            f"{what}: {{n}} short of {req}", _shortfall(lits, req)))
        if c.over_weight and len(lits) > req:
            out.append(Term("cover_over", None, c.day, c.shift, c.over_weight, over,
                            f"{what}: {{n}} more than {req}", _excess(lits, req)))
    return out


def _shortfall(lits: list, req: int) -> Callable[[cp_model.CpSolver], int]:
    return lambda cp: max(0, req - sum(cp.boolean_value(lit) for lit in lits))


def _excess(lits: list, req: int) -> Callable[[cp_model.CpSolver], int]:
    return lambda cp: max(0, sum(cp.boolean_value(lit) for lit in lits) - req)


def _spread(ctx: Context, name: str, counts: list, weight: int, what: str) -> list[Term]:
    """The term ``weight * (max - min)`` over ``counts`` (none without weight or counts)."""
    if weight == 0 or len(counts) < 2:
        return []
    ub = ctx.problem.days
    hi = ctx.model.new_int_var(0, ub, f"{name}_max")
    lo = ctx.model.new_int_var(0, ub, f"{name}_min")
    for c in counts:
        ctx.model.add(hi >= c)
        ctx.model.add(lo <= c)
    def exact(cp: cp_model.CpSolver) -> int:
        values = [cp.value(c) for c in counts]
        return int(max(values) - min(values))

    return [Term(name, None, None, None, weight, hi - lo,
                 f"{what} differ by {{n}} between the most and the least loaded staff", exact)]


def _uneven_split(ctx: Context, spread: cp_model.LinearExpr, k: int, shifts: list[int]) -> None:
    """Let the LP see that a cover which cannot split evenly over ``k`` staff costs something.

    When every cell of ``shifts`` that someone may work has a cover requirement (without skill),
    the ``k`` counted staff work ``D - U + O`` such shifts (D the demand, U and O the summed
    shortfalls and excesses). If ``r = D mod k`` is not 0, a spread of 0 needs that total to be
    a multiple of k, hence ``U >= r`` or ``O >= k - r``. So ``r (k - r) spread + (k - r) U +
    r O >= r (k - r)`` holds for every roster; without it the LP splits D/k evenly at no cost
    (the demo team: 28 nights over 9 staff; see solver/MEASUREMENTS.md).
    """
    p = ctx.problem
    counted = {p.shifts[t].id for t in shifts}
    rows = {}  # one cover requirement without skill per cell (the first)
    for c in p.cover:
        if c.shift in counted and c.skill is None:
            rows.setdefault((c.day, c.shift), c)
    for d in range(p.days):
        for shift in counted:
            if (d, shift) not in rows and cover_literals(ctx, d, shift, None):
                return  # someone may work an uncovered cell: the total is free
    demand, unders, overs = 0, [], []
    for c in rows.values():
        under, over = ctx.cover_slacks(c, cover_literals(ctx, c.day, c.shift, None))
        demand += c.requirement
        unders.append(under)
        overs.append(over)
    r = demand % k
    if r == 0:
        return
    ctx.model.add(r * (k - r) * spread + (k - r) * cp_model.LinearExpr.sum(unders)
                  + r * cp_model.LinearExpr.sum(overs) >= r * (k - r))


def fairness_nights(ctx: Context) -> list[Term]:
    """Spread (max - min) of night shifts among staff who may work nights.

    With the cut of :func:`_uneven_split` when the nights cannot split evenly.
    """
    p, v = ctx.problem, ctx.vars
    nights = [t for t, sh in enumerate(p.shifts) if sh.night]
    counts = []
    for s in range(len(p.staff)):
        lits = [v.x[s][d][t] for d in range(p.days) for t in nights if t in v.x[s][d]]
        if lits:
            counts.append(sum(lits))
    terms = _spread(ctx, "fairness_nights", counts, p.weights.fairness_nights, "Night counts")
    if terms:
        _uneven_split(ctx, terms[0].expr, len(counts), nights)  # type: ignore[arg-type]
    return terms


def fairness_weekends(ctx: Context) -> list[Term]:
    """Spread of weekends worked among staff who may work weekends."""
    p = ctx.problem
    if not p.weights.fairness_weekends:
        return []
    counts = []
    for s in range(len(p.staff)):
        ks = [ctx.weekend_worked(s, w) for w in range(len(p.weekend_days))]
        if any(not isinstance(k, int) or k for k in ks):
            counts.append(sum(ks))
    return _spread(ctx, "fairness_weekends", counts, p.weights.fairness_weekends,
                   "Weekends worked")


def minimal_change(ctx: Context) -> list[Term]:
    """Pay per cell that differs from the reference roster."""
    p, v = ctx.problem, ctx.vars
    weight = p.weights.change
    if not weight or not p.reference:
        return []
    out = []
    for sid, cells in p.reference.items():
        s = p.staff_index[sid]
        for d, ref in enumerate(cells[:p.days]):
            if ref is None:
                lit = v.work[s][d]
                was = "off"
            else:
                lit = neg(v.x[s][d].get(p.shift_index[ref], 0))
                was = ref
            out.append(Term("minimal_change", sid, d, ref, weight, lit,
                            f"{p.staff[s].label} on day {d} changed (was {was})"))
    return out


#: Every soft rule, in one place.
SOFT_RULES: tuple[Callable[[Context], list[Term]], ...] = (
    shift_on_requests,
    shift_off_requests,
    cover,
    fairness_nights,
    fairness_weekends,
    minimal_change,
)


def build_objective(ctx: Context) -> list[Term]:
    """Collect every soft rule's terms and set ``minimise sum(weight * expr)``."""
    terms = [term for rule in SOFT_RULES for term in rule(ctx)]
    variable = [t for t in terms if not isinstance(t.expr, int)]
    constant = sum(t.weight * t.expr for t in terms if isinstance(t.expr, int))
    ctx.model.minimize(cp_model.LinearExpr.weighted_sum([t.expr for t in variable],
                                                        [t.weight for t in variable]) + constant)
    return terms


def term_value(solver: cp_model.CpSolver, term: Term) -> int:
    """Value of a term's expression in the solver's solution."""
    if term.evaluate is not None:
        return term.evaluate(solver)
    if isinstance(term.expr, int):
        return term.expr
    return int(solver.value(term.expr))


def solution_cost(solver: cp_model.CpSolver, terms: list[Term]) -> int:
    """True cost of the solver's solution (slacks recomputed, unlike its objective value)."""
    return sum(term.weight * term_value(solver, term) for term in terms)
