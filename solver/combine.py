"""A first roster from the rows column generation found: one row per employee, chosen greedily.

Starts from each employee's row with the largest share in the master's solution, then moves
one employee at a time to the row that costs least given everybody else's (own cost plus the
change in cover penalties), until no move helps. Every row keeps its employee's hard rules, so
the result is a valid roster. Fast (pure Python over a few thousand rows); its roster is a
starting point for the large-neighbourhood search, not an end (Instance12: 8927 from a
greedy-construction start of 24048, before the search).

Measured 2026-12-06 after 27 s of column generation (seed 0): the master's rows are far from
an integer roster even where its value is close to the best known (Instance15: 3869, best known
3828; Instance18: 4559 against 4459): each employee's largest share is 0.18-0.79 and only 27 %
(Instance18) or 42 % (Instance15) of the cells take an integral value. This greedy gives 8657
and 7719 there in 0.2 s; CP-SAT over the same rows (one per employee, hinted with this roster,
8 s, 2 workers) found nothing cheaper. Nor, at the end of a 60 s solve of Instance16 stalled one
cover shortfall above the optimum (3326, bound 3224), did CP-SAT over the rows known plus the
final roster's (10 s): the rows known do not combine into a better roster, the search after
this greedy does the work.
"""

from __future__ import annotations

import random

from solver.master import Master
from solver.pricing import Cells
from solver.result import Roster


def combine(master: Master, seed: int = 0) -> Roster:
    """Choose one known row per employee (the master must hold one for each)."""
    p = master.problem
    master.solve()  # the shares of rows added since the last solve
    rng = random.Random(seed)
    cover = p.cover
    count = [0] * len(cover)
    demands_of = master.demands_of

    def penalty(k: int, n: int) -> int:
        c = cover[k]
        return c.under_weight * max(0, c.requirement - n) + c.over_weight * max(0, n - c.requirement)

    def place(s: int, cells: Cells, sign: int) -> None:
        demands = demands_of[s]
        for key in cells:
            for k in demands.get(key, ()):
                count[k] += sign

    def delta(s: int, cells: Cells) -> int:
        demands = demands_of[s]
        out = 0
        for key in cells:
            for k in demands.get(key, ()):
                out += penalty(k, count[k] + 1) - penalty(k, count[k])
        return out

    rows: list[list[tuple[Cells, int]]] = []
    chosen: list[int] = []
    for s, cols in enumerate(master.columns):
        options = [(col.cells, col.cost) for col in cols.values()]
        shares = [col.var.solution_value() for col in cols.values()]
        rows.append(options)
        chosen.append(max(range(len(options)), key=shares.__getitem__))
        place(s, options[chosen[s]][0], 1)
    improved = True
    while improved:
        improved = False
        order = list(range(len(rows)))
        rng.shuffle(order)
        for s in order:
            place(s, rows[s][chosen[s]][0], -1)
            best, pick = None, chosen[s]
            for i, (cells, cost) in enumerate(rows[s]):
                value = cost + delta(s, cells)
                if best is None or value < best:
                    best, pick = value, i
            current = rows[s][chosen[s]]
            if pick != chosen[s] and best is not None \
                    and best < current[1] + delta(s, current[0]):
                chosen[s] = pick
                improved = True
            place(s, rows[s][chosen[s]][0], 1)
    roster: Roster = {}
    for s, st in enumerate(p.staff):
        row: list[str | None] = [None] * p.days
        for d, t in rows[s][chosen[s]][0]:
            row[d] = p.shifts[t].id
        roster[st.id] = row
    return roster
