"""Lay out consultation sessions as bookable slots with CP-SAT interval variables.

A session is a block of a clinician's time, in a room or by video. Each appointment type that may
be held in it (a :class:`SlotKind`) can be placed at any grid-aligned start; every placement is an
optional fixed-size interval (duration plus buffers). The rules, one small function each:

- a clinician is in one place at a time (``no_overlap_per_clinician``), breaks included;
- a room holds one in-person appointment at a time, whoever the clinician
  (``no_overlap_per_room``); video appointments need no room;
- time already booked stays as it is (``keep_busy_time``, fixed intervals);
- at most ``max_count`` slots of a kind per session (``respect_max_counts``);
- a long session gets a break around its middle (``place_breaks``).

The objective fills the sessions, asks for the ``min_count`` slots of each kind first (e.g. the
quota of same-day urgent slots) and shares the time among kinds by their ``weight``.
Independent groups of sessions (no shared clinician or room) are solved separately.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum

from ortools.sat.python import cp_model

#: Weights of the objective, in one place (per minute or per slot).
WEIGHT_MIN_COUNT = 10_000  # per slot of a kind's minimum count
WEIGHT_FILLED_MINUTE = 20  # per minute of a session holding a slot
WEIGHT_SHARE_DEVIATION = 10  # per minute away from a kind's share of the session


@dataclass(frozen=True)
class SlotKind:
    """An appointment type that may be laid out in a session (minutes throughout)."""

    key: int
    duration: int
    buffer_before: int = 0
    buffer_after: int = 0
    needs_room: bool = True
    weight: int = 1
    min_count: int = 0
    max_count: int | None = None

    @property
    def footprint(self) -> int:
        """Time the slot occupies, buffers included."""
        return self.buffer_before + self.duration + self.buffer_after


@dataclass(frozen=True)
class SessionSpec:
    """A clinician's session, ``start`` and ``end`` in minutes from a common origin."""

    key: int
    clinician: int
    start: int
    end: int
    kinds: tuple[SlotKind, ...]
    room: int | None = None


@dataclass(frozen=True)
class Busy:
    """Time already taken (a booked slot): it blocks its clinician and, if any, its room."""

    clinician: int
    start: int
    end: int
    room: int | None = None


@dataclass(frozen=True)
class LayoutProblem:
    """Sessions to lay out and the time already booked."""

    sessions: tuple[SessionSpec, ...]
    busy: tuple[Busy, ...] = ()
    grid: int = 5
    break_after: int = 240
    break_minutes: int = 15


@dataclass(frozen=True)
class PlacedSlot:
    """A slot of ``kind`` in ``session`` from ``start`` to ``end`` (buffers excluded)."""

    session: int
    kind: int
    start: int
    end: int


@dataclass(frozen=True)
class PlacedBreak:
    """A break in a session."""

    session: int
    start: int
    end: int


class LayoutStatus(Enum):
    """Outcome of a layout."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"


@dataclass
class LayoutResult:
    """Slots and breaks of every session, with the solver's status and figures."""

    status: LayoutStatus
    slots: list[PlacedSlot] = field(default_factory=list)
    breaks: list[PlacedBreak] = field(default_factory=list)
    objective: int = 0
    bound: int = 0
    wall_time: float = 0.0


@dataclass
class _Placement:
    session: SessionSpec
    kind: SlotKind
    start: cp_model.IntVar
    present: cp_model.IntVar
    interval: cp_model.IntervalVar


@dataclass
class _Model:
    model: cp_model.CpModel
    placements: list[_Placement] = field(default_factory=list)
    breaks: dict[int, tuple[cp_model.IntVar, cp_model.IntVar, cp_model.IntervalVar, int]] = field(
        default_factory=dict)
    objective_terms: list[cp_model.LinearExprT] = field(default_factory=list)


# --- variables -----------------------------------------------------------------------------------

def _candidate_count(session: SessionSpec, kind: SlotKind) -> int:
    fits = (session.end - session.start) // kind.footprint
    return fits if kind.max_count is None else min(fits, kind.max_count)


def create_placements(m: _Model, problem: LayoutProblem, sessions: list[SessionSpec]) -> None:
    """Per session and kind, as many optional intervals as could fit, starting on the grid.

    Intervals of one kind are interchangeable, so they are used in order and kept in time order
    (symmetry breaking).
    """
    for session in sessions:
        for kind in session.kinds:
            if kind.needs_room and session.room is None:
                continue
            low = -(-kind.buffer_before // problem.grid)
            high = (session.end - kind.duration - kind.buffer_after - session.start) // problem.grid
            if high < low:
                continue
            previous: _Placement | None = None
            for index in range(_candidate_count(session, kind)):
                name = f"s{session.key}_k{kind.key}_{index}"
                step = m.model.new_int_var(low, high, f"g_{name}")
                start = m.model.new_int_var(session.start, session.end, f"t_{name}")
                m.model.add(start == session.start + problem.grid * step)
                present = m.model.new_bool_var(f"p_{name}")
                interval = m.model.new_optional_fixed_size_interval_var(
                    start - kind.buffer_before, kind.footprint, present, f"i_{name}")
                placement = _Placement(session, kind, start, present, interval)
                if previous is not None:
                    m.model.add_implication(present, previous.present)
                    m.model.add(start >= previous.start + kind.footprint).only_enforce_if(present)
                m.placements.append(placement)
                previous = placement


# --- rules ---------------------------------------------------------------------------------------

def place_breaks(m: _Model, problem: LayoutProblem, sessions: list[SessionSpec]) -> None:
    """A session longer than ``break_after`` gets a break within its middle third."""
    for session in sessions:
        length = session.end - session.start
        if length <= problem.break_after:
            continue
        low = session.start + length // 3
        high = max(low, session.end - length // 3 - problem.break_minutes)
        start = m.model.new_int_var(low, high, f"break{session.key}")
        present = m.model.new_bool_var(f"break_p{session.key}")
        interval = m.model.new_optional_fixed_size_interval_var(
            start, problem.break_minutes, present, f"break_i{session.key}")
        m.breaks[session.key] = (start, present, interval, problem.break_minutes)
        # Booked time may leave no room for it; otherwise a break is worth more than any slot.
        m.objective_terms.append(2 * WEIGHT_MIN_COUNT * present)


def _busy_interval(m: _Model, busy: Busy) -> cp_model.IntervalVar:
    return m.model.new_fixed_size_interval_var(busy.start, busy.end - busy.start, "busy")


def no_overlap_per_clinician(m: _Model, problem: LayoutProblem, sessions: list[SessionSpec]) -> None:
    """A clinician holds one appointment (or break) at a time."""
    by_clinician: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)
    for placement in m.placements:
        by_clinician[placement.session.clinician].append(placement.interval)
    for session in sessions:
        if session.key in m.breaks:
            by_clinician[session.clinician].append(m.breaks[session.key][2])
    clinicians = {session.clinician for session in sessions}
    for busy in problem.busy:
        if busy.clinician in clinicians:
            by_clinician[busy.clinician].append(_busy_interval(m, busy))
    for intervals in by_clinician.values():
        m.model.add_no_overlap(intervals)


def no_overlap_per_room(m: _Model, problem: LayoutProblem, sessions: list[SessionSpec]) -> None:
    """A room holds one in-person appointment at a time, whoever the clinician."""
    by_room: dict[int, list[cp_model.IntervalVar]] = defaultdict(list)
    for placement in m.placements:
        if placement.kind.needs_room and placement.session.room is not None:
            by_room[placement.session.room].append(placement.interval)
    rooms = set(by_room)
    for busy in problem.busy:
        if busy.room in rooms:
            by_room[busy.room].append(_busy_interval(m, busy))
    for intervals in by_room.values():
        m.model.add_no_overlap(intervals)


def keep_busy_time(m: _Model, problem: LayoutProblem, sessions: list[SessionSpec]) -> None:
    """Booked time is part of the no-overlap rules above; nothing else may move it."""
    # Busy intervals are fixed: they are added by the two no-overlap rules.


def respect_max_counts(m: _Model, problem: LayoutProblem, sessions: list[SessionSpec]) -> None:
    """At most ``max_count`` slots of a kind in a session."""
    for placements in _by_session_kind(m).values():
        kind = placements[0].kind
        if kind.max_count is not None:
            m.model.add(sum(p.present for p in placements) <= kind.max_count)


RULES = (place_breaks, no_overlap_per_clinician, no_overlap_per_room, keep_busy_time,
         respect_max_counts)


# --- objective -----------------------------------------------------------------------------------

def _by_session_kind(m: _Model) -> dict[tuple[int, int], list[_Placement]]:
    grouped: dict[tuple[int, int], list[_Placement]] = defaultdict(list)
    for placement in m.placements:
        grouped[(placement.session.key, placement.kind.key)].append(placement)
    return grouped


def reward_min_counts(m: _Model) -> None:
    """Each slot up to a kind's ``min_count`` (e.g. the urgent quota) is worth the most."""
    for (session_key, kind_key), placements in _by_session_kind(m).items():
        kind = placements[0].kind
        if kind.min_count <= 0:
            continue
        met = m.model.new_int_var(0, kind.min_count, f"met{session_key}_{kind_key}")
        m.model.add(met <= sum(p.present for p in placements))
        m.objective_terms.append(WEIGHT_MIN_COUNT * met)


def reward_filled_time(m: _Model) -> None:
    """Every minute holding a slot counts."""
    m.objective_terms.append(
        WEIGHT_FILLED_MINUTE * sum(p.kind.duration * p.present for p in m.placements))


def penalise_share_deviation(m: _Model, sessions: list[SessionSpec]) -> None:
    """Share each session's time among its kinds in proportion to their weights."""
    grouped = _by_session_kind(m)
    for session in sessions:
        kinds = [k for k in session.kinds if (session.key, k.key) in grouped and k.weight > 0]
        total_weight = sum(k.weight for k in kinds)
        if len(kinds) < 2 or total_weight == 0:
            continue
        length = session.end - session.start
        for kind in kinds:
            target = length * kind.weight // total_weight
            minutes = sum(kind.duration * p.present for p in grouped[(session.key, kind.key)])
            deviation = m.model.new_int_var(0, length, f"dev{session.key}_{kind.key}")
            m.model.add(deviation >= minutes - target)
            m.model.add(deviation >= target - minutes)
            m.objective_terms.append(-WEIGHT_SHARE_DEVIATION * deviation)


# --- solving -------------------------------------------------------------------------------------

def independent_groups(problem: LayoutProblem) -> list[list[SessionSpec]]:
    """Sessions linked by a shared clinician or room on overlapping times, as separate groups."""
    parent = list(range(len(problem.sessions)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    ordered = sorted(range(len(problem.sessions)), key=lambda i: problem.sessions[i].start)
    for a_pos, a in enumerate(ordered):
        sa = problem.sessions[a]
        for b in ordered[a_pos + 1:]:
            sb = problem.sessions[b]
            if sb.start >= sa.end:
                break
            if sa.clinician == sb.clinician or (sa.room is not None and sa.room == sb.room):
                parent[find(a)] = find(b)
    groups: dict[int, list[SessionSpec]] = defaultdict(list)
    for i, session in enumerate(problem.sessions):
        groups[find(i)].append(session)
    return list(groups.values())


def _solve_group(problem: LayoutProblem, sessions: list[SessionSpec], time_limit: float,
                 workers: int, seed: int) -> LayoutResult:
    m = _Model(cp_model.CpModel())
    create_placements(m, problem, sessions)
    for rule in RULES:
        rule(m, problem, sessions)
    reward_min_counts(m)
    reward_filled_time(m)
    penalise_share_deviation(m, sessions)
    m.model.maximize(sum(m.objective_terms))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    code = solver.solve(m.model)
    status = {
        cp_model.OPTIMAL: LayoutStatus.OPTIMAL, cp_model.FEASIBLE: LayoutStatus.FEASIBLE,
        cp_model.INFEASIBLE: LayoutStatus.INFEASIBLE,
    }.get(code, LayoutStatus.UNKNOWN)
    result = LayoutResult(status=status, wall_time=solver.wall_time)
    if status not in (LayoutStatus.OPTIMAL, LayoutStatus.FEASIBLE):
        return result
    result.objective = round(solver.objective_value)
    result.bound = round(solver.best_objective_bound)
    for placement in m.placements:
        if solver.boolean_value(placement.present):
            start = solver.value(placement.start)
            result.slots.append(PlacedSlot(placement.session.key, placement.kind.key, start,
                                           start + placement.kind.duration))
    for session_key, (start, present, _interval, minutes) in m.breaks.items():
        if not solver.boolean_value(present):
            continue
        value = solver.value(start)
        result.breaks.append(PlacedBreak(session_key, value, value + minutes))
    return result


def layout_slots(problem: LayoutProblem, time_limit: float = 5.0, workers: int = 1,
                 seed: int = 0) -> LayoutResult:
    """Lay out every session; ``time_limit`` applies to each independent group."""
    started = time.monotonic()
    merged = LayoutResult(status=LayoutStatus.OPTIMAL)
    for group in independent_groups(problem):
        result = _solve_group(problem, group, time_limit, workers, seed)
        if result.status in (LayoutStatus.INFEASIBLE, LayoutStatus.UNKNOWN):
            merged.status = result.status
            break
        if result.status == LayoutStatus.FEASIBLE:
            merged.status = LayoutStatus.FEASIBLE
        merged.slots.extend(result.slots)
        merged.breaks.extend(result.breaks)
        merged.objective += result.objective
        merged.bound += result.bound
    merged.slots.sort(key=lambda s: (s.session, s.start))
    merged.wall_time = time.monotonic() - started
    return merged
