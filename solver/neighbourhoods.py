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

Measured (60 s, 2 workers, against CP-SAT's ``max_lp`` portfolio alone, same machine and
load): Instance11 3448 against 3666, Instance12 4843 / 5770, Instance15 5652 / 7088,
Instance16 3733 / 4349, Instance18 5311 / 6217 (see :mod:`solver.strategy`). Tried and lost:
aiming half of the steps at days where cover is short or at staff with unmet requests
(Instance15, 30 s from the same roster: 6694 and 6307 against 5602 and 5599 unaimed); the
default LP level in steps (4402 against 3453-3562 on Instance11) or none (4916); steps of
1 or 2 s instead of 0.5 s. Steps of 0.3 s (60 s, quiet machine, against 0.5 s): Instance15
5146 / 4947, Instance12 4628 / 4828, Instance18 5304 / 5402: mixed, 0.5 s kept. The two
threads keep both cores busy (Instance15, 30 s: 58.5 s of CPU), so a third would not help.

With a :class:`~solver.guide.Guide` (column generation ran first), two more kinds draw the
employees in proportion to the reduced cost of their row and centre the window of days on a
cover demand drawn in proportion to its share of the cost above the relaxation: the steps go
where the roster is furthest from the bound. A third kind freeing the staff able to work the
most costly cover demands was tried (60 s, seeds 0 and 1, with / without): Instance8 1316,
1413 / 1403, 1324; Instance12 4361, 4290 / 4261, 4385; Instance15 4772, 4691 / 4491, 4350;
Instance18 4711, 5003 / 5126, 5023: no winner within the spread, not kept. The "pair" kind
(kept) frees every employee on two short windows, one around a cover demand the roster leaves
short, one around a demand it over-staffs, so that work can move between distant days (60 s,
seeds 0 and 1, with / without): Instance15 3890, 4094 / 4186, 4176; Instance8 1306, 1314 /
1309, 1418; Instance16 3324, 3226 / 3228, 3226; Instance18 4693, 4695 / 4703, 4612. Nor a kick (after
5 s without a better roster, one step of 2 s freeing twice the share; with / without, seeds 0
and 1): Instance8 1412, 1313 / 1308, 1309; Instance14 1278 (optimal), 1282 / 1280, 1278
(optimal); Instance16 3225, 3330 / 3327, 3229; Instance18 4792, 4706 / 4780, 4730. Instance8
and 16 end either near the optimum or one cover shortfall (100) above it, whatever the variant.
Also measured and not kept (60 s, seeds 0 and 1, with / without, interleaved runs): drawing the
kinds in proportion to the cost they removed per second lately (adaptive LNS; on Instance18 the
day-window and pair kinds remove 3-5 times more per step than the staff kinds): Instance15
4179, 4282 / 4185, 4279; Instance18 4688, 4909 / 4776, 4819; Instance16 3323, 3239 / 3230,
3225; Instance8 1307, 1311 / 1314, 1406. An iterated local search (after 4 s without a cheaper
roster the second thread leaves the best roster for the cheapest one that changes at least 6
cells of a window of days, and descends from there): Instance15 4289, 4178 / 4287, 4099;
Instance18 4696, 4700 / 4590, 4693; Instance16 3323, 3322 / 3325, 3233; Instance8 1322, 1309 /
1306, 1312. On Instance15 the search falls from 7296 to about 4190 in 14 s and then stalls
(39 units of cover short, best known about 36); CP-SAT's own portfolio, hinted with the
stalled roster for 15 s, gains 8-13 as well.

Threads that go apart (kept, SPLIT_AFTER). Measured 2026-12-06 (60 s, 2 workers, interleaved
runs, seeds 0-3; the machine was slower that day: the column-generation bounds at the hand-over
were lower than in earlier runs). Each thread on a roster of its own from the start, against
one shared roster: Instance16 3226, 3226, 3226, 3227 / 3324, 3329, 3328, 3327 (the shared
search ended one cover shortfall above the optimum in all four runs); Instance8 1327, 1321,
1312, 1423 / 1413, 1507, 1338, 1395; Instance14 1285, 1292, 1379, 1282 / 1289, 1385, 1388,
1278; Instance15 4450, 4252, 4341, 4335 / 4236, 4244, 4415, 4543; Instance18 4723, 4812, 5085,
4714 / 4905, 4690, 5012, 5040; but Instance12, whose search does not stall within the minute,
lost (4384, 4354 / 4056, 4158: each thread descends at half the pace). Sharing until the best
roster has not improved for 3 s, then apart (seeds 0 and 1, against shared): Instance16 3225,
3226 / 3322, 3322; Instance12 4164, 4158 / 4263, 4165; Instance15 4066, 4350 / 4313, 4364;
Instance8 1312, 1411 / 1404, 1307; Instance18 4811, 4634 / 4916, 5012.

Where the steps' time goes (2026-12-06, 60 s, seed 0, every step of both threads counted):
Instance15 178 steps, of which 41 solved to optimality (0.27 s on average, 2673 of the cost
removed), 21 cut short with a cheaper roster (0.53 s, 867), 59 proven to hold nothing cheaper
(0.22 s) and 57 cut short with nothing (0.51 s); Instance18 38 / 15 / 65 / 53 steps alike;
Instance8 18 / 3 / 219 / 53 (its search sits in a local optimum of every kind of step). Model
cloning and fixing cost 0.03-0.05 s a step. Tried the same day and not kept (seeds 0 and 1,
kept code first, interleaved runs):

* shrinking the share faster after a step cut short with nothing (0.75) and not at all after
  one cut short with a cheaper roster: Instance15 4290, 4295 / 4303, 4470; Instance18 4875,
  4797 / 4717, 4799; Instance8 1306, 1314 / 1305, 1311; Instance12 4049, 4047 / 4046, 4047;
* a crossover once the threads went apart (three steps in ten free the cells where the
  thread's roster and the other thread's differ, on random staff up to the step's share):
  Instance15 4002, 4093 / 4182, 4122; Instance18 4817, 4700 / 4801, 4711; Instance8 1306,
  1328 / 1304, 1311; Instance12 4051, 4154 / 4044, 4152;
* sideways steps once the threads went apart (three in ten ask for a different roster of the
  part costing no more, so that a thread may walk along a plateau): Instance16 3236, 3322 /
  3422, 3225; Instance12 4052, 4047 / 4050, 4047; Instance8 1305, 1316 / 1313, 1307;
  Instance15 4090, 4201 / 4106, 4197; Instance18 4595, 4682 / 4900, 4695.

None stands out of the run-to-run spread (Instance15 4002-4295 with the kept code that day).

Measured 2026-12-07 (60 s, 2 workers, interleaved runs, kept code first). Instance8 ends either
near the optimum (1304-1320) or a cover shortfall above it (1398-1493), from the same seed too.
On a roster stalled at 1406 (13 units of cover short, where supply is 4 short of demand): every
staff on 14 consecutive days, 5 s a solve, found a cheaper roster in two tries of six (1323 and
1405), 7 or 10 days never (proven in 0.1-0.2 s), 3-8 whole rows never, 12 whole rows ran out of
time; freeing an employee below their maximum hours on every day with everybody within 2 or 3
days of a shortfall found nothing in 270 tries. Longer steps while a thread's roster has not
improved (``0.5 s x (1 + stalled seconds / 3)``, at most 4 s), not kept: Instance8 seeds 0-3
1398, 1304, 1315, 1320 / 1313, 1403, 1405, 1399; Instance15 seeds 0, 1 4404, 4271 / 4386, 4027;
Instance18 4820, 4925 / 4746, 4948.

Deep steps (kept, DEEP_AFTER): once a thread's roster has not improved for 6 s, one step in 6 s
frees every employee on a run of 14 days for 5 s, each employee on a run of their own (half of
Instance8's cells; the test above freed one run for all). Same day, a busier machine (without /
with, seeds 0-3): Instance8 1498, 1495, 1502, 1591 / 1493, 1404, 1403, 1399 (one shortfall less
in three runs of four); Instance15 (seeds 0, 1) 4268, 4184 / 4320, 4051; Instance18 4817, 5186
/ 4630, 5244. Deep steps twice as often (DEEP_AFTER 3 s against 6 s, 2026-12-07, a quieter
machine, interleaved, seeds 0-7): Instance8 1305, 1398, 1399, 1404, 1309, 1315, 1308, 1304 /
1408, 1395, 1306, 1303, 1401, 1401, 1405, 1303 (five runs of eight within 1 % of the bound of
1297 against three): not kept.
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
#: Share of the roster's cells freed by the first step of each kind.
FIRST_SHARE = 0.2
#: How the share of freed cells changes after a step CP-SAT solved (found the best roster of
#: the part, or proved it holds no cheaper one) ...
GROW = {cp_model.OPTIMAL: 1.15, cp_model.INFEASIBLE: 1.05}
#: ... or could not finish.
SHRINK = 0.87
#: The threads step from one shared best roster until it has not improved for this many
#: seconds; from then on each thread goes on from a roster of its own (0: from the start).
#: Measured: see the module docstring.
SPLIT_AFTER = 3.0
#: Seconds CP-SAT gets for one step.
STEP_SECONDS = 0.5
#: Once a thread's roster has not improved for DEEP_AFTER seconds (None: never), one step in
#: that many seconds is deep: every employee on a run of DEEP_DAYS days of their own, for
#: DEEP_SECONDS (a part the short steps never reach; its size is not adapted). Measured: see
#: the module docstring.
DEEP_AFTER: float | None = 6.0
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
        if kind.startswith("guided") and self.guide is not None:
            staff_w, cover_w = self.guide.weights(roster)
            if kind == "guided_staff":
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

    def step(self, roster: Roster, cost: int, seconds: float,
             deep: bool = False) -> tuple[Roster, int] | None:
        """One step from ``roster`` (of cost ``cost``); the new roster and cost if kept.

        A ``deep`` step frees every employee on DEEP_DAYS consecutive days, each on a run of
        days of their own (drawn anywhere in the horizon).
        """
        p = self.problem
        kind = "deep" if deep else self.rng.choice(self.kinds)
        free = self._cells(kind, roster)
        model = self.built.model.clone()
        variables = model.proto.variables
        idx = p.shift_index
        for s, st in enumerate(p.staff):
            row = roster[st.id]
            for d in range(p.days):
                cell = row[d]
                want = None if cell is None else idx[cell]
                if (s, d) in free:
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
                base = best if own is None else own
                start, start_cost, since = base["roster"], base["cost"], base["at"]
            deep = DEEP_AFTER is not None and now - max(since, last_deep) >= DEEP_AFTER
            if deep:
                last_deep = now
            found = lns.step(start, start_cost,
                             min(DEEP_SECONDS if deep else STEP_SECONDS, left), deep)
            if found is None:
                continue
            if own is not None:
                _keep(own, found)
            with lock:
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
