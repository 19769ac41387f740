"""Explain why a roster problem has no solution, in a manager's words.

Every hard-rule group is guarded by an assumption literal (see ``Context.guard``); CP-SAT
returns a set of assumptions that cannot hold together, which is shrunk by deletion and
turned into sentences. Several independent conflicts are reported when time allows.
"""

from __future__ import annotations

import time

from ortools.sat.python import cp_model

from solver.model.variables import Guard
from solver.problem import RosterProblem, Staff
from solver.result import Conflict

MAX_CONFLICTS = 5


def explain(problem: RosterProblem, time_limit: float = 10.0, seed: int = 0) -> list[Conflict]:
    """Return conflicts (groups of hard rules that cannot hold together).

    Args:
        problem: An infeasible problem.
        time_limit: Seconds for the whole explanation.
        seed: Random seed.

    Returns:
        Conflicts, each with a sentence; empty when none could be found in time.
    """
    from solver.roster import build_model

    start = time.monotonic()
    built = build_model(problem, explain=True, objective=False)
    guards = built.ctx.guards
    by_index = {lit.index: g for g, lit in guards.items()}
    active = dict(guards)
    conflicts: list[Conflict] = []

    def infeasible_core(assumed: list[cp_model.IntVar]) -> list[Guard] | None:
        left = time_limit - (time.monotonic() - start)
        if left <= 0.05:
            return None
        model = built.model
        model.clear_assumptions()
        model.add_assumptions(assumed)
        cp = cp_model.CpSolver()
        cp.parameters.max_time_in_seconds = left
        cp.parameters.num_workers = 1
        cp.parameters.random_seed = seed
        status = cp.solve(model)
        if status != cp_model.INFEASIBLE:
            return [] if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None
        return [by_index[i] for i in cp.sufficient_assumptions_for_infeasibility()
                if i in by_index]

    while len(conflicts) < MAX_CONFLICTS and active:
        core = infeasible_core(list(active.values()))
        if not core:
            if core is not None and not conflicts:
                # infeasible even with every rule relaxed: structural (e.g. no allowed shift)
                conflicts.append(Conflict(("structure",), None, (),
                                          "The data itself is contradictory."))
            break
        core = _shrink(core, active, infeasible_core)
        conflicts.append(describe(problem, core))
        for g in core:
            active.pop(g, None)
    if not conflicts:
        conflicts.append(Conflict(("unknown",), None, (),
                                  "No roster satisfies every hard rule (no detail found in time)."))
    return conflicts


def _shrink(core: list[Guard], active: dict[Guard, cp_model.IntVar], check) -> list[Guard]:
    """Deletion-based shrinking: drop each guard whose removal keeps the core infeasible."""
    core = list(dict.fromkeys(core))
    if len(core) > 40:
        return core
    i = 0
    while i < len(core) and len(core) > 1:
        trial = core[:i] + core[i + 1:]
        result = check([active[g] for g in trial])
        if result is None:
            break
        if result:  # still infeasible without core[i]
            core = [g for g in trial if g in set(result)] or trial
        else:
            i += 1
    return core


def _days_text(days: list[int]) -> str:
    shown = ", ".join(str(d) for d in days[:10])
    return shown + (", …" if len(days) > 10 else "")


def rule_text(problem: RosterProblem, guard: Guard) -> str:
    """A clause describing one guarded rule group."""
    st: Staff | None = None
    if guard.staff is not None and guard.staff in problem.staff_index:
        st = problem.staff[problem.staff_index[guard.staff]]
    r = guard.rule
    if st is not None:
        if r == "min_total_minutes":
            return f"must work at least {st.min_minutes} minutes"
        if r == "max_total_minutes":
            return f"may work at most {st.max_minutes} minutes"
        if r == "days_off":
            days = sorted(st.days_off)
            return (f"{len(days)} of {problem.days} days are fixed days off "
                    f"(days {_days_text(days)})")
        if r == "max_shifts":
            return f"may work shift {guard.shift} at most {problem.max_of(st, guard.shift or '')} times"
        if r == "max_consecutive":
            return f"may work at most {st.max_consecutive} days in a row"
        if r == "min_consecutive":
            return f"must work blocks of at least {st.min_consecutive} days"
        if r == "min_consecutive_off":
            return f"must have blocks of at least {st.min_consecutive_off} days off"
        if r == "max_weekends":
            return f"may work at most {st.max_weekends} of {len(problem.weekend_days)} weekends"
        if r == "shift_rotation":
            return "must respect forbidden shift successions and minimum rest"
        if r == "pin":
            what = "off" if guard.shift is None else f"on shift {guard.shift}"
            return f"is pinned {what} on day {guard.day}"
        if r == "max_minutes_per_7_days":
            return f"may work at most {problem.max_minutes_per_7_days} minutes in any 7 days"
    if r == "cover_minimum":
        need = sum(c.requirement for c in problem.cover
                   if (c.day, c.shift, c.skill) == (guard.day, guard.shift, guard.skill))
        skill = f" with skill {guard.skill}" if guard.skill else ""
        avail = available_staff(problem, guard.day or 0, guard.shift or "", guard.skill)
        names = ", ".join(s.label for s in avail[:8]) + (", …" if len(avail) > 8 else "")
        who = f"only {len(avail)} qualified staff are available ({names})" if avail \
            else "nobody qualified is available"
        return (f"day {guard.day} shift {guard.shift} needs {need} staff{skill}"
                + ("" if len(avail) >= need else f": {who}"))
    return f"rule {r}"


def available_staff(problem: RosterProblem, day: int, shift: str,
                    skill: str | None) -> list[Staff]:
    """Staff who could work ``shift`` on ``day`` (qualified, allowed, not off, not pinned away)."""
    pinned = {(p.staff, p.day): p.shift for p in problem.pins}
    out = []
    for st in problem.staff:
        if skill is not None and skill not in st.skills:
            continue
        if problem.max_of(st, shift) == 0 or day in st.days_off:
            continue
        if (st.id, day) in pinned and pinned[(st.id, day)] != shift:
            continue
        out.append(st)
    return out


def describe(problem: RosterProblem, core: list[Guard]) -> Conflict:
    """Turn a core (guards that cannot hold together) into a :class:`Conflict`."""
    rules = tuple(dict.fromkeys(g.rule for g in core))
    staff_ids = list(dict.fromkeys(g.staff for g in core if g.staff is not None))
    days = sorted({g.day for g in core if g.day is not None})
    for g in core:
        if g.rule == "days_off" and g.staff in problem.staff_index and not days:
            days = sorted(problem.staff[problem.staff_index[g.staff]].days_off)
    covers = [g for g in core if g.rule == "cover_minimum"]
    if covers:
        return _describe_cover(problem, core, covers, rules, staff_ids, days)
    sentences = []
    for sid in staff_ids:
        st = problem.staff[problem.staff_index[sid]]
        mine = [g for g in core if g.staff == sid]
        main = [g for g in mine if g.rule == "min_total_minutes"]
        others = [rule_text(problem, g) for g in mine if g.rule != "min_total_minutes"]
        if main:
            text = f"{st.label} cannot meet the minimum of {st.min_minutes} minutes"
            text += (": " + "; ".join(others)) if others else " with the shifts allowed"
        else:
            text = f"{st.label} cannot satisfy all of: " + "; ".join(others)
        sentences.append(text + ".")
    message = " ".join(sentences) or "No roster satisfies every hard rule."
    return Conflict(rules, staff_ids[0] if len(staff_ids) == 1 else None, tuple(days), message)


def _describe_cover(problem: RosterProblem, core: list[Guard], covers: list[Guard],
                    rules: tuple[str, ...], staff_ids: list[str], days: list[int]) -> Conflict:
    """Sentence for a conflict involving hard cover minima."""
    heads = []
    cover_days = {g.day for g in covers}
    all_qualified = True
    for g in covers:
        need = sum(c.requirement for c in problem.cover
                   if (c.day, c.shift, c.skill) == (g.day, g.shift, g.skill))
        skill = f" with skill {g.skill}" if g.skill else ""
        heads.append(f"Day {g.day} shift {g.shift} needs {need} staff{skill}")
        qualified = [st.id for st in problem.staff
                     if (g.skill is None or g.skill in st.skills)
                     and problem.max_of(st, g.shift or "") > 0]
        if any(q not in staff_ids for q in qualified):
            all_qualified = False
    head = "; ".join(heads)
    head += ": nobody qualified is available" if all_qualified \
        else ": not enough qualified staff are available"
    reasons = []
    for sid in staff_ids:
        st = problem.staff[problem.staff_index[sid]]
        texts = []
        for g in core:
            if g.staff != sid:
                continue
            common = sorted(st.days_off & cover_days) if g.rule == "days_off" else []
            if common:
                texts.append("fixed day off on day " + ", ".join(map(str, common)))
            else:
                texts.append(rule_text(problem, g))
        reasons.append(f"{st.label}: " + " and ".join(texts))
    if reasons:
        head += " (" + "; ".join(reasons) + ")"
    return Conflict(rules, staff_ids[0] if len(staff_ids) == 1 else None,
                    tuple(sorted(cover_days | set(days))), head + ".")
