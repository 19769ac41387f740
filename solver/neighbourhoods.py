"""Large-neighbourhood search over the whole CP-SAT model, with the roster's own structure.

The model is built once. Each step frees a part of the current roster — some employees on
every day, every employee on some consecutive days, or a block of both — fixes every other
cell to its current value (domains of a cheap clone of the model) and lets CP-SAT re-solve
the freed part for half a second, hinted with the current values and asked for a cheaper
roster (so that it may also prove quickly that the part holds none). The share of freed
cells adapts: it grows after steps CP-SAT solves to optimality and shrinks after steps it
cannot finish, so steps stay short whatever the instance.

CP-SAT's own LNS workers pick variables without knowing what a row or a day is; freeing
whole rows lets shifts move between employees, freeing whole days lets a block of work move
along the horizon, which is what a roster needs to get rid of a cover shortfall.

The kinds of part: staff, days, block, and pair (every employee on two short windows, one
around a cover demand the roster leaves short, one around a demand it over-staffs, so that work
can move between distant days). With a :class:`~solver.guide.Guide` (column generation ran
first) two more kinds draw the employees in proportion to the reduced cost of their row and
centre the window of days on a costly cover demand; on small rosters a third kind, drawn
RELAXED_WEIGHT times as often as each other kind, frees such employees' rows and hints them
with the relaxation's rows, not their own. Two threads share the best roster until it has not
improved for SPLIT_AFTER seconds, then each goes on from a roster of its own; once a thread's
roster has not improved for DEEP_AFTER seconds, one step in that many is deep (every employee
on a run of DEEP_DAYS days of their own, for DEEP_SECONDS). Apart, a share CROSS of a thread's
steps (on rosters of at most CROSS_MAX_CELLS cells) free the cells where its roster and another
thread's differ, so that one step may combine what each found.

The measurements behind these choices, and the variants tried and lost, are in
``solver/MEASUREMENTS.md`` (section Structured LNS).
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from ortools.sat.python import cp_model

from solver.lns import Coverage
from solver.model.objective import solution_cost
from solver.result import Roster

if TYPE_CHECKING:
    from solver.guide import Guide
    from solver.roster import BuiltModel

#: Ask each step for a strictly cheaper roster (True) or for one costing no more (False).
STRICT = True
#: Kinds of neighbourhood, drawn uniformly.
KINDS = ("staff", "days", "block", "pair")
#: Kinds added when a :class:`~solver.guide.Guide` is given: the same shapes, with the staff
#: and the days drawn in proportion to the reduced costs the roster carries there.
GUIDED_KINDS = ("guided_staff", "guided_block")
#: With a guide, on rosters of at most this many cells (staff x days; 0: never), one more kind:
#: staff drawn as for "guided_staff", their rows hinted with the relaxation's rounded rows
#: (:meth:`solver.guide.Guide.rounded`) instead of their own, so that CP-SAT looks first where
#: the relaxation works. Measured: see solver/MEASUREMENTS.md (Instance8 and 16 gain; Instance15
#: lost in both runs measured, so not on larger rosters).
RELAXED_MAX_CELLS = 1_200
#: ... drawn as often as this many other kinds together (a third of the steps with the six
#: others; measured: see solver/MEASUREMENTS.md).
RELAXED_WEIGHT = 3
#: Share of the roster's cells freed by the first step of each kind.
FIRST_SHARE = 0.2
#: How the share of freed cells changes after a step CP-SAT solved (found the best roster of
#: the part, or proved it holds no cheaper one) ...
GROW = {cp_model.OPTIMAL: 1.15, cp_model.INFEASIBLE: 1.05}
#: ... or could not finish.
SHRINK = 0.87
#: The threads step from one shared best roster until it has not improved for this many
#: seconds; from then on each thread goes on from a roster of its own (0: from the start).
#: Measured: see solver/MEASUREMENTS.md.
SPLIT_AFTER = 3.0
#: Seconds CP-SAT gets for one step.
STEP_SECONDS = 0.5
#: Once a thread's roster has not improved for DEEP_AFTER seconds (None: never), one step in
#: that many seconds is deep: every employee on a run of DEEP_DAYS days of their own, for
#: DEEP_SECONDS (a part the short steps never reach; its size is not adapted). Measured: see
#: solver/MEASUREMENTS.md.
DEEP_AFTER: float | None = 6.0
#: Share of the steps of a thread on its own that free the cells where its roster and another
#: thread's differ (a crossing of the two; 0: none). Measured: see solver/MEASUREMENTS.md.
CROSS = 0.2
#: ... on rosters of at most this many cells (staff x days): Instance8 (840) and 16 (1120) gain,
#: Instance15 (1890) lost in three seeds of three, Instance18 (1848) even.
CROSS_MAX_CELLS = 1_200
DEEP_DAYS = 14
DEEP_SECONDS = 5.0
#: CP-SAT parameters of a step: the strongest LP (measured: Instance11, 30 s from the same
#: roster, 3453-3562 with level 2 against 4402 with the default level 1, 4916 with 0).
STEP_PARAMETERS: dict[str, object] = {"linearization_level": 2}


class RosterLNS:
    """Improve a roster of ``built``'s problem by re-solving parts of it.

    Args:
        built: The full model (hard rules and objective), never modified.
        seed: Random seed.
        register: Receives the running CP-SAT solver (or None) so a stop can reach it.
    """

    def __init__(self, built: BuiltModel, seed: int,
                 register: Callable[[cp_model.CpSolver | None], None],
                 guide: Guide | None = None) -> None:
        self.built = built
        self.problem = built.ctx.problem
        self.rng = random.Random(seed)
        self.register = register
        self.guide = guide
        self.kinds = KINDS + GUIDED_KINDS if guide is not None else KINDS
        if guide is not None and len(self.problem.staff) * self.problem.days <= RELAXED_MAX_CELLS:
            self.kinds += ("relaxed_staff",) * RELAXED_WEIGHT
        self.share = dict.fromkeys(self.kinds, FIRST_SHARE)
        # variable index of x[s][d][t]
        self.index = [[{t: lit.index for t, lit in day.items()} for day in row]
                      for row in built.ctx.vars.x]

    def _weighted(self, weights: list[float], k: int) -> list[int]:
        """``k`` distinct indices, each drawn in proportion to its weight (plus a little)."""
        floor = 0.05 * sum(weights) / max(1, len(weights)) + 1e-3
        keys = [self.rng.random() ** (1.0 / (w + floor)) for w in weights]
        return sorted(range(len(weights)), key=keys.__getitem__, reverse=True)[:k]

    def _cells(self, kind: str, roster: Roster) -> set[tuple[int, int]]:
        p = self.problem
        n_staff, n_days = len(p.staff), p.days
        if kind == "deep":  # every employee on a run of DEEP_DAYS days of their own
            w = min(n_days, DEEP_DAYS)
            return {(s, d) for s in range(n_staff) for d in self._window(None, w)}
        share = self.share[kind]
        if (kind in GUIDED_KINDS or kind == "relaxed_staff") and self.guide is not None:
            staff_w, cover_w = self.guide.weights(roster)
            if kind in ("guided_staff", "relaxed_staff"):
                k = min(n_staff, max(2, round(share * n_staff)))
                return {(s, d) for s in self._weighted(staff_w, k) for d in range(n_days)}
            k, w = self._block(share)
            staff = self._weighted(staff_w, k)
            centre = p.cover[self._weighted(cover_w, 1)[0]].day if p.cover else None
            return {(s, d) for s in staff for d in self._window(centre, w)}
        if kind == "staff":
            k = min(n_staff, max(2, round(share * n_staff)))
            staff = self.rng.sample(range(n_staff), k)
            return {(s, d) for s in staff for d in range(n_days)}
        if kind == "days":
            w = min(n_days, max(2, round(share * n_days)))
            return {(s, d) for s in range(n_staff) for d in self._window(None, w)}
        if kind == "pair":
            w = min(n_days, max(2, round(share * n_days / 2)))
            days: set[int] = set()
            for pool in Coverage(p, roster).gaps():
                days.update(self._window(self.rng.choice(pool) if pool else None, w))
            return {(s, d) for s in range(n_staff) for d in days}
        # a block: a window of days for some of the staff
        k, w = self._block(share)
        window = self._window(None, w)
        staff = self.rng.sample(range(n_staff), k)
        return {(s, d) for s in staff for d in window}

    def _block(self, share: float) -> tuple[int, int]:
        """Staff and days of a block freeing about ``share`` of the cells (wider than tall)."""
        p = self.problem
        side = min(1.0, share ** 0.5)
        return (min(len(p.staff), max(2, round(side * len(p.staff) * 1.4))),
                min(p.days, max(3, round(side * p.days / 1.4))))

    def _window(self, centre: int | None, w: int) -> range:
        """``w`` consecutive days around ``centre`` (anywhere when None), within the horizon."""
        last = self.problem.days - w  # the latest first day
        a = self.rng.randrange(last + 1) if centre is None else min(max(0, centre - w // 2), last)
        return range(a, a + w)

    def step(self, roster: Roster, cost: int, seconds: float, deep: bool = False,
             other: Roster | None = None, kind: str | None = None) -> tuple[Roster, int] | None:
        """One step from ``roster`` (of cost ``cost``); the new roster and cost if kept.

        A ``deep`` step frees every employee on DEEP_DAYS consecutive days, each on a run of
        days of their own (drawn anywhere in the horizon). With ``other`` (another roster of
        the same problem) the step frees the cells where the two differ: the rest, which both
        agree on, stays. ``kind`` forces the kind of part (drawn among ``self.kinds`` when None).
        """
        p = self.problem
        if other is not None:
            kind = "cross"
            free = {(s, d) for s, st in enumerate(p.staff) for d in range(p.days)
                    if roster[st.id][d] != other[st.id][d]}
        else:
            kind = kind or ("deep" if deep else self.rng.choice(self.kinds))
            free = self._cells(kind, roster)
        relaxed = self.guide if kind == "relaxed_staff" else None
        model = self.built.model.clone()
        variables = model.proto.variables
        idx = p.shift_index
        for s, st in enumerate(p.staff):
            row = roster[st.id]
            for d in range(p.days):
                cell = row[d]
                want = None if cell is None else idx[cell]
                if (s, d) in free:
                    if relaxed is not None:
                        want = relaxed.rounded(s, d)
                    for t, i in self.index[s][d].items():
                        model.proto.solution_hint.vars.append(i)
                        model.proto.solution_hint.values.append(int(t == want))
                    continue
                for t, i in self.index[s][d].items():
                    dom = variables[i].domain
                    dom[0] = dom[1] = int(t == want)
        code, cp = solve_part(model, seconds, self.rng.randrange(1 << 30), self.register,
                              cheaper_than=cost if STRICT else None)
        # aim at steps CP-SAT finishes about half of the time; a part proven to hold nothing
        # cheaper widens the next one a little (without it the search stalls in a local
        # optimum; growing as fast as after a solved step made steps too long, measured)
        if kind in self.share:  # a deep step's size is fixed
            self.share[kind] = adapted(self.share[kind], code)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None
        new_cost = solution_cost(cp, self.built.terms)
        if new_cost > cost:
            return None
        out = {sid: list(row) for sid, row in roster.items()}
        x = self.built.ctx.vars.x
        for s, d in free:
            cell = None
            for t, lit in x[s][d].items():
                if cp.boolean_value(lit):
                    cell = p.shifts[t].id
                    break
            out[p.staff[s].id][d] = cell
        return out, new_cost


def adapted(share: float, code: int, grow: Mapping[int, float] = GROW) -> float:
    """The share of cells to free after a step CP-SAT ended with ``code`` (in [0.01, 1]).

    ``grow`` maps the statuses that widen the next step to their factor (GROW by default); any
    other status narrows it by SHRINK.
    """
    return min(1.0, max(0.01, share * grow.get(code, SHRINK)))


def solve_part(model: cp_model.CpModel, seconds: float, seed: int,
               register: Callable[[cp_model.CpSolver | None], None], workers: int = 1,
               cheaper_than: int | None = None) -> tuple[int, cp_model.CpSolver]:
    """One short CP-SAT solve of a part of a roster (STEP_PARAMETERS, at least 0.05 s).

    ``register`` holds the solver while it runs, so that a stop reaches it. With
    ``cheaper_than``, only a roster costing less is wanted: CP-SAT may then prove that the part
    holds none and stop early. Returns CP-SAT's status and the solver, to read the roster from.
    """
    from solver.roster import set_parameters

    objective = model.proto.objective
    if cheaper_than is not None and not objective.domain:
        objective.domain.extend([-(1 << 60), cheaper_than - 1 - round(objective.offset)])
    cp = cp_model.CpSolver()
    set_parameters(cp, max(0.05, seconds), workers, seed, **STEP_PARAMETERS)
    register(cp)
    try:
        return cp.solve(model), cp
    finally:
        register(None)


def search_parallel(built: BuiltModel, roster: Roster, cost: int, deadline: float,
                    stopped: Callable[[], bool],
                    register: Callable[[cp_model.CpSolver | None], None],
                    threads: int = 2, seed: int = 0, floor: float | None = None,
                    improved: Callable[[Roster, int], None] | None = None,
                    guide: Guide | None = None,
                    patience: float | None = None) -> tuple[Roster, int]:
    """Steps of :class:`RosterLNS` until ``deadline`` or a stop, in ``threads`` threads.

    At first the threads share the best roster: each step starts from the best roster known at
    that moment, and its roster replaces the best one when it costs no more (CP-SAT releases
    the GIL while it solves, so the threads use the cores). Once the best roster has not
    improved for SPLIT_AFTER seconds, each thread goes on from a copy of it on its own, so that
    a local optimum holds one thread, not both; the best roster of all is still kept and
    reported. Stops early once the cost reaches ``floor`` (a proven lower bound): the roster is
    then optimal; with ``patience``, also once the best roster has not improved for that many
    seconds.
    """
    lock = threading.Lock()
    best: dict = {"roster": roster, "cost": cost, "at": time.monotonic()}
    owns: dict[int, dict] = {}
    p = built.ctx.problem
    cross = CROSS if len(p.staff) * p.days <= CROSS_MAX_CELLS else 0.0
    target = -math.inf if floor is None else math.ceil(floor - 1e-6)

    def done() -> bool:
        return stopped() or best["cost"] <= target or (
            patience is not None and time.monotonic() - best["at"] >= patience)

    def work(k: int) -> None:
        lns = RosterLNS(built, seed + 7919 * k, register, guide)
        own: dict | None = None  # the thread's own roster (as ``best``), once apart
        last_deep = 0.0  # when the thread's last deep step began
        while not done():
            now = time.monotonic()
            left = deadline - now
            if left < 0.1:
                return
            with lock:
                if own is None and now - best["at"] >= SPLIT_AFTER:
                    own = dict(best)
                    owns[k] = own
                base = best if own is None else own
                start, start_cost, since = base["roster"], base["cost"], base["at"]
            deep = DEEP_AFTER is not None and now - max(since, last_deep) >= DEEP_AFTER
            if deep:
                last_deep = now
            other = None
            if own is not None and not deep and lns.rng.random() < cross:
                with lock:
                    mates = [o["roster"] for j, o in owns.items()
                             if j != k and o["roster"] != start]
                other = lns.rng.choice(mates) if mates else None
            found = lns.step(start, start_cost,
                             min(DEEP_SECONDS if deep else STEP_SECONDS, left), deep, other)
            if found is None:
                continue
            with lock:
                if own is not None:
                    _keep(own, found)
                better = _keep(best, found)
            if better and improved is not None:
                improved(*found)

    pool = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return best["roster"], best["cost"]


def _keep(state: dict, found: tuple[Roster, int]) -> bool:
    """Make ``found`` the roster of ``state`` (keys roster, cost, at) if it costs no more;
    True when it costs less (``at`` is then now)."""
    better = found[1] < state["cost"]
    if found[1] <= state["cost"]:
        state["roster"], state["cost"] = found
        if better:
            state["at"] = time.monotonic()
    return better
