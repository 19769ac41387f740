"""How a problem is solved: which models, parameters and hints, in which order.

Measured on the Curtois & Qu instances with 2 workers (see the issue's benchmark table):

* CP-SAT's ``max_lp`` full-problem worker (clauses and cuts in the LP) proves the small
  instances optimal quickly, where the default worker's bound stalls; its second worker runs
  CP-SAT's LNS heuristics.
* On mid-size instances CP-SAT's default portfolio often finds better rosters (60 s:
  Instance12 7062 against 10839 with ``max_lp``, Instance14 1745 against 2359, Instance15
  7552 against 11282) but its bound collapses (Instance10: 10 against 4622; Instance18: 20),
  and splitting the time (default portfolio first, then ``max_lp`` hinted) loses the bound:
  ``max_lp`` needs most of the minute for its root LP (Instance10: bound 7 after 18 s).
  So ``max_lp`` alone. Run-to-run variation with 2 threads is large (Instance10 with
  ``max_lp``: 4643 and 5411; Instance4: optimal at 37 s in one run, 1718 in another).
* On very large instances (a year, 150 staff, 32 shift types) building and presolving the
  whole model eats most of the minute, so a first roster is built employee by employee
  (all hard rules concern one employee; they interact only through the cover) and improved
  by best responses of one employee at a time (:mod:`solver.lns`). Handing that roster to
  CP-SAT on the full model as a hint was tried and did worse within the minute.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from solver.result import RosterResult, Status

if TYPE_CHECKING:
    from solver.roster import RosterSolver

#: Full-problem worker with the strongest LP (proves optimality); the other worker runs LNS.
BOUND_PARAMETERS: dict[str, object] = {"subsolvers": ["max_lp"]}
#: CP-SAT's default portfolio for 2 workers (finds good rosters early on mid-size instances).
PRIMAL_PARAMETERS: dict[str, object] = {}

#: Up to this many assignment variables, ``max_lp`` alone (kept apart for tuning).
SMALL = 2_000
#: Above this many assignment variables, build a first roster employee by employee.
HUGE = 30_000
#: Mid-size instances: a primal phase (default portfolio) then ``max_lp`` hinted (True), or
#: ``max_lp`` alone (False). See the module docstring for the measurements.
TWO_PHASE = False
#: Share of the time given to the primal phase on mid-size instances.
PRIMAL_SHARE = 0.4


def size(rs: RosterSolver) -> int:
    """Number of assignment variables (staff × days × allowed shift types)."""
    p = rs.problem
    return p.days * sum(1 for st in p.staff for t in p.shifts if p.max_of(st, t.id) > 0)


def run(rs: RosterSolver, start: float) -> RosterResult:
    """Solve ``rs.problem`` within ``rs.time_limit`` seconds counted from ``start``."""
    from solver.lns import separable

    n = size(rs)
    if n > HUGE and separable(rs.problem) and rs.workers > 1:
        return _huge(rs, start)
    if n <= SMALL or rs.workers == 1:
        return _single(rs, start, BOUND_PARAMETERS, rs.hint)
    if TWO_PHASE:
        return _two_phase(rs, start)
    return _single(rs, start, BOUND_PARAMETERS, rs.hint)


def _left(rs: RosterSolver, start: float) -> float:
    return rs.time_limit - (time.monotonic() - start)


def _single(rs: RosterSolver, start: float, params: dict[str, object],
            hint: dict | None) -> RosterResult:
    from solver.roster import build_model

    built = build_model(rs.problem)
    result, _ = rs.run_cp_sat(built, _left(rs, start), start, params, hint=hint)
    return result


def _two_phase(rs: RosterSolver, start: float) -> RosterResult:
    from solver.roster import build_model

    built = build_model(rs.problem)
    first, _ = rs.run_cp_sat(built, PRIMAL_SHARE * _left(rs, start), start, PRIMAL_PARAMETERS,
                             hint=rs.hint)
    if first.status in (Status.OPTIMAL, Status.INFEASIBLE, Status.MODEL_INVALID) \
            or rs.stop_event.is_set() or _left(rs, start) < 1.0:
        return first
    built.model.clear_hints()
    second, _ = rs.run_cp_sat(built, _left(rs, start), start, BOUND_PARAMETERS,
                              hint=first.roster or rs.hint)
    return _best(first, second)


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
    """Employee-by-employee construction, then best responses of one employee at a time."""
    from solver.lns import Coverage, StaffLNS
    from solver.validate import validate

    p = rs.problem
    lns = StaffLNS(p, rs.seed, rs.register, workers=rs.workers)
    deadline = start + rs.time_limit
    roster = None
    if rs.hint is not None and set(rs.hint) == {st.id for st in p.staff} \
            and validate(p, rs.hint).feasible:
        roster = {k: list(v) for k, v in rs.hint.items()}
    if roster is None:
        roster = lns.construct(deadline, rs.stop_event.is_set)
    if roster is None:
        if rs.stop_event.is_set() or time.monotonic() >= deadline:
            return RosterResult(Status.UNKNOWN, message="no roster found in time")
        # some employee has no feasible row: let the full model (and explanation) say so
        return _single(rs, start, BOUND_PARAMETERS, None)
    objective = validate(p, roster).objective
    rs.report(objective, 0.0)
    cov = Coverage(p, roster)
    while not rs.stop_event.is_set() and time.monotonic() < deadline - 0.3:
        delta = lns.improve_one(roster, cov, min(1.0, deadline - time.monotonic() - 0.2))
        if delta < 0:
            objective += delta
            rs.report(objective, 0.0)
    report = validate(p, roster)
    status = Status.FEASIBLE if report.feasible else Status.UNKNOWN
    return RosterResult(status, objective=report.objective, roster=roster,
                        violations=report.violations,
                        message="" if report.feasible else "internal error: invalid roster")
