"""Employee-by-employee construction and improvement for very large problems.

All hard rules of the core problem concern one employee at a time; employees interact only
through the cover (and the fairness terms). With the other rows fixed, the cost of one
employee's row is linear (each cover cell turns into a gain or a cost for working it), so
the best row of one employee is a small CP-SAT model without any cover constraint. A first
roster is built one employee after another; it is then improved by best responses.
"""

from __future__ import annotations

import os
import pickle
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

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

    def gaps(self) -> tuple[list[int], list[int]]:
        """Days of the cover demands left short, and of those over-staffed."""
        short, extra = [], []
        for c in self.problem.cover:
            n = self.count[(c.day, c.shift, c.skill)]
            if n < c.requirement:
                short.append(c.day)
            elif n > c.requirement:
                extra.append(c.day)
        return short, extra

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
             hint: list[str | None] | None = None,
             restarts: bool = False) -> list[str | None] | None:
    """Best row for one employee, the others fixed (a light model: no cover constraints).

    With ``greedy`` it branches day by day on the most useful shift first, so the first
    solution is already a cover-aware greedy row; otherwise CP-SAT's quick-restart portfolio
    is used (finds rows where the greedy gets stuck). With ``restarts`` the greedy order is
    followed with restarts (gets the greedy out of a dead end far more cheaply than the
    portfolio). Returns None when no row is found in time or none exists.
    """
    from solver.roster import add_hint, build_model

    sub = problem.staff_only({sid})
    quick = greedy and first_only
    if quick:
        # only the branching order matters: fold the requests into the gains, no objective
        gains = dict(gains)
        idx = problem.shift_index
        for r in sub.requests:
            key = (r.day, idx[r.shift])
            gains[key] = gains.get(key, 0) + (-r.weight if r.on else r.weight)
    built = build_model(sub, objective=not quick)
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
    if not quick:
        variable = [t for t in built.terms if not isinstance(t.expr, int)]
        built.model.minimize(
            cp_model.LinearExpr.weighted_sum([t.expr for t in variable],
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
        prm.search_branching = cp_model.PORTFOLIO_WITH_QUICK_RESTART_SEARCH if restarts \
            else cp_model.FIXED_SEARCH
        # the greedy needs propagation only: presolving a year-long row costs far more
        # (Instance24: 1.5 s a row with presolve, 0.15 s without)
        prm.cp_model_presolve = False
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

    def construct(self, deadline: float, stopped: Callable[[], bool],
                  ids: list[str] | None = None) -> Roster | None:
        """A first roster: each employee in turn solved against those already placed.

        ``ids`` restricts the construction to some employees (the others stay off). Returns
        None when an employee has no feasible row (the problem is infeasible) or time runs out.
        """
        ids = self.ids if ids is None else ids
        roster: Roster = {sid: [None] * self.problem.days for sid in self.ids}
        cov = Coverage(self.problem, roster)
        for i, sid in enumerate(ids):
            if stopped() or time.monotonic() >= deadline:
                return None
            # employees not yet placed are off every day: they count for nothing
            share = (deadline - time.monotonic()) / (len(ids) - i)
            gains = cov.marginal(sid, roster[sid])
            row = self._first_row(sid, gains, share, deadline)
            if row is None:
                return None
            roster[sid] = row
            cov.add(sid, row)
        return roster

    def construct_parallel(self, deadline: float, stopped: Callable[[], bool],
                           parts: int = 2) -> Roster | None:
        """:meth:`construct` split over ``parts`` processes, each placing a share of the staff.

        Rows are feasible on their own (every hard rule concerns one employee), so the union
        is a feasible roster; each process sees only its own rows and aims at its share of
        each cover requirement. Model building is Python-bound, hence processes
        rather than threads (Instance24: 83 s in one process).
        """
        chunks = [self.ids[k::parts] for k in range(parts)]
        procs = []
        try:
            for k, chunk in enumerate(chunks):
                # each process aims at its share of every cover requirement
                share = replace(self.problem, cover=tuple(
                    replace(c, requirement=(c.requirement + parts - 1 - k) // parts)
                    for c in self.problem.cover))
                proc = subprocess.Popen([sys.executable, "-m", "solver.lns"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        env=_child_env())
                procs.append(proc)
                assert proc.stdin is not None
                proc.stdin.write(pickle.dumps((share, chunk, deadline - time.monotonic(),
                                               self.seed)))
                proc.stdin.close()
            outs = [_Reader(proc) for proc in procs]
            while not all(out.done.is_set() for out in outs):
                if stopped() or time.monotonic() >= deadline + 1.0:
                    return None
                time.sleep(0.05)
            parts_done = [out.result() for out in outs]
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
        if any(part is None for part in parts_done):
            return None
        roster: Roster = {}
        for part, chunk in zip(parts_done, chunks, strict=True):
            for sid in chunk:
                roster[sid] = part[sid]
        return {sid: roster[sid] for sid in self.ids}

    def _first_row(self, sid: str, gains: dict[tuple[int, int], int], share: float,
                   deadline: float) -> list[str | None] | None:
        # the greedy order with restarts: out of a dead end far more cheaply than pure
        # FIXED_SEARCH (Instance24: 0.36 s a row against 0.59 s, and no failure)
        row = best_row(self.problem, gains, sid, min(max(share, 0.5), 3.0), self.seed,
                       self.register, first_only=True, restarts=True)
        if row is None:  # the greedy got stuck: CP-SAT's own search
            row = best_row(self.problem, gains, sid, deadline - time.monotonic(), self.seed,
                           self.register, first_only=True, greedy=False, workers=1)
        return row

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


def _child_env() -> dict[str, str]:
    """The environment of a child process, with this package importable whatever the cwd."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


class _Reader:
    """Reads a child's pickled answer in a thread (so the parent can watch its stop event)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.done = threading.Event()
        self.data = b""
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        self.data = self.proc.stdout.read()
        self.done.set()

    def result(self) -> Roster | None:
        try:
            return pickle.loads(self.data)
        except (pickle.UnpicklingError, EOFError):
            return None


def _construct_part() -> None:
    """Child-process entry of :meth:`StaffLNS.construct_parallel` (pickles in and out)."""
    problem, ids, seconds, seed = pickle.load(sys.stdin.buffer)
    lns = StaffLNS(problem, seed, lambda cp: None)
    roster = lns.construct(time.monotonic() + seconds, lambda: False, ids)
    sys.stdout.buffer.write(pickle.dumps(roster))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _construct_part()
