"""Slot layout with CP-SAT: clinicians and rooms never double-booked, quotas, breaks, busy time."""

from __future__ import annotations

from itertools import combinations

from solver.slots import Busy, LayoutProblem, LayoutStatus, SessionSpec, SlotKind, layout_slots

CONSULT = SlotKind(key=1, duration=20, weight=2)
FIRST_VISIT = SlotKind(key=2, duration=30, buffer_after=5, weight=1)
URGENT = SlotKind(key=3, duration=15, weight=0, min_count=2, max_count=2)
VIDEO = SlotKind(key=4, duration=15, needs_room=False)


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_a_morning_session_mixes_types_holds_the_urgent_quota_and_never_overlaps() -> None:
    session = SessionSpec(key=10, clinician=1, start=510, end=720, room=7,
                          kinds=(CONSULT, FIRST_VISIT, URGENT))
    result = layout_slots(LayoutProblem(sessions=(session,)))
    assert result.status == LayoutStatus.OPTIMAL
    kinds = [s.kind for s in result.slots]
    assert kinds.count(3) == 2, "two same-day urgent slots are held back"
    assert kinds.count(1) >= 3 and kinds.count(2) >= 1, "routine visits and first visits are mixed"
    spans = sorted((s.start, s.end + (5 if s.kind == 2 else 0)) for s in result.slots)
    assert all(not _overlap(a, b) for a, b in combinations(spans, 2))
    assert all(s.start >= 510 and s.end <= 720 and s.start % 5 == 0 for s in result.slots)
    filled = sum(s.end - s.start for s in result.slots)
    assert filled >= 180, f"the session is mostly used ({filled} of 210 minutes)"


def test_a_long_session_gets_a_break_in_its_middle() -> None:
    session = SessionSpec(key=11, clinician=1, start=480, end=780, room=7, kinds=(CONSULT,))
    result = layout_slots(LayoutProblem(sessions=(session,)))
    assert len(result.breaks) == 1
    pause = result.breaks[0]
    assert pause.start >= 480 + 100 and pause.end <= 780 - 100
    assert all(not _overlap((s.start, s.end), (pause.start, pause.end)) for s in result.slots)


def test_two_clinicians_sharing_a_room_never_hold_in_person_slots_at_once() -> None:
    morning = SessionSpec(key=1, clinician=1, start=480, end=600, room=5, kinds=(CONSULT,))
    overlap = SessionSpec(key=2, clinician=2, start=540, end=660, room=5, kinds=(CONSULT, VIDEO))
    result = layout_slots(LayoutProblem(sessions=(morning, overlap)))
    assert result.status == LayoutStatus.OPTIMAL
    in_room = [(s.start, s.end) for s in result.slots if s.kind == 1]
    assert all(not _overlap(a, b) for a, b in combinations(in_room, 2))
    # the second clinician uses the time the room is taken for video calls, which need no room
    video = [s for s in result.slots if s.kind == 4]
    assert video and any(any(_overlap((v.start, v.end), r) for r in in_room) for v in video)


def test_booked_time_is_left_alone_when_slots_are_laid_out_again() -> None:
    session = SessionSpec(key=1, clinician=1, start=480, end=600, room=5, kinds=(CONSULT,))
    booked = Busy(clinician=1, room=5, start=500, end=520)
    other_room_user = Busy(clinician=9, room=5, start=560, end=580)
    result = layout_slots(LayoutProblem(sessions=(session,), busy=(booked, other_room_user)))
    for slot in result.slots:
        assert not _overlap((slot.start, slot.end), (500, 520))
        assert not _overlap((slot.start, slot.end), (560, 580))
    assert len(result.slots) == 4


def test_independent_sessions_are_solved_separately_and_all_returned() -> None:
    sessions = tuple(SessionSpec(key=k, clinician=k, start=480, end=540, room=k, kinds=(CONSULT,))
                     for k in range(1, 6))
    result = layout_slots(LayoutProblem(sessions=sessions))
    assert {s.session for s in result.slots} == set(range(1, 6))
    assert len(result.slots) == 15
