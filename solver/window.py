"""Re-solve some employees on a window of days, on a model of that window alone.

For year-long problems the full model is too big to re-solve parts of (a step would presolve it
whole), and best responses move one employee at a time, so a shift cannot pass from one
employee to another. A window step builds a small problem of its own: the days of the window,
then a stretch after it pinned to the current roster (so that stretches crossing the
window's end are checked), the days before it as history, and each employee's horizon-wide
limits (minutes, shifts per type, weekends) reduced by what they work outside it, and the cover
less what the employees left out of the window work there. A window starts on a Monday (or on
the first day), so no weekend is split at its start. Every row it changes is checked again by
the validator, over the whole horizon, before it is kept.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

from ortools.sat.python import cp_model

from solver.lns import Coverage
from solver.neighbourhoods import GROW, adapted, solve_part
from solver.problem import Pin, RosterProblem
from solver.result import Roster

#: Days of history given to a window, at least (7 days of minutes look back; longer stretch
#: rules get more, see ``WindowSearch.extra``).
HISTORY = 14
#: Days of a window (whole weeks, starting on a Monday).
WIDTH = 7
#: Staff freed by the first window (then the share adapts).
FIRST_STAFF = 40
#: A window CP-SAT settles (solved, or proven to hold nothing cheaper) widens the next one as
#: fast as a solved LNS step does; any other narrows it (see :func:`solver.neighbourhoods.adapted`).
SETTLED = {cp_model.OPTIMAL: GROW[cp_model.OPTIMAL], cp_model.INFEASIBLE: GROW[cp_model.OPTIMAL]}


class WindowSearch:
    """Improve a roster of a separable problem by re-solving windows of days.

    Args:
        problem: The problem (objective a sum over employees plus cover terms).
        seed: Random seed.
        register: Receives the running CP-SAT solver (or None) so a stop can reach it.
        workers: CP-SAT workers of a step.
    """

    def __init__(self, problem: RosterProblem, seed: int,
                 register: Callable[[cp_model.CpSolver | None], None], workers: int = 1) -> None:
        self.problem = problem
        self.rng = random.Random(seed)
        self.register = register
        self.workers = workers
        #: Share of the staff freed in a window (adapts to what CP-SAT finishes in time).
        self.share = min(1.0, FIRST_STAFF / max(1, len(problem.staff)))
        longest = max([7, *(st.max_consecutive or 0 for st in problem.staff),
                       *(st.min_consecutive for st in problem.staff),
                       *(st.min_consecutive_off for st in problem.staff)])
        #: Pinned days after the window: in any longest+1 days of a valid roster each stretch
        #: rule sees a change, so a stretch crossing the window's end is checked whole.
        self.extra = longest + 1
        #: First days of windows: the first day and every Monday (no weekend split at a start).
        self.starts = sorted({0, *range((-problem.start_weekday) % 7, problem.days, 7)})

    def step(self, roster: Roster, seconds: float, cov: Coverage | None = None) -> int:
        """One window re-solved in place in ``roster`` (and ``cov`` kept up to date).

        Returns the (non-positive) cost change.
        """
        from solver.roster import add_hint, build_model, extract_roster
        from solver.validate import validate

        p = self.problem
        a = self.rng.choice(self.starts)
        b = min(p.days, a + WIDTH)
        k = min(len(p.staff), max(2, round(self.share * len(p.staff))))
        chosen = [st.id for st in self.rng.sample(p.staff, k)]
        cov = cov if cov is not None else Coverage(p, roster)
        sub = self.window(roster, a, b, chosen, cov)
        current = {sid: roster[sid][a:a + sub.days] for sid in chosen}
        before = validate(sub, current).objective
        built = build_model(sub)
        add_hint(built, current)
        code, cp = solve_part(built.model, seconds, self.rng.randrange(1 << 30), self.register,
                              self.workers, cheaper_than=before)
        # windows CP-SAT settles free more staff next time, those it cannot finish fewer
        self.share = adapted(self.share, code, SETTLED)
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return 0
        found = extract_roster(built, cp)
        after = validate(sub, found).objective
        changed = [sid for sid in chosen if found[sid][:b - a] != current[sid][:b - a]]
        if after >= before or not changed:
            return 0
        rows = {sid: list(roster[sid]) for sid in changed}
        for sid in changed:
            rows[sid][a:b] = found[sid][:b - a]
        # the validator has the last word on every changed row (rules over the whole horizon)
        if not validate(p.staff_only(rows), rows).feasible:
            return 0
        for sid, row in rows.items():
            cov.add(sid, roster[sid], -1)
            cov.add(sid, row)
        roster.update(rows)
        return after - before

    def window(self, roster: Roster, a: int, b: int, chosen: list[str],
               cov: Coverage | None = None) -> RosterProblem:
        """The problem of ``chosen`` on days ``a``..``b-1`` (then pinned days), the rest fixed.

        The others' work (``cov``, the roster's coverage, counted when not given) is taken off
        each cover requirement (a demand they already meet or exceed becomes a demand of 0:
        every extra person costs the same over-cover weight).
        """
        p = self.problem
        end = min(p.days, b + self.extra)
        inside = range(a, end)
        idx = p.shift_index
        own = p.staff_only(set(chosen))
        staff = []
        for st in own.staff:
            row = roster[st.id]
            out = [row[d] for d in range(p.days) if d < a or d >= end]
            minutes = sum(p.shifts[idx[c]].minutes for c in out if c is not None)
            used = {t: sum(1 for c in out if c == t) for t in st.max_shifts}
            weekends = None
            if st.max_weekends is not None:
                worked = sum(1 for days in p.weekend_days
                             if not any(a <= d < end for d in days)
                             and any(row[d] is not None for d in days))
                weekends = st.max_weekends - worked
            staff.append(replace(
                st, min_minutes=max(0, st.min_minutes - minutes),
                max_minutes=None if st.max_minutes is None else st.max_minutes - minutes,
                max_shifts={t: n - used[t] for t, n in st.max_shifts.items()},
                max_weekends=weekends,
                days_off=frozenset(d - a for d in st.days_off if d in inside)))
        cov = cov if cov is not None else Coverage(p, roster)
        cover = []
        for c in p.cover:
            if not a <= c.day < b:
                continue
            mine_there = sum(1 for st in staff if roster[st.id][c.day] == c.shift
                             and (c.skill is None or c.skill in st.skills))
            fixed = cov.count[(c.day, c.shift, c.skill)] - mine_there
            cover.append(replace(c, day=c.day - a, requirement=max(0, c.requirement - fixed)))
        history = {}
        for sid in chosen:
            past = tuple(p.history.get(sid, ())) + tuple(roster[sid][:a])
            history[sid] = past[-max(HISTORY, self.extra):]
        pins = [Pin(q.staff, q.day - a, q.shift) for q in own.pins if a <= q.day < b]
        pins += [Pin(sid, d - a, roster[sid][d]) for sid in chosen for d in range(b, end)]
        return replace(
            own, days=end - a, start_weekday=(p.start_weekday + a) % 7, staff=tuple(staff),
            pins=tuple(pins), history=history, cover=tuple(cover),
            requests=tuple(replace(r, day=r.day - a) for r in own.requests if a <= r.day < b),
            reference={k: tuple(v[a:end]) for k, v in own.reference.items()})
