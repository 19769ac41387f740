"""Where a roster loses against the relaxation: the reduced costs of its rows and cover cells.

With the master's optimal duals, the cost of any roster is the relaxation's value plus the
reduced cost of each employee's row plus, for each cover demand, the shortfall and excess
priced at ``weight - dual``. Each part is (about) non-negative, so a roster whose cost is close to
the bound can only be improved by changing the rows and the days that carry these parts: the
large-neighbourhood search frees those more often (:mod:`solver.neighbourhoods`). The
relaxation's solution also narrows the model for the first part of that search (each cell to the
shifts the relaxation's rows give it: :meth:`Guide.narrowed`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from solver.master import Duals, Master
from solver.pricing import RowCost
from solver.result import Roster

if TYPE_CHECKING:
    from solver.roster import BuiltModel


class Guide:
    """Reduced costs of a roster's rows (per employee) and cover cells (per day)."""

    def __init__(self, master: Master, duals: Duals) -> None:
        self.master = master
        self.duals = duals
        p = master.problem
        self.costs = [RowCost(p, s) for s in range(len(p.staff))]
        self.prices = [master.prices(s, duals.cover) for s in range(len(p.staff))]
        #: per employee: the relaxation's share of each (day, shift index) cell (the master's
        #: solution at the time of the guide)
        self.share = master.cell_shares()
        #: per employee: day -> the shift worked there in more than half of that solution
        self._rounded = [{d: t for (d, t), v in share.items() if v > 0.5} for share in self.share]

    def weights(self, roster: Roster) -> tuple[list[float], list[float]]:
        """Per employee the reduced cost of their row, per cover demand that of its penalty
        (negative parts, which only rounding or an unfinished relaxation leave, count as 0)."""
        staff_rc, cover_rc, _ = self.parts(roster)
        return [max(0.0, v) for v in staff_rc], [max(0.0, v) for v in cover_rc]

    def parts(self, roster: Roster) -> tuple[list[float], list[float], float]:
        """The cost of ``roster`` split into row parts, cover-demand parts and a constant.

        ``sum(staff) + sum(cover) + constant`` is the roster's cost whatever the duals; with
        optimal duals the constant is about the relaxation's value and the parts are about
        non-negative.
        """
        p = self.master.problem
        idx = p.shift_index
        count = [0] * len(p.cover)
        staff_w: list[float] = []
        for s, st in enumerate(p.staff):
            cells = tuple((d, idx[c]) for d, c in enumerate(roster[st.id]) if c is not None)
            prices = self.prices[s]
            earned = sum(prices.get(key, 0.0) for key in cells)
            rc = self.costs[s](cells) - earned - self.duals.convexity[s]
            staff_w.append(rc)
            demands = self.master.demands_of[s]
            for key in cells:
                for k in demands.get(key, ()):
                    count[k] += 1
        cover_w: list[float] = []
        constant = sum(self.duals.convexity)
        for k, c in enumerate(p.cover):
            pi = self.duals.cover[k]
            n = count[k]
            constant += pi * c.requirement
            cover_w.append((self.master.under_weight[k] - pi) * max(0, c.requirement - n)
                           + (c.over_weight + pi) * max(0, n - c.requirement))
        return staff_w, cover_w, constant

    def rounded(self, s: int, d: int) -> int | None:
        """The shift (index) employee ``s`` works on day ``d`` in more than half of the
        relaxation's solution, or None (a day off, or no shift that often)."""
        return self._rounded[s].get(d)

    def narrowed(self, built: BuiltModel, roster: Roster) -> BuiltModel:
        """A copy of ``built`` where each cell may only take a shift some row of the
        relaxation's solution gives it, or the one ``roster`` gives it (a day off always).

        The relaxation's neighbourhood of the roster (as in "relaxation enforced neighbourhood
        search"): far fewer values, all of them where the relaxation, close to the optimum on
        these problems, puts work. ``built`` is left as it is.
        """
        p = self.master.problem
        idx = p.shift_index
        model = built.model.clone()
        variables = model.proto.variables
        for s, st in enumerate(p.staff):
            share = self.share[s]
            row = roster[st.id]
            for d, cells in enumerate(built.ctx.vars.x[s]):
                mine = None if row[d] is None else idx[row[d]]
                for t, lit in cells.items():
                    if t != mine and (d, t) not in share:
                        dom = variables[lit.index].domain
                        dom[0] = dom[1] = 0
        return built.with_model(model)
