"""Employee-by-employee construction and improvement for very large problems.

All hard rules of the core problem concern one employee at a time; employees interact only
through the cover (and the fairness terms). With the other rows fixed, the cost of one
employee's row is linear (each cover cell turns into a gain or a cost for working it), so
the best row of one employee is a small CP-SAT model without any cover constraint. A first
roster is built one employee after another; it is then improved by best responses.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import replace

from ortools.sat.python import cp_model

from solver.problem import RosterProblem
from solver.result import Roster


def separable(problem: RosterProblem) -> bool:
    """True when the objective is a sum over employees plus cover terms (no fairness)."""
    w = problem.weights
    return not (w.fairness_nights or w.fairness_weekends)


class Coverage:
    """How many employees currently count towards each cover demand (kept up to date)."""

    def __init__(self, problem: RosterProblem, roster: Roster) -> None:
        self.problem = problem
        self.skills = {s.id: s.skills for s in problem.staff}
        self.count: dict[tuple[int, str, str | None], int] = {
            (c.day, c.shift, c.skill): 0 for c in problem.cover}
        self.by_day: dict[int, list[str | None]] = {}
        for c in problem.cover:
            skills = self.by_day.setdefault(c.day, [])
            if c.skill not in skills:
                skills.append(c.skill)
        for sid, row in roster.items():
            self.add(sid, row, 1)

    def add(self, sid: str, row: list[str | None], sign: int = 1) -> None:
        """Count (sign=1) or uncount (sign=-1) a row."""
        mine = self.skills[sid]
        for d, shift in enumerate(row):
            if shift is None:
                continue
            for skill in self.by_day.get(d, ()):
                key = (d, shift, skill)
                if key in self.count and (skill is None or skill in mine):
                    self.count[key] += sign

    def marginal(self, sid: str, row: list[str | None]) -> dict[tuple[int, int], int]:
        """Cost change of ``sid`` working (day, shift index), the other rows fixed.

        With one employee free every cover term is linear in that employee's cells.
        """
        mine = self.skills[sid]
        idx = self.problem.shift_index
        out: dict[tuple[int, int], int] = {}
        for c in self.problem.cover:
            if c.skill is not None and c.skill not in mine:
                continue
            others = self.count[(c.day, c.shift, c.skill)] - (row[c.day] == c.shift)
            delta = -c.under_weight if others < c.requirement else c.over_weight
            key = (c.day, idx[c.shift])
            out[key] = out.get(key, 0) + delta
        return out


def best_row(problem: RosterProblem, gains: dict[tuple[int, int], int], sid: str,
             time_limit: float, seed: int,
             register: Callable[[cp_model.CpSolver | None], None],
             first_only: bool = False, greedy: bool = True, workers: int = 1,
             hint: list[str | None] | None = None) -> list[str | None] | None:
    """Best row for one employee, the others fixed (a light model: no cover constraints).

    With ``greedy`` it branches day by day on the most useful shift first, so the first
    solution is already a cover-aware greedy row; otherwise CP-SAT's quick-restart portfolio
    is used (finds rows where the greedy gets stuck). Returns None when no row is found in
    time or none exists.
    """
    from solver.roster import add_hint, build_model

    st = problem.staff[problem.staff_index[sid]]
    sub = replace(problem, staff=(st,), cover=(),
                  requests=tuple(r for r in problem.requests if r.staff == sid),
                  pins=tuple(p for p in problem.pins if p.staff == sid),
                  history={k: v for k, v in problem.history.items() if k == sid},
                  reference={k: v for k, v in problem.reference.items() if k == sid})
    built = build_model(sub)
    xs = built.ctx.vars.x[0]
    lits, coefs, order = [], [], []
    for d, row in enumerate(xs):
        ranked = sorted(row.items(), key=lambda item: gains.get((d, item[0]), 0))
        for t, lit in ranked:
            g = gains.get((d, t), 0)
            if g:
                lits.append(lit)
                coefs.append(g)
            order.append(lit)
    terms = built.terms
    variable = [t for t in terms if not isinstance(t.expr, int)]
    built.model.minimize(cp_model.LinearExpr.weighted_sum([t.expr for t in variable],
                                                          [t.weight for t in variable])
                         + cp_model.LinearExpr.weighted_sum(lits, coefs))
    if hint is not None:
        add_hint(built, {sid: hint})
    cp = cp_model.CpSolver()
    prm = cp.parameters
    prm.max_time_in_seconds = max(0.01, time_limit)
    prm.num_workers = workers
    prm.random_seed = seed
    if greedy:
        built.model.add_decision_strategy(order, cp_model.CHOOSE_FIRST,
                                          cp_model.SELECT_MAX_VALUE)
        prm.search_branching = cp_model.FIXED_SEARCH
        # a light presolve: the greedy needs propagation, not probing
        prm.cp_model_probing_level = 0
        prm.symmetry_level = 0
        prm.linearization_level = 0
    elif workers == 1:
        prm.search_branching = cp_model.PORTFOLIO_WITH_QUICK_RESTART_SEARCH
    prm.stop_after_first_solution = first_only
    register(cp)
    try:
        code = cp.solve(built.model)
    finally:
        register(None)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    from solver.roster import extract_roster

    return extract_roster(built, cp)[sid]


class StaffLNS:
    """Improve a roster by re-solving small groups of employees.

    Args:
        problem: A problem whose objective is separable (see :func:`separable`).
        seed: Random seed.
        register: Receives the running CP-SAT solver (or None) so a stop can reach it.
    """

    def __init__(self, problem: RosterProblem, seed: int,
                 register: Callable[[cp_model.CpSolver | None], None], workers: int = 1) -> None:
        self.problem = problem
        self.workers = workers
        self.rng = random.Random(seed)
        self.seed = seed
        self.register = register
        self.ids = [s.id for s in problem.staff]
        self.requests: dict[str, list] = {}
        for r in problem.requests:
            self.requests.setdefault(r.staff, []).append(r)

    def construct(self, deadline: float, stopped: Callable[[], bool]) -> Roster | None:
        """A first roster: each employee in turn solved against those already placed.

        Returns None when an employee has no feasible row (the problem is infeasible) or time
        runs out.
        """
        roster: Roster = {sid: [None] * self.problem.days for sid in self.ids}
        cov = Coverage(self.problem, roster)
        for i, sid in enumerate(self.ids):
            if stopped() or time.monotonic() >= deadline:
                return None
            # employees not yet placed are off every day: they count for nothing
            share = (deadline - time.monotonic()) / (len(self.ids) - i)
            gains = cov.marginal(sid, roster[sid])
            row = best_row(self.problem, gains, sid, min(share, 0.5), self.seed, self.register,
                           first_only=True)
            if row is None:  # the greedy got stuck: CP-SAT's own search
                row = best_row(self.problem, gains, sid, deadline - time.monotonic(),
                               self.seed, self.register, first_only=True, greedy=False,
                               workers=self.workers)
            if row is None:
                return None
            roster[sid] = row
            cov.add(sid, row)
        return roster

    def row_cost(self, gains: dict[tuple[int, int], int], sid: str,
                 row: list[str | None]) -> int:
        """Cost of ``row`` for ``sid`` given the others (cover gains, requests, changes)."""
        p = self.problem
        idx = p.shift_index
        cost = sum(gains.get((d, idx[c]), 0) for d, c in enumerate(row) if c is not None)
        for r in self.requests.get(sid, ()):
            got = row[r.day]
            if (r.on and got != r.shift) or (not r.on and got == r.shift):
                cost += r.weight
        ref = p.reference.get(sid)
        if ref is not None and p.weights.change:
            cost += p.weights.change * sum(1 for d in range(min(len(ref), p.days))
                                           if ref[d] != row[d])
        return cost

    def improve_one(self, roster: Roster, cov: Coverage, time_limit: float) -> int:
        """Best response of one random employee; returns the (non-positive) cost change."""
        sid = self.rng.choice(self.ids)
        old = roster[sid]
        gains = cov.marginal(sid, old)
        new = best_row(self.problem, gains, sid, time_limit, self.rng.randrange(1 << 30),
                       self.register, greedy=False, workers=self.workers, hint=old)
        if new is None:
            return 0
        delta = self.row_cost(gains, sid, new) - self.row_cost(gains, sid, old)
        if delta > 0:
            return 0
        cov.add(sid, old, -1)
        cov.add(sid, new)
        roster[sid] = new
        return delta
