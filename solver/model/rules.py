"""Hard rules: one small function each, listed in :data:`HARD_RULES`.

Each function adds its constraints to ``ctx.model``; every group is guarded with
``ctx.guard(rule, ...)`` so that an infeasible problem can be explained. History days (the end
of the previous period) take part in succession, stretch and 7-day rules as known constants.
"""

from __future__ import annotations

from collections.abc import Callable

from ortools.sat.python import cp_model

from solver.model.variables import Context, Lit, neg

_sum = cp_model.LinearExpr.sum
_wsum = cp_model.LinearExpr.weighted_sum


def shift_rotation(ctx: Context) -> None:
    """Forbidden successions (cannot_follow and minimum rest), history included.

    Next-day successions are written as cliques: the shifts sharing the same set F of
    forbidden successors on day d, together with F on day d+1, hold at most one 1 (one
    at-most-one per group instead of one clause per pair; a tighter LP too).
    """
    p, v = ctx.problem, ctx.vars
    pairs = p.forbidden_successions()
    if not pairs:
        return
    idx = p.shift_index
    by_first: dict[int, list[tuple[int, int]]] = {}
    for (t, u), gap in pairs.items():
        by_first.setdefault(idx[t], []).append((idx[u], gap))
    groups: dict[frozenset[int], list[int]] = {}
    for t, succ in by_first.items():
        groups.setdefault(frozenset(u for u, _ in succ), []).append(t)
    far = [(t, u, gap) for t, succ in by_first.items() for u, gap in succ if gap > 1]
    for s, st in enumerate(p.staff):
        g = ctx.guard("shift_rotation", st.id)
        xs = v.x[s]
        hist = v.history_shift[s]
        for k, t in enumerate(hist):  # history day k is day k - len(hist)
            if t is None:
                continue
            day = k - len(hist)
            for u, gap in by_first.get(t, ()):
                for dd in range(day + 1, min(day + gap, p.days - 1) + 1):
                    if dd >= 0 and u in xs[dd]:
                        ctx.clause([xs[dd][u].Not()], g)
        for d in range(p.days - 1):
            today, tomorrow = xs[d], xs[d + 1]
            for succ, firsts in groups.items():
                a = [today[t] for t in firsts if t in today]
                b = [tomorrow[u] for u in succ if u in tomorrow]
                if a and b:
                    if g:
                        ctx.model.add(sum(a + b) <= 1).only_enforce_if(g)
                    else:
                        ctx.model.add_at_most_one(a + b)
            for t, u, gap in far:
                if t in today:
                    for dd in range(d + 2, min(d + gap, p.days - 1) + 1):
                        if u in xs[dd]:
                            ctx.clause([today[t].Not(), xs[dd][u].Not()], g)


def max_shifts_per_type(ctx: Context) -> None:
    """At most ``max_shifts[t]`` shifts of each type over the horizon."""
    p, v = ctx.problem, ctx.vars
    for s, st in enumerate(p.staff):
        for t, shift in enumerate(p.shifts):
            lits = [v.x[s][d][t] for d in range(p.days) if t in v.x[s][d]]
            limit = p.max_of(st, shift.id)
            if lits and limit < len(lits):
                ctx.model.add(_sum(lits) <= limit).only_enforce_if(
                    ctx.guard("max_shifts", st.id, shift=shift.id))


def _minutes(ctx: Context, s: int) -> tuple[list[object], list[int]]:
    p, v = ctx.problem, ctx.vars
    lits, coefs = [], []
    minutes = [t.minutes for t in p.shifts]
    for row in v.x[s]:
        for t, lit in row.items():
            lits.append(lit)
            coefs.append(minutes[t])
    return lits, coefs


def min_total_minutes(ctx: Context) -> None:
    """Work at least ``min_minutes`` over the horizon."""
    for s, st in enumerate(ctx.problem.staff):
        if st.min_minutes > 0:
            lits, coefs = _minutes(ctx, s)
            ctx.model.add(_wsum(lits, coefs) >= st.min_minutes).only_enforce_if(
                ctx.guard("min_total_minutes", st.id))


def max_total_minutes(ctx: Context) -> None:
    """Work at most ``max_minutes`` over the horizon."""
    for s, st in enumerate(ctx.problem.staff):
        if st.max_minutes is not None:
            lits, coefs = _minutes(ctx, s)
            if sum(coefs) > st.max_minutes:
                ctx.model.add(_wsum(lits, coefs) <= st.max_minutes) \
                    .only_enforce_if(ctx.guard("max_total_minutes", st.id))


def max_consecutive_shifts(ctx: Context) -> None:
    """Every window of c+1 consecutive days (history included) holds a day off."""
    p, v = ctx.problem, ctx.vars
    for s, st in enumerate(p.staff):
        c = st.max_consecutive
        if c is None or c >= p.days + len(v.history_work[s]):
            continue
        g = ctx.guard("max_consecutive", st.id)
        seq, off = v.seq(s)
        for a in range(max(0, off - c), len(seq) - c):
            ctx.clause([neg(w) for w in seq[a:a + c + 1]], g)


#: How the minimum-stretch rules are written: ``"changes"`` (start/stop variables and
#: minimum up/down-time inequalities, see :meth:`Context.changes`) or ``"clauses"`` (one
#: clause per forbidden short block, OR-Tools' ``negated_bounded_span``). Measured with
#: ``max_lp`` (60 s, 2 workers, a loaded machine): "changes" gives the same pure-LP bound on
#: Instance10/12 (Glop: 4615.8, 3627.3), a better CP-SAT bound on Instance18 (4178 against
#: 3594) but worse rosters (Instance7 1294 against 1091, Instance6 2147 against 2047,
#: Instance11 5773 with bound 1 against 4243 with bound 3437: a larger LP). Hence clauses.
STRETCH = "clauses"


def _min_stretch(ctx: Context, s: int, m: int, seq: list[Lit], off: int,
                 g: list) -> None:
    """Forbid a block of 1..m-1 ones in ``seq`` bounded by zeros on both sides.

    Blocks touching either end of the known sequence are allowed.
    """
    for length in range(1, m):
        for a in range(0, len(seq) - length - 1):
            end = a + length + 1
            if end < off:  # entirely in the past
                continue
            ctx.clause([seq[a], *(neg(w) for w in seq[a + 1:end]), seq[end]], g)


def _min_up_time(ctx: Context, m: int, seq: list[Lit], starts: list[Lit], off: int,
                 g: list) -> None:
    """A block of ones in ``seq`` that starts at k >= 1 lasts until k+m-1 (or the end).

    ``sum(starts[e-m+1..e]) <= seq[e]`` for each day e of the horizon: a block started in
    the last m days is still running on e. Starts at index 0 are exempt (``starts[0] = 0``).
    """
    for e in range(max(off, 1), len(seq)):
        window = [lit for lit in starts[max(1, e - m + 1):e + 1] if not isinstance(lit, int) or lit]
        if not window:
            continue
        if isinstance(seq[e], int) and seq[e] == 1:
            continue
        if len(window) == 1:
            ctx.clause([neg(window[0]), seq[e]], g)
            continue
        const = sum(lit for lit in window if isinstance(lit, int))
        lits = [lit for lit in window if not isinstance(lit, int)]
        ctx.model.add(const + _sum(lits) <= seq[e]).only_enforce_if(g)


def min_consecutive_shifts(ctx: Context) -> None:
    """A block of working days bounded by days off lasts at least ``min_consecutive`` days."""
    for s, st in enumerate(ctx.problem.staff):
        if st.min_consecutive > 1:
            seq, off = ctx.vars.seq(s)
            g = ctx.guard("min_consecutive", st.id)
            if STRETCH == "clauses":
                _min_stretch(ctx, s, st.min_consecutive, seq, off, g)
            else:
                _min_up_time(ctx, st.min_consecutive, seq, ctx.changes(s)[0], off, g)


def min_consecutive_days_off(ctx: Context) -> None:
    """A block of days off bounded by working days lasts at least ``min_consecutive_off``."""
    for s, st in enumerate(ctx.problem.staff):
        if st.min_consecutive_off > 1:
            seq, off = ctx.vars.seq(s)
            g = ctx.guard("min_consecutive_off", st.id)
            if STRETCH == "clauses":
                _min_stretch(ctx, s, st.min_consecutive_off, [neg(w) for w in seq], off, g)
            else:
                _min_up_time(ctx, st.min_consecutive_off, [neg(w) for w in seq],
                             ctx.changes(s)[1], off, g)


def max_weekends(ctx: Context) -> None:
    """At most ``max_weekends`` weekends with a shift on Saturday or Sunday."""
    p, model = ctx.problem, ctx.model
    weekends = p.weekends()
    for s, st in enumerate(p.staff):
        if st.max_weekends is None or st.max_weekends >= len(weekends):
            continue
        g = ctx.guard("max_weekends", st.id)
        ks = [ctx.weekend_worked(s, w) for w in range(len(weekends))]
        if sum(1 for k in ks if not isinstance(k, int) or k) > st.max_weekends:
            model.add(_sum(ks) <= st.max_weekends).only_enforce_if(g)


def days_off(ctx: Context) -> None:
    """No shift on a fixed day off."""
    p, v = ctx.problem, ctx.vars
    for s, st in enumerate(p.staff):
        if st.days_off:
            g = ctx.guard("days_off", st.id)
            for d in sorted(st.days_off):
                ctx.clause([neg(v.work[s][d])], g)


def pins(ctx: Context) -> None:
    """Cells fixed by a manager hold."""
    p, v = ctx.problem, ctx.vars
    for pin in p.pins:
        s = p.staff_index[pin.staff]
        g = ctx.guard("pin", pin.staff, pin.day, pin.shift)
        if pin.shift is None:
            ctx.clause([neg(v.work[s][pin.day])], g)
        else:
            ctx.clause([v.x[s][pin.day].get(p.shift_index[pin.shift], 0)], g)


def max_minutes_per_7_days(ctx: Context) -> None:
    """At most ``max_minutes_per_7_days`` in any 7 consecutive days (history included)."""
    p, v = ctx.problem, ctx.vars
    limit = p.max_minutes_per_7_days
    if limit is None:
        return
    for s, st in enumerate(p.staff):
        hist = [0 if t is None else p.shifts[t].minutes for t in v.history_shift[s]]
        daily = [[(p.shifts[t].minutes, lit) for t, lit in v.x[s][d].items()]
                 for d in range(p.days)]
        g = ctx.guard("max_minutes_per_7_days", st.id)
        for start in range(max(-len(hist), -6), p.days - 6):
            const = sum(hist[len(hist) + d] for d in range(start, 0)) if start < 0 else 0
            terms = [mt for d in range(max(start, 0), start + 7) for mt in daily[d]]
            best = const + sum(sorted((m for m, _ in terms), reverse=True)[:7])
            if best <= limit:
                continue
            ctx.model.add(const + sum(m * lit for m, lit in terms) <= limit).only_enforce_if(g)


def cover_minimum(ctx: Context) -> None:
    """With ``cover_hard``: at least ``requirement`` (qualified) staff on each demand."""
    p = ctx.problem
    if not p.cover_hard:
        return
    for c in p.cover:
        if c.requirement <= 0:
            continue
        lits = cover_literals(ctx, c.day, c.shift, c.skill)
        ctx.model.add(_sum(lits) >= c.requirement).only_enforce_if(
            ctx.guard("cover_minimum", None, c.day, c.shift, c.skill))


def cover_literals(ctx: Context, day: int, shift: str, skill: str | None) -> list:
    """Literals of the staff who would count towards a demand on (day, shift, skill)."""
    p, v = ctx.problem, ctx.vars
    t = p.shift_index[shift]
    return [v.x[s][day][t] for s, st in enumerate(p.staff)
            if t in v.x[s][day] and (skill is None or skill in st.skills)]


#: Every hard rule, in the order they are added.
HARD_RULES: tuple[Callable[[Context], None], ...] = (
    shift_rotation,
    max_shifts_per_type,
    min_total_minutes,
    max_total_minutes,
    max_consecutive_shifts,
    min_consecutive_shifts,
    min_consecutive_days_off,
    max_weekends,
    days_off,
    pins,
    max_minutes_per_7_days,
    cover_minimum,
)
