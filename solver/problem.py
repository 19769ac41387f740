"""The roster problem: plain frozen dataclasses, no solver code.

The core is the Curtois & Qu (2014) staff-scheduling problem (one shift per day, forbidden
successions, per-type maxima, min/max minutes, stretch rules, weekends, days off, weighted
requests and cover). Clinic extensions (skills, minimum rest, rolling 7-day maximum, fairness,
pins, history, minimal change, hard cover) are all optional and off by default, so that a
benchmark instance is solved with exactly the benchmark's objective.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

MINUTES_PER_DAY = 1440

#: A roster cell value meaning "day off" (used in pins, history and reference rosters).
OFF: None = None


@dataclass(frozen=True)
class ShiftType:
    """A kind of shift.

    Attributes:
        id: Shift identifier (e.g. ``"D"``, ``"N"``).
        minutes: Length in minutes.
        start: Start as minute of day (0..1439); needed only by the minimum-rest rule.
        cannot_follow: Shift ids that may not be worked on the day after this shift.
        night: Whether the shift counts as a night for the fairness rule.
    """

    id: str
    minutes: int
    start: int | None = None
    cannot_follow: tuple[str, ...] = ()
    night: bool = False


@dataclass(frozen=True)
class Staff:
    """One employee and their contract.

    Attributes:
        id: Staff identifier.
        name: Display name used in explanations (defaults to the id).
        max_shifts: Maximum number of each shift type over the horizon; a missing key means
            unlimited, 0 means never.
        min_minutes: Minimum total minutes worked over the horizon.
        max_minutes: Maximum total minutes (None: unlimited).
        max_consecutive: Maximum number of consecutive working days (None: unlimited).
        min_consecutive: Minimum length of a block of working days bounded by days off.
        min_consecutive_off: Minimum length of a block of days off bounded by working days.
        max_weekends: Maximum number of weekends worked (None: unlimited).
        skills: Qualifications, matched against ``CoverDemand.skill``.
        days_off: Days on which the employee must not work.
    """

    id: str
    name: str | None = None
    max_shifts: Mapping[str, int] = field(default_factory=dict)
    min_minutes: int = 0
    max_minutes: int | None = None
    max_consecutive: int | None = None
    min_consecutive: int = 1
    min_consecutive_off: int = 1
    max_weekends: int | None = None
    skills: frozenset[str] = frozenset()
    days_off: frozenset[int] = frozenset()

    @property
    def label(self) -> str:
        """Name shown to a manager."""
        return self.name or self.id


@dataclass(frozen=True)
class ShiftRequest:
    """A wish to work (``on=True``) or not to work (``on=False``) a shift on a day.

    The weight is paid when the wish is not granted.
    """

    staff: str
    day: int
    shift: str
    weight: int
    on: bool = True


@dataclass(frozen=True)
class CoverDemand:
    """Wanted number of staff on a shift on a day.

    Attributes:
        day: Day index.
        shift: Shift id.
        requirement: Preferred number of staff.
        under_weight: Penalty per missing person.
        over_weight: Penalty per extra person.
        skill: When set, only staff having this skill count towards this demand.
    """

    day: int
    shift: str
    requirement: int
    under_weight: int = 100
    over_weight: int = 1
    skill: str | None = None


@dataclass(frozen=True)
class Pin:
    """A cell a manager fixed: ``staff`` works ``shift`` on ``day`` (``shift=None``: day off)."""

    staff: str
    day: int
    shift: str | None


@dataclass(frozen=True)
class Weights:
    """Weights of the clinic's soft rules (all 0 = off). Request and cover weights are per item.

    Attributes:
        fairness_nights: Cost per unit of spread (max - min) of nights among eligible staff.
        fairness_weekends: Cost per unit of spread of weekends worked among eligible staff.
        change: Cost per cell that differs from the reference roster (minimal change).
    """

    fairness_nights: int = 0
    fairness_weekends: int = 0
    change: int = 0


@dataclass(frozen=True)
class RosterProblem:
    """A complete roster problem.

    Attributes:
        days: Horizon length in days.
        shifts: Shift types.
        staff: Employees.
        requests: Shift on/off requests.
        cover: Cover demands per (day, shift[, skill]).
        start_weekday: Weekday of day 0 (Monday = 0); weekends are derived from it.
        name: Instance name.
        min_rest_minutes: Minimum rest between the end of a shift and the next start (needs
            shift start times); forbidden successions are derived from it.
        max_minutes_per_7_days: Maximum minutes worked in any 7 consecutive days.
        weights: Weights of clinic soft rules.
        pins: Cells that must hold.
        history: Per staff, the last days of the previous period (oldest first, last element =
            the day before day 0); each element a shift id or None (off).
        reference: Per staff, a previous roster for this horizon (minimal-change re-solve).
        cover_hard: Treat cover requirements as hard minima.
    """

    days: int
    shifts: tuple[ShiftType, ...]
    staff: tuple[Staff, ...]
    requests: tuple[ShiftRequest, ...] = ()
    cover: tuple[CoverDemand, ...] = ()
    start_weekday: int = 0
    name: str = "roster"
    min_rest_minutes: int | None = None
    max_minutes_per_7_days: int | None = None
    weights: Weights = field(default_factory=Weights)
    pins: tuple[Pin, ...] = ()
    history: Mapping[str, tuple[str | None, ...]] = field(default_factory=dict)
    reference: Mapping[str, tuple[str | None, ...]] = field(default_factory=dict)
    cover_hard: bool = False

    # ----------------------------------------------------------------- derived data
    @cached_property
    def shift_index(self) -> dict[str, int]:
        """Shift id -> index in ``shifts``."""
        return {t.id: k for k, t in enumerate(self.shifts)}

    @cached_property
    def staff_index(self) -> dict[str, int]:
        """Staff id -> index in ``staff``."""
        return {s.id: k for k, s in enumerate(self.staff)}

    @cached_property
    def weekend_days(self) -> tuple[tuple[int, ...], ...]:
        """Cached :meth:`weekends`."""
        return tuple(self.weekends())

    def weekends(self) -> list[tuple[int, ...]]:
        """Days of each weekend touching the horizon (Saturday and/or Sunday inside it)."""
        result: list[tuple[int, ...]] = []
        first_saturday = (5 - self.start_weekday) % 7
        # a horizon starting on Sunday has a lone Sunday on day 0
        if self.start_weekday == 6:
            result.append((0,))
            first_saturday = 6
        for sat in range(first_saturday, self.days, 7):
            result.append(tuple(d for d in (sat, sat + 1) if d < self.days))
        return result

    def staff_only(self, ids: Collection[str]) -> RosterProblem:
        """The problem of employees ``ids`` alone: their rules, requests, pins, history and
        reference roster, without cover (every hard rule concerns one employee)."""
        return replace(self, staff=tuple(st for st in self.staff if st.id in ids), cover=(),
                       requests=tuple(r for r in self.requests if r.staff in ids),
                       pins=tuple(q for q in self.pins if q.staff in ids),
                       history={k: v for k, v in self.history.items() if k in ids},
                       reference={k: v for k, v in self.reference.items() if k in ids})

    def max_of(self, staff: Staff, shift: str) -> int:
        """Maximum number of ``shift`` for ``staff`` (horizon length when unlimited)."""
        return min(staff.max_shifts.get(shift, self.days), self.days)

    def forbidden_successions(self) -> dict[tuple[str, str], int]:
        """All forbidden (earlier, later) shift pairs with their day gap (1 = next day).

        Combines the explicit ``cannot_follow`` lists (gap 1) with pairs derived from
        ``min_rest_minutes`` and the shift start times.
        """
        pairs: dict[tuple[str, str], int] = {}
        for t in self.shifts:
            for u in t.cannot_follow:
                pairs[(t.id, u)] = 1
        if self.min_rest_minutes:
            pairs.update(self.rest_successions())
        return pairs

    def rest_successions(self) -> dict[tuple[str, str], int]:
        """Pairs (t, u) -> max gap in days g such that u on day d+g leaves too little rest after t."""
        out: dict[tuple[str, str], int] = {}
        rest = self.min_rest_minutes or 0
        for t in self.shifts:
            if t.start is None:
                continue
            end = t.start + t.minutes
            for u in self.shifts:
                if u.start is None:
                    continue
                gap = 0
                for g in range(1, 8):
                    if u.start + g * MINUTES_PER_DAY - end < rest:
                        gap = g
                if gap:
                    out[(t.id, u.id)] = gap
        return out

    def check(self) -> list[str]:
        """Return a list of consistency errors in the data (unknown ids, days out of range)."""
        errors: list[str] = []
        sids = self.shift_index
        stids = self.staff_index
        if self.days <= 0:
            errors.append("the horizon must have at least one day")
        if len(sids) != len(self.shifts):
            errors.append("duplicate shift ids")
        if len(stids) != len(self.staff):
            errors.append("duplicate staff ids")
        for t in self.shifts:
            errors += [f"shift {t.id}: unknown shift {u} in cannot_follow"
                       for u in t.cannot_follow if u not in sids]
        for s in self.staff:
            errors += [f"staff {s.id}: unknown shift {u} in max_shifts"
                       for u in s.max_shifts if u not in sids]
            errors += [f"staff {s.id}: day off {d} outside the horizon"
                       for d in s.days_off if not 0 <= d < self.days]
        for r in self.requests:
            if r.staff not in stids or r.shift not in sids or not 0 <= r.day < self.days:
                errors.append(f"request {r}: unknown staff/shift or day outside the horizon")
        for c in self.cover:
            if c.shift not in sids or not 0 <= c.day < self.days:
                errors.append(f"cover {c}: unknown shift or day outside the horizon")
        for p in self.pins:
            if p.staff not in stids or (p.shift is not None and p.shift not in sids) \
                    or not 0 <= p.day < self.days:
                errors.append(f"pin {p}: unknown staff/shift or day outside the horizon")
        for name, table in (("history", self.history), ("reference", self.reference)):
            for sid, cells in table.items():
                if sid not in stids:
                    errors.append(f"{name}: unknown staff {sid}")
                errors += [f"{name} of {sid}: unknown shift {c}"
                           for c in cells if c is not None and c not in sids]
        return errors
