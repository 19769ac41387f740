"""The pricing problem of column generation: the cheapest rows of one employee.

Every hard rule of a separable problem concerns one employee, so the rows an employee may work
are the solutions of a small CP-SAT model: the full model restricted to that employee, without
cover. Given a price for each cell (the duals of the cover constraints), :class:`RowPricer`
finds the rows whose own cost (requests, minimal change) minus the prices they earn is least,
and a proven lower bound on that minimum. The model is built once; each call only rewrites its
objective.

CP-SAT needs integer coefficients: prices are scaled by :data:`SCALE` and rounded. The bound
returned is corrected for that rounding, so it stays a valid lower bound of the exact minimum.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from solver.problem import RosterProblem, Weights

#: Scale of the integer objective CP-SAT minimises (prices are floats).
SCALE = 100_000
#: CP-SAT parameters of a pricing solve, measured on Instance14's pricing problems at one dual
#: vector (32 rows, 1 worker each): the strongest LP (``linearization_level`` 2) 4.3 s in all,
#: against 15.0 s with the default level, 306 s with none (9 rows unsolved in 20 s) and 26.1 s
#: with quick restarts. Pricing is where column generation spends its time (2026-12-06,
#: Instance14, 15 s: 14.1 s pricing, 0.6 s master). At one dual vector, every row priced in
#: turn: Instance15 3.55 s (median 0.046 s a row), without presolve 4.01 s, without probing
#: 3.71 s, without symmetry detection 3.51 s; Instance14 1.13 / 1.57 / 1.06 / 1.11 s: kept.
#: At the duals of round 12 of Instance15, every row proven (1 s a row at most): 8.4-9.5 s in
#: all, against 21.7 s with ``optimize_with_core`` (11 rows unproven), 16.7 s with
#: ``optimize_with_lb_tree_search`` (8 unproven), 9.8 s without presolve, 9.0 s with
#: ``add_lp_constraints_lazily`` off, 9.2 s with objective shaving: none faster.
PARAMETERS: dict[str, object] = {"linearization_level": 2}

#: A row: the (day, shift index) cells worked, in day order.
Cells = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Priced:
    """Outcome of one pricing solve.

    Attributes:
        lower: Proven lower bound of ``min over rows (own cost - prices earned)``.
        rows: Rows found on the way (the last one is the best), without duplicates.
        optimal: The best row was proven cheapest.
        coefficients: The scaled integer price of each cell in this solve ...
        rhs: ... and the proven minimum of their sum over a row: ``sum(coef * x) >= rhs`` holds
            for every row the employee may work (a Lagrangian cut for the full model).
    """

    lower: float
    rows: tuple[Cells, ...]
    optimal: bool
    coefficients: Mapping[tuple[int, int], int]
    rhs: int


def own_problem(problem: RosterProblem, s: int) -> RosterProblem:
    """``problem`` restricted to employee ``s``: their rules, requests, pins and history."""
    return replace(problem.staff_only({problem.staff[s].id}),
                   weights=Weights(change=problem.weights.change))


class RowCost:
    """The own cost of a row of one employee: requests and minimal change (no cover)."""

    def __init__(self, problem: RosterProblem, s: int) -> None:
        st = problem.staff[s]
        idx = problem.shift_index
        self.constant = 0
        self.cell: dict[tuple[int, int], int] = {}
        n_types = len(problem.shifts)

        def add(d: int, t: int, w: int) -> None:
            self.cell[(d, t)] = self.cell.get((d, t), 0) + w

        for r in problem.requests:
            if r.staff != st.id or not r.weight:
                continue
            if r.on:
                self.constant += r.weight
                add(r.day, idx[r.shift], -r.weight)
            else:
                add(r.day, idx[r.shift], r.weight)
        w = problem.weights.change
        ref = problem.reference.get(st.id)
        if w and ref is not None:
            for d, cell in enumerate(ref[:problem.days]):
                if cell is None:  # any shift is a change
                    for t in range(n_types):
                        add(d, t, w)
                else:  # anything but that shift is a change
                    self.constant += w
                    add(d, idx[cell], -w)

    def __call__(self, cells: Cells) -> int:
        """Own cost of the row working ``cells``."""
        get = self.cell.get
        return self.constant + sum(get(k, 0) for k in cells)


class _Rows(cp_model.CpSolverSolutionCallback):
    """Collects every row CP-SAT finds during one solve."""

    def __init__(self, cells: list[tuple[int, int, cp_model.IntVar]]) -> None:
        super().__init__()
        self._cells = cells
        self.rows: list[Cells] = []

    def on_solution_callback(self) -> None:
        value = self.boolean_value
        self.rows.append(tuple((d, t) for d, t, lit in self._cells if value(lit)))


def interchangeable(problem: RosterProblem, s: int) -> list[list[int]]:
    """Classes of shift types that employee ``s`` may swap on any day without breaking a rule.

    Two types are interchangeable when they have the same length and start, the same forbidden
    successions in both directions (with every type, themselves included), no binding
    per-type maximum for the employee and no pin. A row may then trade one for the other on
    any day: only the cheapest type of each class matters on a day, which shrinks the pricing
    model (Instance12: 10 types in 4 classes).
    """
    st = problem.staff[s]
    n = len(problem.shifts)
    ids = [t.id for t in problem.shifts]
    gaps = problem.forbidden_successions()
    pinned = {p.shift for p in problem.pins if p.staff == st.id}
    classes: dict[object, list[int]] = {}
    for t, shift in enumerate(problem.shifts):
        if problem.max_of(st, shift.id) <= 0:
            continue
        if problem.max_of(st, shift.id) < problem.days or shift.id in pinned:
            key: object = ("alone", t)
        else:
            key = (shift.minutes, shift.start,
                   tuple(gaps.get((shift.id, ids[u]), 0) for u in range(n)),
                   tuple(gaps.get((ids[u], shift.id), 0) for u in range(n)))
        classes.setdefault(key, []).append(t)
    return list(classes.values())


class RowPricer:
    """Cheapest rows of employee ``s`` of ``problem`` for given cell prices.

    The model holds one shift type per :func:`interchangeable` class; each solve prices a
    class on a day at its cheapest member and reads rows back with that member.
    """

    def __init__(self, problem: RosterProblem, s: int) -> None:
        from solver.roster import build_model  # roster imports the strategy, which imports us

        self.problem = problem
        self.s = s
        self.cost = RowCost(problem, s)
        st = problem.staff[s]
        self.members = {cls[0]: cls for cls in interchangeable(problem, s)}
        hidden = {problem.shifts[t].id: 0 for cls in self.members.values() for t in cls[1:]}
        own = own_problem(problem, s)
        if hidden:
            own = replace(own, staff=(replace(st, max_shifts={**st.max_shifts, **hidden}),))
        self.built = build_model(own, objective=False)
        self.cells = [(d, t, lit) for d, row in enumerate(self.built.ctx.vars.x[0])
                      for t, lit in row.items()]
        #: Rounding slack of the bound: at most half a unit per worked cell.
        self.slack = 0.5 * problem.days / SCALE

    def price(self, prices: Mapping[tuple[int, int], float], time_limit: float,
              seed: int = 0) -> Priced | None:
        """Minimise ``own cost - sum(prices of the cells worked)`` over the employee's rows.

        Returns None when CP-SAT finds no row in time (or the employee has none).
        """
        objective = self.built.model.proto.objective
        objective.vars.clear()
        objective.coeffs.clear()
        own = self.cost.cell
        coefficients: dict[tuple[int, int], int] = {}
        pick: dict[tuple[int, int], tuple[int, int]] = {}
        for d, rep, lit in self.cells:
            best = None
            for t in self.members[rep]:
                key = (d, t)
                c = round((own.get(key, 0) - prices.get(key, 0.0)) * SCALE)
                if c:
                    coefficients[key] = c
                if best is None or c < best:
                    best, pick[(d, rep)] = c, key
            if best:
                objective.vars.append(lit.index)
                objective.coeffs.append(best)
        cp = cp_model.CpSolver()
        prm = cp.parameters
        prm.num_workers = 1
        prm.random_seed = seed
        prm.max_time_in_seconds = max(0.01, time_limit)
        for key, value in PARAMETERS.items():
            setattr(prm, key, value)
        found = _Rows(self.cells)
        code = cp.solve(self.built.model, found)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        rhs = math.ceil(cp.best_objective_bound - 1e-9)
        lower = self.cost.constant + rhs / SCALE - self.slack
        rows = tuple(dict.fromkeys(tuple(pick[cell] for cell in row) for row in found.rows))
        return Priced(lower, rows, code == cp_model.OPTIMAL, coefficients, rhs)
