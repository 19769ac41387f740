"""The restricted master problem of column generation: a linear programme over known rows.

For problems with soft cover only (see :func:`solver.colgen.applies`).

Each employee works exactly one of their rows (a convex combination in the relaxation); each
cover demand is met by the rows working it plus a shortfall or an excess, paid at the demand's
weights. Solved with Glop (OR-Tools' simplex). Its duals price the cells for the pricing
problems; its value is an upper bound of the relaxation and falls to the relaxation's value as
rows are added.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.linear_solver import pywraplp

from solver.pricing import Cells
from solver.problem import RosterProblem


@dataclass
class Duals:
    """An optimal dual solution of the master.

    Attributes:
        value: Optimal value of the master.
        cover: Dual of each cover demand (index as in ``problem.cover``).
        convexity: Dual of each employee's "one row" constraint.
    """

    value: float
    cover: list[float]
    convexity: list[float]


@dataclass
class _Column:
    cells: Cells
    cost: int
    var: pywraplp.Variable


@dataclass
class Master:
    """The master LP of ``problem``; rows are added with :meth:`add`."""

    problem: RosterProblem
    columns: list[dict[Cells, _Column]] = field(init=False)

    def __post_init__(self) -> None:
        p = self.problem
        self.lp = pywraplp.Solver.CreateSolver("GLOP")
        objective = self.lp.Objective()
        objective.SetMinimization()
        idx = p.shift_index
        #: per employee: (day, shift index) -> cover demands the employee counts towards there
        self.demands_of: list[dict[tuple[int, int], list[int]]] = [{} for _ in p.staff]
        self.cover_rows: list[pywraplp.Constraint] = []
        self.under_weight: list[float] = []
        self.max_over: list[int] = []
        for k, c in enumerate(p.cover):
            key = (c.day, idx[c.shift])
            eligible = 0
            for s, st in enumerate(p.staff):
                if c.skill is None or c.skill in st.skills:
                    self.demands_of[s].setdefault(key, []).append(k)
                    eligible += 1
            row = self.lp.Constraint(c.requirement, c.requirement)
            under_weight = c.under_weight
            under = self.lp.NumVar(0, c.requirement, "")
            over = self.lp.NumVar(0, max(0, eligible - c.requirement), "")
            row.SetCoefficient(under, 1)
            row.SetCoefficient(over, -1)
            objective.SetCoefficient(under, under_weight)
            objective.SetCoefficient(over, c.over_weight)
            self.cover_rows.append(row)
            self.under_weight.append(under_weight)
            self.max_over.append(max(0, eligible - c.requirement))
        self.convexity = [self.lp.Constraint(1, 1) for _ in p.staff]
        self.columns = [{} for _ in p.staff]

    def add(self, s: int, cells: Cells, cost: int) -> bool:
        """Add a row of employee ``s`` (own cost ``cost``); False if it is known already."""
        if cells in self.columns[s]:
            return False
        var = self.lp.NumVar(0, self.lp.infinity(), "")
        self.lp.Objective().SetCoefficient(var, cost)
        self.convexity[s].SetCoefficient(var, 1)
        demands = self.demands_of[s]
        for key in cells:
            for k in demands.get(key, ()):
                self.cover_rows[k].SetCoefficient(var, 1)
        self.columns[s][cells] = _Column(cells, cost, var)
        return True

    def size(self) -> int:
        """Number of rows known."""
        return sum(len(c) for c in self.columns)

    def solve(self) -> Duals | None:
        """Optimal value and duals (None if Glop fails, which a valid master never makes it)."""
        if self.lp.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        return Duals(self.lp.Objective().Value(), [r.dual_value() for r in self.cover_rows],
                     [r.dual_value() for r in self.convexity])

    def cell_shares(self) -> list[dict[tuple[int, int], float]]:
        """Per employee, the share of the last solution's rows working each (day, shift index)
        cell (cells no row with a positive share works are left out)."""
        out: list[dict[tuple[int, int], float]] = []
        for cols in self.columns:
            share: dict[tuple[int, int], float] = {}
            for col in cols.values():
                v = col.var.solution_value()
                if v > 1e-6:
                    for key in col.cells:
                        share[key] = share.get(key, 0.0) + v
            out.append(share)
        return out

    def prices(self, s: int, cover: list[float]) -> dict[tuple[int, int], float]:
        """What each cell earns employee ``s`` at cover duals ``cover``."""
        return {key: sum(cover[k] for k in ks) for key, ks in self.demands_of[s].items()}

    def reduced_cost(self, s: int, cells: Cells, cost: int, duals: Duals) -> float:
        """Reduced cost of a row of employee ``s`` at ``duals``."""
        demands = self.demands_of[s]
        earned = sum(duals.cover[k] for key in cells for k in demands.get(key, ()))
        return cost - earned - duals.convexity[s]

    def lagrangian(self, cover: list[float], lowers: list[float]) -> float:
        """Lagrangian bound at cover duals ``cover``, from each employee's priced lower bound.

        ``sum(pi * requirement) + sum(lowers)`` plus the least the slacks can cost at those
        duals (nothing when every dual lies within [-over weight, under weight]).
        """
        p = self.problem
        total = sum(lowers)
        for k, c in enumerate(p.cover):
            pi = cover[k]
            total += pi * c.requirement
            total += min(0.0, (self.under_weight[k] - pi) * c.requirement)
            total += min(0.0, (c.over_weight + pi) * self.max_over[k])
        return total
