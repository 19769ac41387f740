"""Decision variables of the CP-SAT roster model and the building context shared by the rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from solver.problem import CoverDemand, RosterProblem

#: A literal, or a constant 0/1 where the value is known when the model is built.
Lit = cp_model.IntVar | int


@dataclass(frozen=True)
class Guard:
    """Identifies one guarded group of hard constraints (used to explain infeasibility)."""

    rule: str
    staff: str | None = None
    day: int | None = None
    shift: str | None = None
    skill: str | None = None


@dataclass
class Variables:
    """The model's variables.

    Attributes:
        x: ``x[s][d][t]`` literal "staff s works shift type t on day d"; absent when the
            staff may never work t.
        work: ``work[s][d]`` literal "staff s works on day d" (or constant 0).
        history_work: ``history_work[s]``: 0/1 per history day (oldest first).
        history_shift: ``history_shift[s]``: shift index or None per history day.
    """

    x: list[list[dict[int, cp_model.IntVar]]]
    work: list[list[Lit]]
    history_work: list[list[int]]
    history_shift: list[list[int | None]]

    def seq(self, s: int) -> tuple[list[Lit], int]:
        """History then horizon work literals of staff ``s`` and the offset of day 0."""
        hist = self.history_work[s]
        return [*hist, *self.work[s]], len(hist)


@dataclass
class Context:
    """Everything a rule function needs: the model, the problem, the variables, the guards.

    When ``explain`` is true every hard-rule group is enforced only under a guard literal, so
    that CP-SAT can name the groups that cannot hold together.
    """

    model: cp_model.CpModel
    problem: RosterProblem
    vars: Variables
    explain: bool = False
    guards: dict[Guard, cp_model.IntVar] = field(default_factory=dict)
    _slacks: dict[CoverDemand, tuple[cp_model.IntVar, cp_model.IntVar]] = \
        field(default_factory=dict)
    _weekend: dict[tuple[int, int], Lit] = field(default_factory=dict)
    _changes: dict[int, tuple[list[Lit], list[Lit]]] = field(default_factory=dict)

    def changes(self, s: int) -> tuple[list[Lit], list[Lit]]:
        """``(up, down)`` over :meth:`Variables.seq` of staff s, shared by the stretch rules.

        ``up[k]`` is "a block of working days starts at index k" (works on k, not on k-1) and
        ``down[k]`` "a block of days off starts at k"; index 0 holds 0 (what came before the
        known sequence is unknown). Both are defined by ``seq[k] - seq[k-1] = up[k] - down[k]``
        and ``up[k] + down[k] <= 1`` (the start/stop variables of unit commitment, whose
        minimum up/down-time inequalities give a much tighter LP than clauses).
        """
        if s not in self._changes:
            seq, _ = self.vars.seq(s)
            up: list[Lit] = [0]
            down: list[Lit] = [0]
            for k in range(1, len(seq)):
                a, b = seq[k - 1], seq[k]
                if isinstance(a, int) and isinstance(b, int):
                    up.append(int(b > a))
                    down.append(int(a > b))
                elif isinstance(a, int):
                    up.append(0 if a else b)
                    down.append(neg(b) if a else 0)
                elif isinstance(b, int):
                    up.append(neg(a) if b else 0)
                    down.append(0 if b else a)
                else:
                    u = self.model.new_bool_var(f"up[{s},{k}]")
                    w = self.model.new_bool_var(f"down[{s},{k}]")
                    self.model.add(b - a == u - w)
                    self.model.add_at_most_one([u, w])
                    up.append(u)
                    down.append(w)
            self._changes[s] = (up, down)
        return self._changes[s]

    def cover_slacks(self, c: CoverDemand, lits: list) -> tuple[cp_model.IntVar, cp_model.IntVar]:
        """``(under, over)`` of cover requirement ``c`` (``lits``: who counts towards it), with
        ``sum(lits) + under - over == requirement``, shared by the rules."""
        if c not in self._slacks:
            req = c.requirement
            under = self.model.new_int_var(0, req, f"under[{c.day},{c.shift},{c.skill}]")
            over = self.model.new_int_var(0, max(0, len(lits) - req),
                                          f"over[{c.day},{c.shift},{c.skill}]")
            self.model.add(cp_model.LinearExpr.sum(lits) + under - over == req)
            self._slacks[c] = (under, over)
        return self._slacks[c]

    def weekend_worked(self, s: int, w: int) -> Lit:
        """Literal "staff s works on weekend w" (Saturday or Sunday), shared by the rules."""
        key = (s, w)
        if key not in self._weekend:
            days = self.problem.weekend_days[w]
            lits = [self.vars.work[s][d] for d in days]
            if any(lit == 1 for lit in lits if isinstance(lit, int)):
                self._weekend[key] = 1
                return 1
            lits = [lit for lit in lits if not isinstance(lit, int)]
            if not lits:
                self._weekend[key] = 0
            elif len(lits) == 1:
                self._weekend[key] = lits[0]
            else:
                k = self.model.new_bool_var(f"weekend[{s},{w}]")
                for lit in lits:
                    self.model.add_implication(lit, k)
                self.model.add_bool_or([k.Not(), *lits])
                self._weekend[key] = k
        return self._weekend[key]

    def guard(self, rule: str, staff: str | None = None, day: int | None = None,
              shift: str | None = None, skill: str | None = None) -> list[cp_model.IntVar]:
        """Enforcement literals for a hard-rule group (empty outside explain mode)."""
        if not self.explain:
            return []
        key = Guard(rule, staff, day, shift, skill)
        lit = self.guards.get(key)
        if lit is None:
            lit = self.model.new_bool_var(f"guard[{rule},{staff},{day},{shift}]")
            self.guards[key] = lit
        return [lit]

    def clause(self, lits: list[Lit], guard: list[cp_model.IntVar]) -> None:
        """Add ``OR(lits)`` after folding constants (a constant 1 satisfies the clause)."""
        out = []
        for lit in lits:
            if isinstance(lit, int):
                if lit:
                    return
                continue
            out.append(lit)
        out.extend(g.Not() for g in guard)
        if not out:
            # an always-false clause: the problem is infeasible whatever the roster
            false = self.model.new_bool_var("false")
            self.model.add(false == 0)
            out = [false]
        self.model.add_bool_or(out)


def neg(lit: Lit) -> Lit:
    """Negation of a literal or constant."""
    if isinstance(lit, int):
        return 1 - lit
    return lit.Not()


def build_variables(model: cp_model.CpModel, problem: RosterProblem) -> Variables:
    """Create ``x`` and ``work`` and link them with one-shift-per-day (exactly one of shifts/off)."""
    n_shifts = len(problem.shifts)
    x: list[list[dict[int, cp_model.IntVar]]] = []
    work: list[list[Lit]] = []
    hist_work: list[list[int]] = []
    hist_shift: list[list[int | None]] = []
    for st in problem.staff:
        allowed = [t for t in range(n_shifts) if problem.max_of(st, problem.shifts[t].id) > 0]
        xs: list[dict[int, cp_model.IntVar]] = []
        ws: list[Lit] = []
        for _ in range(problem.days):
            row = {t: model.new_bool_var("") for t in allowed}
            xs.append(row)
            if not row:
                ws.append(0)
            elif len(row) == 1:
                ws.append(next(iter(row.values())))
            else:
                w = model.new_bool_var("")
                model.add_exactly_one([*row.values(), w.Not()])
                ws.append(w)
        x.append(xs)
        work.append(ws)
        cells = problem.history.get(st.id, ())
        hist_shift.append([None if c is None else problem.shift_index[c] for c in cells])
        hist_work.append([0 if c is None else 1 for c in cells])
    return Variables(x=x, work=work, history_work=hist_work, history_shift=hist_shift)
