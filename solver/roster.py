"""Solve a :class:`~solver.problem.RosterProblem` with CP-SAT.

``solve()`` is the entry point; :class:`RosterSolver` is the same with a ``stop()`` method that
can be called from another thread.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ortools.sat.python import cp_model

from solver.model.objective import Term, build_objective, term_value
from solver.model.rules import HARD_RULES
from solver.model.variables import Context, build_variables
from solver.problem import RosterProblem
from solver.result import Roster, RosterResult, Status, Violation

#: Called on every improving roster with (seconds since the start, objective, best bound).
Progress = Callable[[float, float, float], None]

_STATUS = {
    cp_model.OPTIMAL: Status.OPTIMAL,
    cp_model.FEASIBLE: Status.FEASIBLE,
    cp_model.INFEASIBLE: Status.INFEASIBLE,
    cp_model.MODEL_INVALID: Status.MODEL_INVALID,
    cp_model.UNKNOWN: Status.UNKNOWN,
}


@dataclass
class BuiltModel:
    """A CP-SAT model with the handles needed to read a solution back."""

    ctx: Context
    terms: list[Term] = field(default_factory=list)

    @property
    def model(self) -> cp_model.CpModel:
        """The CP-SAT model."""
        return self.ctx.model

    def with_model(self, model: cp_model.CpModel) -> BuiltModel:
        """The same variables and objective terms over ``model`` (a clone of this one with
        narrower domains, say)."""
        return BuiltModel(replace(self.ctx, model=model), self.terms)


def build_model(problem: RosterProblem, explain: bool = False,
                objective: bool = True) -> BuiltModel:
    """Build variables, every hard rule, then the objective from every soft rule."""
    model = cp_model.CpModel()
    model.name = problem.name
    ctx = Context(model=model, problem=problem, vars=build_variables(model, problem),
                  explain=explain)
    for rule in HARD_RULES:
        rule(ctx)
    built = BuiltModel(ctx)
    if objective:
        built.terms = build_objective(ctx)
    return built


def add_hint(built: BuiltModel, roster: Roster) -> None:
    """Hint CP-SAT with a roster (cells of unknown staff are ignored)."""
    p, v, model = built.ctx.problem, built.ctx.vars, built.model
    for s, st in enumerate(p.staff):
        cells = roster.get(st.id)
        if cells is None:
            continue
        for d in range(p.days):
            cell = cells[d] if d < len(cells) else None
            want = None if cell is None else p.shift_index.get(cell)
            for t, lit in v.x[s][d].items():
                model.add_hint(lit, t == want)
            w = v.work[s][d]
            if not isinstance(w, int) and len(v.x[s][d]) > 1:
                model.add_hint(w, want is not None and want in v.x[s][d])


def extract_roster(built: BuiltModel, solver: cp_model.CpSolver) -> Roster:
    """Read the roster of the solver's best solution."""
    p, v = built.ctx.problem, built.ctx.vars
    roster: Roster = {}
    for s, st in enumerate(p.staff):
        row: list[str | None] = []
        for d in range(p.days):
            cell = None
            for t, lit in v.x[s][d].items():
                if solver.boolean_value(lit):
                    cell = p.shifts[t].id
                    break
            row.append(cell)
        roster[st.id] = row
    return roster


def violations_of(built: BuiltModel, solver: cp_model.CpSolver) -> list[Violation]:
    """Every penalty paid by the solver's best solution."""
    out = []
    for term in built.terms:
        n = term_value(solver, term)
        if n:
            out.append(Violation(term.rule, term.staff, term.day, term.shift, term.weight * n,
                                 term.message.format(n=n)))
    return out


def set_parameters(solver: cp_model.CpSolver, time_limit: float, workers: int, seed: int,
                   **extra: object) -> None:
    """Time limit, workers and seed always go to CP-SAT, with our tuned defaults."""
    prm = solver.parameters
    prm.max_time_in_seconds = max(0.01, time_limit)
    prm.num_workers = max(1, workers)
    prm.random_seed = seed
    for key, value in extra.items():
        if isinstance(value, list | tuple):
            getattr(prm, key).extend(value)
        else:
            setattr(prm, key, value)


class _Callback(cp_model.CpSolverSolutionCallback):
    def __init__(self, start: float, progress: Progress | None, stop: threading.Event,
                 floor: float | None = None) -> None:
        super().__init__()
        self._start = start
        self._progress = progress
        self._stop = stop
        self._floor = floor

    def on_solution_callback(self) -> None:
        bound = self.best_objective_bound
        if self._floor is not None:
            bound = max(bound, self._floor)
        if self._progress is not None:
            self._progress(time.monotonic() - self._start, self.objective_value, bound)
        # a roster at a bound proven elsewhere is optimal
        if self._stop.is_set() or self.objective_value <= bound + 1e-6:
            self.stop_search()


class _BestSoFar:
    """Forwards progress only when the roster is cheaper or the bound higher than before.

    A later phase of a solve may start again from scratch (the small path's last CP-SAT
    solve) or run in threads (the LNS): what the user sees never goes back up.
    """

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._lock = threading.Lock()
        self._objective = math.inf
        self._bound: float | None = None

    def __call__(self, seconds: float, objective: float, bound: float) -> None:
        with self._lock:
            better = objective < self._objective
            higher = bound is not None and (self._bound is None or bound > self._bound)
            if not (better or higher):
                return
            self._objective = min(self._objective, objective)
            if higher:
                self._bound = bound
            self._progress(seconds, self._objective, self._bound)  # type: ignore[arg-type]


class RosterSolver:
    """A stoppable solve of one problem.

    Args:
        problem: The problem.
        time_limit: Seconds for the whole solve (model building included).
        workers: CP-SAT workers.
        seed: Random seed.
        hint: A roster to start from.
        progress: Called on each improving roster with (seconds, objective, bound).
        stop_event: When set (from any thread) the solve stops and returns its best roster.
        explain: Explain an infeasible problem (a second, guarded solve).
        parameters: Extra CP-SAT parameters (override the tuned defaults).
    """

    def __init__(self, problem: RosterProblem, time_limit: float, workers: int = 2, seed: int = 0,
                 hint: Roster | None = None, progress: Progress | None = None,
                 stop_event: threading.Event | None = None, explain: bool = True,
                 parameters: dict[str, object] | None = None) -> None:
        self.problem = problem
        self.time_limit = time_limit
        self.workers = workers
        self.seed = seed
        self.hint = hint
        self.progress = _BestSoFar(progress) if progress is not None else None
        self.stop_event = stop_event or threading.Event()
        self.explain = explain
        self.parameters = parameters or {}
        self._lock = threading.Lock()
        self._cp: cp_model.CpSolver | None = None
        self._start = time.monotonic()

    def stop(self) -> None:
        """Stop the solve as soon as possible (thread-safe)."""
        self.stop_event.set()
        with self._lock:
            if self._cp is not None:
                self._cp.stop_search()

    def register(self, cp: cp_model.CpSolver | None) -> None:
        """Make ``cp`` (a running CP-SAT solver, or None) reachable by :meth:`stop`."""
        with self._lock:
            self._cp = cp
            if cp is not None and self.stop_event.is_set():
                cp.stop_search()

    def report(self, objective: float, bound: float) -> None:
        """Forward an improving roster found outside CP-SAT to the progress callback."""
        if self.progress is not None:
            self.progress(time.monotonic() - self._start, objective, bound)

    def _watch(self, done: threading.Event) -> None:
        while not done.is_set():
            if self.stop_event.wait(0.05):
                with self._lock:
                    if self._cp is not None:
                        self._cp.stop_search()
                return

    def solve(self) -> RosterResult:
        """Run the solve; never raises on infeasibility or timeout."""
        start = self._start = time.monotonic()
        errors = self.problem.check()
        if errors:
            return RosterResult(Status.MODEL_INVALID, seconds=time.monotonic() - start,
                                message="; ".join(errors))
        from solver.strategy import run  # local import: strategy imports this module

        done = threading.Event()
        watcher = threading.Thread(target=self._watch, args=(done,), daemon=True)
        watcher.start()
        try:
            result = run(self, start)
        finally:
            done.set()
        if result.status is Status.INFEASIBLE and self.explain and not self.stop_event.is_set():
            from solver.explain import explain

            remaining = max(1.0, self.time_limit - (time.monotonic() - start))
            result.conflicts = explain(self.problem, time_limit=min(remaining, 30.0),
                                       seed=self.seed)
        result.seconds = time.monotonic() - start
        return result

    def run_cp_sat(self, built: BuiltModel, time_limit: float, start: float,
                   parameters: dict[str, object] | None = None,
                   hint: Roster | None = None,
                   floor: float | None = None) -> tuple[RosterResult, cp_model.CpSolver]:
        """Solve a built model once with CP-SAT; the stop mechanism applies.

        ``floor`` is a lower bound proven elsewhere: the solve stops at a roster that meets
        it, and the result's bound is at least ``floor``.
        """
        if hint is not None:
            add_hint(built, hint)
        cp = cp_model.CpSolver()
        params = {**(parameters or {}), **self.parameters}
        set_parameters(cp, time_limit, self.workers, self.seed, **params)
        with self._lock:
            if self.stop_event.is_set():
                return RosterResult(Status.UNKNOWN), cp
            self._cp = cp
        try:
            code = cp.solve(built.model, _Callback(start, self.progress, self.stop_event, floor))
        finally:
            with self._lock:
                self._cp = None
        status = _STATUS.get(code, Status.UNKNOWN)
        result = RosterResult(status)
        if status.has_roster:
            result.bound = max(cp.best_objective_bound, floor if floor is not None else -math.inf)
            result.roster = extract_roster(built, cp)
            result.violations = violations_of(built, cp)
            # the roster's true cost (mid-search, CP-SAT may count idle cover slack)
            result.objective = sum(v.cost for v in result.violations)
            if result.bound >= result.objective - 1e-6:
                result.status = Status.OPTIMAL
        elif status is Status.MODEL_INVALID:
            result.message = built.model.validate()
        return result, cp


def solve(problem: RosterProblem, time_limit: float, workers: int = 2, seed: int = 0,
          hint: Roster | None = None, progress: Progress | None = None,
          stop: threading.Event | None = None, explain: bool = True,
          parameters: dict[str, object] | None = None) -> RosterResult:
    """Solve a roster problem.

    Args:
        problem: The problem.
        time_limit: Seconds for the whole solve.
        workers: CP-SAT workers (keep ≤ 2 on a shared machine).
        seed: Random seed.
        hint: A roster to start from.
        progress: Called on each improving roster with (seconds, objective, bound).
        stop: Event that stops the solve when set from another thread.
        explain: Explain an infeasible problem.
        parameters: Extra CP-SAT parameters.

    Returns:
        The result; ``violations`` lists every penalty, ``conflicts`` explains infeasibility.
    """
    return RosterSolver(problem, time_limit, workers, seed, hint, progress, stop, explain,
                        parameters).solve()
