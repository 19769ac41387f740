"""Independent checker: the specification of a roster's feasibility and cost.

It shares nothing with the CP-SAT model (it works on the finished roster only, straight from
the problem data), so tests can compare the two.

Rules, on the sequence ``history + roster`` of each employee (history = known days before day 0):

* hard: known staff and shifts, one entry per day; shift allowed (max > 0) and per-type maxima;
  min/max total minutes; forbidden successions (cannot_follow, next day) and minimum rest
  (any two shifts less than ``min_rest_minutes`` apart, start times needed); a run of working
  days containing a horizon day is at most ``max_consecutive`` long; a run of working days
  (days off) with a day off (working day) on both sides, closed on or after day 0, is at least
  ``min_consecutive`` (``min_consecutive_off``) long; at most ``max_weekends`` weekends
  (Saturday or Sunday worked); fixed days off; pins; at most ``max_minutes_per_7_days`` in
  any 7 consecutive known days ending on or after day 0; with ``cover_hard`` each cover
  requirement is met.
* soft (the objective): on request not granted (weight), off request granted (weight), cover
  under (under weight per missing person) and over (over weight per extra person) counting only
  staff with the demand's skill, spread (max - min) of nights among staff allowed a night shift
  and of weekends worked among staff allowed any shift, times their weights; each cell different
  from the reference roster, times ``weights.change``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from solver.problem import RosterProblem
from solver.result import Violation

DAY = 1440


@dataclass
class Report:
    """Validator verdict.

    Attributes:
        breaches: Hard-rule breaches (cost 0).
        violations: Penalties paid; their costs add up to ``objective``.
    """

    breaches: list[Violation] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        """No hard rule is broken."""
        return not self.breaches

    @property
    def objective(self) -> int:
        """Total cost."""
        return sum(v.cost for v in self.violations)


def _runs(seq: list[bool]) -> list[tuple[int, int, bool]]:
    """Maximal runs (start, end inclusive, value)."""
    out = []
    start = 0
    for i in range(1, len(seq) + 1):
        if i == len(seq) or seq[i] != seq[start]:
            out.append((start, i - 1, seq[start]))
            start = i
    return out


def _weekend_groups(problem: RosterProblem) -> list[list[int]]:
    groups: dict[int, list[int]] = {}
    for d in range(problem.days):
        wd = (problem.start_weekday + d) % 7
        if wd in (5, 6):
            # the Saturday of this weekend (may lie before day 0)
            sat = d if wd == 5 else d - 1
            groups.setdefault(sat, []).append(d)
    return [groups[k] for k in sorted(groups)]


def validate(problem: RosterProblem, roster: dict[str, list[str | None]]) -> Report:
    """Check ``roster`` against ``problem``: every hard breach and every penalty."""
    rep = Report()
    h = problem.days
    shifts = {t.id: t for t in problem.shifts}

    def breach(rule: str, staff: str | None, day: int | None, msg: str,
               shift: str | None = None) -> None:
        rep.breaches.append(Violation(rule, staff, day, shift, 0, msg))

    def pay(rule: str, staff: str | None, day: int | None, shift: str | None, cost: int,
            msg: str) -> None:
        if cost:
            rep.violations.append(Violation(rule, staff, day, shift, cost, msg))

    staff_ids = {s.id for s in problem.staff}
    for sid in roster:
        if sid not in staff_ids:
            breach("unknown_staff", sid, None, f"{sid} is not in the problem")
    cells: dict[str, list[str | None]] = {}
    for st in problem.staff:
        row = list(roster.get(st.id, []))
        if len(row) != h:
            breach("horizon", st.id, None, f"{st.id} has {len(row)} days instead of {h}")
            row = (row + [None] * h)[:h]
        for d, c in enumerate(row):
            if c is not None and c not in shifts:
                breach("unknown_shift", st.id, d, f"unknown shift {c!r}", c)
                row[d] = None
        cells[st.id] = row

    weekends = _weekend_groups(problem)
    explicit = {(t.id, u) for t in problem.shifts for u in t.cannot_follow}
    for st in problem.staff:
        sid, row, who = st.id, cells[st.id], st.label
        hist = [c if c in shifts else None for c in problem.history.get(sid, ())]
        seq = hist + row
        off = len(hist)
        # per type maxima and total minutes
        for t in problem.shifts:
            n = row.count(t.id)
            limit = st.max_shifts.get(t.id)
            if limit is not None and n > limit:
                breach("max_shifts", sid, None, f"{who} works {t.id} {n} times (max {limit})", t.id)
        minutes = sum(shifts[c].minutes for c in row if c is not None)
        if minutes < st.min_minutes:
            breach("min_total_minutes", sid, None, f"{who} works {minutes} min (min {st.min_minutes})")
        if st.max_minutes is not None and minutes > st.max_minutes:
            breach("max_total_minutes", sid, None, f"{who} works {minutes} min (max {st.max_minutes})")
        # successions and rest
        for b in range(off, len(seq)):
            u = seq[b]
            if u is None:
                continue
            a = b - 1
            if a >= 0 and seq[a] is not None and (seq[a], u) in explicit:
                breach("shift_rotation", sid, b - off, f"{who}: {u} may not follow {seq[a]}", u)
            if problem.min_rest_minutes:
                for a in range(max(0, b - 7), b):
                    t = seq[a]
                    if t is None or shifts[t].start is None or shifts[u].start is None:
                        continue
                    rest = (b - a) * DAY + shifts[u].start - (shifts[t].start + shifts[t].minutes)
                    if rest < problem.min_rest_minutes:
                        breach("shift_rotation", sid, b - off,
                               f"{who}: only {rest} min rest between {t} (day {a - off}) "
                               f"and {u} (day {b - off})", u)
        # stretches
        working = [c is not None for c in seq]
        for start, end, value in _runs(working):
            length = end - start + 1
            bounded = start > 0 and end < len(seq) - 1
            if value and st.max_consecutive is not None and length > st.max_consecutive \
                    and end >= off:
                breach("max_consecutive", sid, max(start - off, 0),
                       f"{who} works {length} days in a row (max {st.max_consecutive})")
            limit = st.min_consecutive if value else st.min_consecutive_off
            if bounded and length < limit and end + 1 >= off:
                rule = "min_consecutive" if value else "min_consecutive_off"
                what = "working days" if value else "days off"
                breach(rule, sid, start - off,
                       f"{who} has a block of {length} {what} from day {start - off} (min {limit})")
        # weekends
        worked = sum(1 for days in weekends if any(row[d] is not None for d in days))
        if st.max_weekends is not None and worked > st.max_weekends:
            breach("max_weekends", sid, None, f"{who} works {worked} weekends (max {st.max_weekends})")
        for d in sorted(st.days_off):
            if 0 <= d < h and row[d] is not None:
                breach("days_off", sid, d, f"{who} works {row[d]} on a fixed day off", row[d])
        # rolling 7 days
        cap = problem.max_minutes_per_7_days
        if cap is not None:
            mins = [0 if c is None else shifts[c].minutes for c in seq]
            for a in range(0, len(seq) - 6):
                if a + 6 < off:
                    continue
                total = sum(mins[a:a + 7])
                if total > cap:
                    breach("max_minutes_per_7_days", sid, max(a - off, 0),
                           f"{who} works {total} min in the 7 days from day {a - off} (max {cap})")

    for pin in problem.pins:
        row = cells.get(pin.staff)
        if row is not None and 0 <= pin.day < h and row[pin.day] != pin.shift:
            breach("pin", pin.staff, pin.day,
                   f"{pin.staff} is pinned to {pin.shift or 'off'} on day {pin.day} "
                   f"but has {row[pin.day] or 'off'}", pin.shift)

    # soft: requests
    label = {s.id: s.label for s in problem.staff}
    for r in problem.requests:
        got = cells.get(r.staff, [None] * h)[r.day]
        if r.on and got != r.shift:
            pay("shift_on_request", r.staff, r.day, r.shift, r.weight,
                f"{label.get(r.staff, r.staff)} asked to work {r.shift} on day {r.day}")
        if not r.on and got == r.shift:
            pay("shift_off_request", r.staff, r.day, r.shift, r.weight,
                f"{label.get(r.staff, r.staff)} asked not to work {r.shift} on day {r.day}")
    # cover
    skills = {s.id: s.skills for s in problem.staff}
    for c in problem.cover:
        n = sum(1 for sid, row in cells.items()
                if row[c.day] == c.shift and (c.skill is None or c.skill in skills[sid]))
        what = f"day {c.day} shift {c.shift}" + (f" (skill {c.skill})" if c.skill else "")
        if n < c.requirement:
            pay("cover_under", None, c.day, c.shift, c.under_weight * (c.requirement - n),
                f"{what}: {c.requirement - n} short of {c.requirement}")
            if problem.cover_hard:
                breach("cover_minimum", None, c.day,
                       f"{what}: {n} staff for a hard minimum of {c.requirement}", c.shift)
        elif n > c.requirement:
            pay("cover_over", None, c.day, c.shift, c.over_weight * (n - c.requirement),
                f"{what}: {n - c.requirement} more than {c.requirement}")
    # fairness
    w = problem.weights
    if w.fairness_nights:
        nights = {t.id for t in problem.shifts if t.night}
        counts = [sum(1 for c in cells[s.id] if c in nights) for s in problem.staff
                  if any(s.max_shifts.get(t, 1) > 0 for t in nights)]
        if len(counts) > 1:
            spread = max(counts) - min(counts)
            pay("fairness_nights", None, None, None, w.fairness_nights * spread,
                f"Night counts differ by {spread} between the most and the least loaded staff")
    if w.fairness_weekends:
        counts = [sum(1 for days in weekends if any(cells[s.id][d] is not None for d in days))
                  for s in problem.staff
                  if any(s.max_shifts.get(t.id, 1) > 0 for t in problem.shifts)]
        if len(counts) > 1:
            spread = max(counts) - min(counts)
            pay("fairness_weekends", None, None, None, w.fairness_weekends * spread,
                f"Weekends worked differ by {spread} between the most and the least loaded staff")
    # minimal change
    if w.change and problem.reference:
        for sid, ref in problem.reference.items():
            row = cells.get(sid)
            if row is None:
                continue
            for d in range(min(len(ref), h)):
                if row[d] != ref[d]:
                    pay("minimal_change", sid, d, ref[d], w.change,
                        f"{label.get(sid, sid)} on day {d} changed (was {ref[d] or 'off'})")
    return rep
