"""The room and waiting-room state machine, without media."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from telecon.config import RoomTiming
from telecon.errors import NotAdmitted, NotAllowed, RoomBusy, RoomClosed, RoomClosedReason
from telecon.rooms import EventKind, Room, RoomEvent, RoomRegistry, RoomState
from telecon.tokens import JoinClaims, Role

from .conftest import END, START, FakeClock


def claims(role: str, person: str, room: str = "a1") -> JoinClaims:
    return JoinClaims(room, Role(role), person, 2**40)


PATIENT = claims("patient", "p1")
CLINICIAN = claims("clinician", "c1")


def make_room(clock: FakeClock) -> Room:
    return Room("a1", START, END, RoomTiming(timedelta(minutes=10), timedelta(minutes=5)), clock=clock)


def test_check_in_admit_leave_end(clock: FakeClock) -> None:
    room = make_room(clock)
    events: list[RoomEvent] = []

    async def scenario() -> None:
        async with room.hub.subscribe("a1") as queue:
            room.check_in(PATIENT)
            assert room.state is RoomState.WAITING
            with pytest.raises(NotAdmitted):
                room.require_connectable(PATIENT)
            room.require_connectable(CLINICIAN)  # a clinician never waits
            room.admit(CLINICIAN)
            assert room.state is RoomState.IN_CALL and room.is_admitted(PATIENT)
            room.require_connectable(PATIENT)
            assert room.leave(PATIENT)
            assert room.state is RoomState.EMPTY
            room.check_in(PATIENT)  # back after leaving: waits again
            assert room.state is RoomState.WAITING
            room.end(CLINICIAN)
            while not queue.empty():
                events.append(queue.get_nowait())

    asyncio.run(scenario())
    assert [e.kind for e in events] == [
        EventKind.CHECKED_IN,
        EventKind.CLINICIAN_JOINED,
        EventKind.ADMITTED,
        EventKind.LEFT,
        EventKind.CHECKED_IN,
        EventKind.ENDED,
    ]
    assert events[2].person_id == "p1" and events[2].as_dict()["role"] == "patient"
    with pytest.raises(RoomClosed) as info:
        room.check_in(PATIENT)
    assert info.value.code is RoomClosedReason.ENDED


def test_patient_cannot_admit_or_end(clock: FakeClock) -> None:
    room = make_room(clock)
    room.check_in(PATIENT)
    with pytest.raises(NotAllowed):
        room.admit(PATIENT)
    with pytest.raises(NotAllowed):
        room.admit(claims("pharmacist", "ph1"))
    with pytest.raises(NotAllowed):
        room.end(PATIENT)
    assert room.state is RoomState.WAITING


def test_admit_needs_somebody_waiting(clock: FakeClock) -> None:
    with pytest.raises(NotAllowed):
        make_room(clock).admit(CLINICIAN)


def test_window(clock: FakeClock) -> None:
    room = make_room(clock)
    clock.now = START - timedelta(minutes=11)
    with pytest.raises(RoomClosed) as info:
        room.check_in(PATIENT)
    assert info.value.code is RoomClosedReason.NOT_OPEN_YET
    clock.now = START - timedelta(minutes=10)
    room.check_in(PATIENT)
    clock.now = END + timedelta(minutes=5)
    with pytest.raises(RoomClosed) as info:
        room.check_in(CLINICIAN)
    assert info.value.code is RoomClosedReason.CLOSED


def test_cancelled_room_refuses(clock: FakeClock) -> None:
    room = make_room(clock)
    room.check_in(PATIENT)
    room.cancel()
    assert room.state is RoomState.CANCELLED
    with pytest.raises(RoomClosed) as info:
        room.check_in(CLINICIAN)
    assert info.value.code is RoomClosedReason.CANCELLED


def test_one_person_per_side(clock: FakeClock) -> None:
    room = make_room(clock)
    room.check_in(PATIENT)
    room.check_in(PATIENT)  # idempotent
    with pytest.raises(RoomBusy):
        room.check_in(claims("pharmacist", "ph1"))
    room.check_in(CLINICIAN)
    with pytest.raises(RoomBusy):
        room.check_in(claims("clinician", "c2"))


def test_pharmacist_waits_like_a_patient(clock: FakeClock) -> None:
    room = make_room(clock)
    pharmacist = claims("pharmacist", "ph1")
    with pytest.raises(NotAdmitted):
        room.require_connectable(pharmacist)
    room.admit(CLINICIAN)
    room.require_connectable(pharmacist)


def test_claims_of_another_room(clock: FakeClock) -> None:
    with pytest.raises(NotAllowed):
        make_room(clock).check_in(claims("patient", "p1", room="zz"))


def test_registry_and_listeners(clock: FakeClock) -> None:
    registry = RoomRegistry(clock=clock)
    room = registry.open("a1", START, END)
    assert registry.open("a1", START, END) is room and "a1" in registry
    seen: list[EventKind] = []

    async def listener(event: RoomEvent) -> None:
        seen.append(event.kind)

    async def scenario() -> None:
        stop = registry.hub.add_listener(listener)
        room.check_in(PATIENT)
        await registry.hub.drain()
        stop()
        room.check_in(CLINICIAN)
        await registry.hub.drain()

    asyncio.run(scenario())
    assert seen == [EventKind.CHECKED_IN]
    registry.forget("a1")
    assert len(registry) == 0


def test_naive_times_refused() -> None:
    with pytest.raises(ValueError):
        Room("a1", START.replace(tzinfo=None), END)
