"""How a problem is solved: which models, parameters and hints, in which order.

:func:`run` picks one path by the problem's size (assignment variables) and objective:

* Huge problems (above HUGE, objective a sum over employees, 2 workers): building and
  presolving the whole model would eat the minute, so a first roster is built employee by
  employee (in two processes above PARALLEL_SIZE), then improved by best responses of one
  employee and by window re-solves (:mod:`solver.window`), each move chosen by the cost it
  removed per second lately (:func:`_huge`).
* Objective a sum over employees plus cover terms (:func:`solver.colgen.applies`): column
  generation for a Lagrangian bound far above CP-SAT's, for at most COLGEN_SHARE of the time
  (COLGEN_MAX_SHARE when its bound is then within COLGEN_CLOSE of its value), then a roster
  combined from the relaxation's rows (:func:`_decomposed`). Up to
  DECOMPOSED_SMALL variables CP-SAT first probes alone for PROBE_SHARE of the time and
  finishes from scratch, asked to stop at the bound (it can prove the optimum); larger
  problems finish with the structured LNS (:mod:`solver.neighbourhoods`), first in the
  relaxation's neighbourhood (NARROW_PATIENCE), then on the whole model with the
  relaxation's cuts.
* Up to SMALL variables otherwise (fairness terms, such as the clinic teams): CP-SAT alone,
  ``max_lp`` with the core-based worker (from 3 workers) when there are fairness terms
  (FAIR_PARAMETERS).
* Otherwise the hybrid (:func:`_hybrid`): CP-SAT's ``max_lp`` for HYBRID_SHARE of the time,
  for a first roster and a bound, then the structured LNS.

Every choice and constant here was measured against its alternatives: see
``solver/MEASUREMENTS.md`` (section Strategy), which also lists what was tried and lost.
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING

from solver.result import RosterResult, Status

if TYPE_CHECKING:
    from solver.roster import BuiltModel, RosterSolver

#: Full-problem worker with the strongest LP (proves optimality); the other worker runs LNS.
BOUND_PARAMETERS: dict[str, object] = {"subsolvers": ["max_lp"]}
#: Small problems with fairness terms: ``max_lp`` and the core-based search. With 2 workers
#: CP-SAT runs only the first full-problem worker (the other thread serves its LNS helpers, which
#: find the rosters), so this is the same search as BOUND_PARAMETERS there; the core-based worker
#: joins from 3 workers. The demo team (fairness 5 and 5), 2 workers: median 3.1-4.5 s, 8 of 150
#: runs over 10 s (4.2-24.4 s with CP-SAT's default portfolio); see solver/MEASUREMENTS.md.
FAIR_PARAMETERS: dict[str, object] = {"subsolvers": ["max_lp", "core"]}
#: Up to this many assignment variables, ``max_lp`` alone (kept apart for tuning).
SMALL = 2_000
#: Problems for column generation up to this many assignment variables end with CP-SAT, which
#: can prove the optimum (Instance6, 1120: in 33-50 s when it does); larger ones end with the
#: guided LNS (Instance7, 1344, seeds 0-3: 1058, 1058, 1058, 1057 against 1060, 1065, 1065,
#: 1064 with CP-SAT; bound 1055, best known 1056).
DECOMPOSED_SMALL = 1_200
#: Above this many assignment variables, build a first roster employee by employee.
HUGE = 30_000
#: Above this many assignment variables (and with 2 workers) the first roster of a huge
#: problem is built by two processes (see :meth:`solver.lns.StaffLNS.construct_parallel`):
#: Instance24 takes about 55 s in one process, 40 s in two.
PARALLEL_SIZE = 800_000
#: Above SMALL (and below HUGE): CP-SAT (``max_lp``) for HYBRID_SHARE of the time, for a
#: first roster and a bound, then :mod:`solver.neighbourhoods` for the rest.
HYBRID_SHARE = 0.2
#: Separable problems up to HUGE: column generation for at most this share of the time ...
COLGEN_SHARE = 0.45
#: ... or up to COLGEN_MAX_SHARE while the master's value is within COLGEN_CLOSE of the bound
#: (relative): a relaxation that close converges within seconds (Instance12: bound 4026 at
#: 27 s, converged at 4040, the optimum, at 30 s), and then proves the optimum when the roster
#: reaches it. Measured: see solver/MEASUREMENTS.md (Instance12's bound 4040 in four runs of
#: four against 3965-3993; 2 % applied in no run).
COLGEN_CLOSE: float | None = 0.03
COLGEN_MAX_SHARE = 0.65
#: Small separable problems: CP-SAT alone for this share of the time before column generation.
PROBE_SHARE = 0.1
#: Huge problems: window re-solves (:mod:`solver.window`) beside best responses ...
WINDOWS = True
#: ... up to this many (staff × shift types) per day (measured: see solver/MEASUREMENTS.md) ...
WINDOW_MAX = 400
#: ... and how often the move that is not the best lately is tried anyway ...
WINDOW_EXPLORE = 0.1
#: ... and the weight of the last step in a move's running rate (cost removed per second).
RATE_SMOOTHING = 0.3
#: Add the column-generation cuts to the model the LNS re-solves parts of.
CUTS_IN_LNS = True
#: Let the reduced costs of the relaxation guide the LNS (:mod:`solver.guide`).
GUIDED = True
#: The LNS first searches the relaxation's neighbourhood of the combined roster
#: (:meth:`solver.guide.Guide.narrowed`) until its best roster has not improved for this many
#: seconds, then the whole problem (None: the whole problem from the start). Measured: see
#: solver/MEASUREMENTS.md (10 s against 3 s and 6 s).
NARROW_PATIENCE: float | None = 10.0


def size(rs: RosterSolver) -> int:
    """Number of assignment variables (staff × days × allowed shift types)."""
    p = rs.problem
    return p.days * sum(1 for st in p.staff for t in p.shifts if p.max_of(st, t.id) > 0)


def run(rs: RosterSolver, start: float) -> RosterResult:
    """Solve ``rs.problem`` within ``rs.time_limit`` seconds counted from ``start``."""
    from solver.colgen import applies
    from solver.lns import separable

    n = size(rs)
    if n > HUGE and separable(rs.problem) and rs.workers > 1:
        return _huge(rs, start)
    if n <= HUGE and applies(rs.problem):
        result = _decomposed(rs, start, small=n <= DECOMPOSED_SMALL or rs.workers == 1)
        if result is not None:
            return result
    if n <= SMALL or rs.workers == 1:
        params = BOUND_PARAMETERS if separable(rs.problem) else FAIR_PARAMETERS
        return _single(rs, start, params, rs.hint)
    return _hybrid(rs, start)


def _left(rs: RosterSolver, start: float) -> float:
    return rs.time_limit - (time.monotonic() - start)


def _single(rs: RosterSolver, start: float, params: dict[str, object],
            hint: dict | None) -> RosterResult:
    from solver.roster import build_model

    built = build_model(rs.problem)
    result, _ = rs.run_cp_sat(built, _left(rs, start), start, params, hint=hint)
    return result


def _hybrid(rs: RosterSolver, start: float) -> RosterResult:
    """CP-SAT for a first roster and a bound, then structured LNS (see solver/MEASUREMENTS.md)."""
    from solver.neighbourhoods import search_parallel
    from solver.roster import build_model
    from solver.validate import validate

    p = rs.problem
    built = build_model(p)
    first, _ = rs.run_cp_sat(built, HYBRID_SHARE * _left(rs, start), start, BOUND_PARAMETERS,
                             hint=rs.hint)
    if first.status in (Status.OPTIMAL, Status.INFEASIBLE, Status.MODEL_INVALID) \
            or rs.stop_event.is_set() or _left(rs, start) < 1.0:
        return first
    if not first.status.has_roster:
        # no roster yet: CP-SAT goes on (hinted with the caller's roster, if any)
        built.model.clear_hints()
        second, _ = rs.run_cp_sat(built, _left(rs, start), start, BOUND_PARAMETERS, hint=rs.hint)
        return _best(first, second)
    bound = first.bound

    def improved(_: dict, cost: int) -> None:
        rs.report(cost, bound or 0.0)

    roster, _ = search_parallel(built, first.roster, first.objective or 0,
                                start + rs.time_limit - 0.2, rs.stop_event.is_set, rs.register,
                                threads=max(1, rs.workers), seed=rs.seed, floor=bound,
                                improved=improved)
    report = validate(p, roster)
    if not report.feasible:  # cannot happen: every step keeps the hard rules
        return first
    status = Status.OPTIMAL if bound is not None and bound >= report.objective - 1e-6 \
        else Status.FEASIBLE
    return RosterResult(status, objective=report.objective, roster=roster, bound=bound,
                        violations=report.violations)


def _decomposed(rs: RosterSolver, start: float, small: bool) -> RosterResult | None:
    """Column generation for a bound and cuts, then CP-SAT (small) or LNS (larger) with them.

    Returns None when no first roster exists to start from (some employee may have no row
    at all): the caller's path then lets CP-SAT say why.
    """
    from solver.colgen import ColumnGeneration, add_cuts
    from solver.combine import combine
    from solver.guide import Guide
    from solver.lns import StaffLNS
    from solver.neighbourhoods import search_parallel
    from solver.roster import build_model
    from solver.validate import validate

    p = rs.problem
    deadline = start + rs.time_limit
    built = build_model(p)  # for CP-SAT on a small problem, for the LNS on a larger one
    first = _valid_hint(rs)
    cost = validate(p, first).objective if first is not None else None
    if small:
        # CP-SAT alone settles many small problems within seconds (the demo team: 2 s, where
        # column generation takes 7 s to prove its trivial bound of 0)
        probe, _ = rs.run_cp_sat(built, PROBE_SHARE * rs.time_limit, start, BOUND_PARAMETERS,
                                 hint=rs.hint)
        built.model.clear_hints()  # the final solve starts from scratch (see below)
        if probe.status in (Status.OPTIMAL, Status.INFEASIBLE, Status.MODEL_INVALID) \
                or rs.stop_event.is_set():
            return probe
        if probe.status.has_roster and (cost is None or (probe.objective or 0) < cost):
            first, cost = probe.roster, probe.objective
    if first is None:
        first = StaffLNS(p, rs.seed, rs.register).construct(
            start + 0.3 * rs.time_limit, rs.stop_event.is_set)
        if first is None:
            return None
        cost = validate(p, first).objective
    assert cost is not None
    cg = ColumnGeneration(p, rs.workers, rs.seed, rs.stop_event.is_set)
    cg.add_roster(first)
    rel = cg.run(start + COLGEN_SHARE * rs.time_limit, target=cost)
    if COLGEN_CLOSE is not None and not rel.converged and rel.close(COLGEN_CLOSE):
        rel = cg.run(start + COLGEN_MAX_SHARE * rs.time_limit, target=cost)
    bound = rel.rounded if rel.rounded > 0 else 0.0
    roster = combine(cg.master, rs.seed)
    combined = validate(p, roster).objective
    if combined > cost:
        roster, combined = first, cost
    cost = combined
    rs.report(cost, bound)
    if cost <= bound or rs.stop_event.is_set() or _left(rs, start) < 0.5:
        return _finish(p, roster, bound)
    if small:
        # CP-SAT's own search proves what the bound leaves open. Measured on Instance6 (bound
        # 1949, optimum 1950), three seeds each: from scratch, optimal in 50, 28 s and once
        # not (2046); hinted with the combined roster, or after 30 % of the time of LNS, it
        # mostly stays at a roster one cover shortfall away (2041-2045), whose every row has
        # a zero reduced cost. With the cuts it is misled too (2049 against optimal in 29 s).
        result, _ = rs.run_cp_sat(built, _left(rs, start), start, BOUND_PARAMETERS,
                                  floor=bound)
        if not result.status.has_roster or (result.objective or 0) > cost:
            return _finish(p, roster, max(bound, result.bound or 0.0))
        return result
    if CUTS_IN_LNS:
        add_cuts(built, rel)

    def improved(_: dict, value: int) -> None:
        rs.report(value, bound)

    guide = None
    if GUIDED and rel.duals is not None:
        duals = cg.master.solve()
        guide = Guide(cg.master, duals) if duals is not None else None
    # the relaxation's neighbourhood first (until it stalls), then the whole problem
    phases: list[tuple[BuiltModel, float | None]] = [(built, None)]
    if guide is not None and NARROW_PATIENCE is not None:
        phases.insert(0, (guide.narrowed(built, roster), NARROW_PATIENCE))
    for model, patience in phases:
        roster, cost = search_parallel(model, roster, cost, deadline - 0.2, rs.stop_event.is_set,
                                       rs.register, threads=max(1, rs.workers), seed=rs.seed,
                                       floor=bound, improved=improved, guide=guide,
                                       patience=patience)
    return _finish(p, roster, bound)


def _valid_hint(rs: RosterSolver) -> dict | None:
    """A copy of the caller's hint when it is a complete roster keeping every hard rule."""
    from solver.validate import validate

    p = rs.problem
    if rs.hint is not None and set(rs.hint) == {st.id for st in p.staff} \
            and validate(p, rs.hint).feasible:
        return {k: list(v) for k, v in rs.hint.items()}
    return None


def _finish(p: object, roster: dict, bound: float) -> RosterResult:
    """A result for a valid roster and a proven bound."""
    from solver.validate import validate

    report = validate(p, roster)  # type: ignore[arg-type]
    status = Status.OPTIMAL if bound >= report.objective - 1e-6 else Status.FEASIBLE
    return RosterResult(status, objective=report.objective, roster=roster, bound=bound,
                        violations=report.violations)


def _best(a: RosterResult, b: RosterResult) -> RosterResult:
    """Merge two results of the same problem: best roster, best bound."""
    if not b.status.has_roster:
        if b.status is Status.INFEASIBLE:
            return b
        if a.status.has_roster:
            a.status = Status.FEASIBLE
        return a
    if a.status.has_roster and a.objective is not None and b.objective is not None \
            and a.objective < b.objective:
        a.bound = max(a.bound or 0.0, b.bound or 0.0)
        best = a
    else:
        if a.bound is not None and b.bound is not None:
            b.bound = max(a.bound, b.bound)
        best = b
    if best.bound is not None and best.objective is not None and best.bound >= best.objective - 1e-6:
        best.status = Status.OPTIMAL
    return best


def _huge(rs: RosterSolver, start: float) -> RosterResult:
    """Employee-by-employee construction, then best responses and window re-solves."""
    from solver.lns import Coverage, StaffLNS
    from solver.validate import validate
    from solver.window import WindowSearch

    p = rs.problem
    lns = StaffLNS(p, rs.seed, rs.register, workers=rs.workers)
    deadline = start + rs.time_limit
    roster = _valid_hint(rs)
    if roster is None:
        if rs.workers > 1 and size(rs) > PARALLEL_SIZE:
            roster = lns.construct_parallel(deadline, rs.stop_event.is_set, min(rs.workers, 2))
        else:
            roster = lns.construct(deadline, rs.stop_event.is_set)
    if roster is None:
        if rs.stop_event.is_set() or time.monotonic() >= deadline:
            return RosterResult(Status.UNKNOWN, message="no roster found in time")
        # some employee has no feasible row: let the full model (and explanation) say so
        return _single(rs, start, BOUND_PARAMETERS, None)
    objective = validate(p, roster).objective
    rs.report(objective, 0.0)
    cov = Coverage(p, roster)
    window = WindowSearch(p, rs.seed, rs.register, workers=rs.workers)
    rng = random.Random(rs.seed)
    windows = WINDOWS and len(p.staff) * len(p.shifts) <= WINDOW_MAX
    rates: dict[str, float | None] = {"best": None, "window": None} if windows else {"best": None}
    while not rs.stop_event.is_set() and time.monotonic() < deadline - 0.3:
        kind = _next_move(rates, rng)
        began = time.monotonic()
        limit = min(1.0, deadline - began - 0.2)
        delta = lns.improve_one(roster, cov, limit) if kind == "best" \
            else window.step(roster, limit, cov)
        gain = -delta / max(1e-3, time.monotonic() - began)
        seen = rates[kind]
        rates[kind] = gain if seen is None else seen + RATE_SMOOTHING * (gain - seen)
        if delta < 0:
            objective += delta
            rs.report(objective, 0.0)
    report = validate(p, roster)
    status = Status.FEASIBLE if report.feasible else Status.UNKNOWN
    return RosterResult(status, objective=report.objective, roster=roster,
                        violations=report.violations,
                        message="" if report.feasible else "internal error: invalid roster")


def _next_move(rates: dict[str, float | None], rng: random.Random) -> str:
    """The move that lately removed the most cost per second (each tried once first)."""
    for kind, rate in rates.items():
        if rate is None:
            return kind
    best = max(rates, key=lambda k: rates[k] or 0.0)
    if len(rates) > 1 and rng.random() < WINDOW_EXPLORE:
        return next(k for k in rates if k != best)
    return best
