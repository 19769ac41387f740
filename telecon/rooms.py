"""Consultation rooms and their waiting room, one room per appointment.

A room has two sides: the patient side (the patient, or a pharmacist acting for them)
and the clinician side. The patient side checks in and waits; the clinician admits it;
either side leaves; the clinician ends the consultation. Joins are refused outside the
room's window (see :class:`~telecon.config.RoomTiming`) and once cancelled or ended.

Every change is published as a :class:`RoomEvent` on an :class:`EventHub`, which the web
layer forwards to server-sent events. Methods are synchronous: the state machine does no
I/O and can be tested without an event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from telecon.config import RoomTiming
from telecon.errors import (
    NotAdmitted,
    NotAllowed,
    RoomBusy,
    RoomClosed,
    RoomClosedReason,
    UnknownRoom,
)
from telecon.tokens import JoinClaims, Role

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class EventKind(StrEnum):
    """What happened in a room."""

    CHECKED_IN = "checked_in"
    CLINICIAN_JOINED = "clinician_joined"
    ADMITTED = "admitted"
    LEFT = "left"
    ENDED = "ended"
    CANCELLED = "cancelled"


class RoomState(StrEnum):
    """The room as a whole, for display."""

    EMPTY = "empty"  # open, nobody waiting
    WAITING = "waiting"  # the patient side waits to be admitted
    IN_CALL = "in_call"  # the patient side is admitted
    ENDED = "ended"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class RoomEvent:
    """One change in a room, ready to be serialised for server-sent events."""

    room_id: str
    kind: EventKind
    role: Role | None = None
    person_id: str | None = None
    at: datetime = field(default_factory=utc_now)

    def as_dict(self) -> dict[str, str | None]:
        """JSON-ready form."""
        return {
            "room_id": self.room_id,
            "kind": self.kind.value,
            "role": self.role.value if self.role else None,
            "person_id": self.person_id,
            "at": self.at.isoformat(),
        }


Listener = Callable[[RoomEvent], Awaitable[None]]


class EventHub:
    """Fan-out of room events to async callbacks and to queues.

    ``publish`` is synchronous: queues receive the event at once (a full queue drops its
    oldest event); callbacks run as tasks, awaited by :meth:`drain`.
    """

    def __init__(self, queue_size: int = 100) -> None:
        self._listeners: list[Listener] = []
        self._queues: list[tuple[str | None, asyncio.Queue[RoomEvent]]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._queue_size = queue_size

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``await listener(event)`` for every event; returns an unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @contextlib.asynccontextmanager
    async def subscribe(self, room_id: str | None = None) -> AsyncIterator[asyncio.Queue[RoomEvent]]:
        """A queue receiving the events of ``room_id`` (all rooms if ``None``)."""
        entry: tuple[str | None, asyncio.Queue[RoomEvent]] = (
            room_id,
            asyncio.Queue(self._queue_size),
        )
        self._queues.append(entry)
        try:
            yield entry[1]
        finally:
            self._queues.remove(entry)

    def publish(self, event: RoomEvent) -> None:
        """Deliver ``event`` to every subscriber."""
        for room_id, q in self._queues:
            if room_id is None or room_id == event.room_id:
                if q.full():
                    q.get_nowait()
                q.put_nowait(event)
        if self._listeners:
            loop = asyncio.get_running_loop()
            for listener in list(self._listeners):
                task = loop.create_task(self._call(listener, event))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _call(listener: Listener, event: RoomEvent) -> None:
        try:
            await listener(event)
        except Exception:
            logger.exception("room event listener failed")

    async def drain(self) -> None:
        """Wait for the callbacks already scheduled."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))


@dataclass
class _Seat:
    person_id: str
    role: Role
    admitted: bool = False


class Room:
    """The state of one consultation.

    Args:
        room_id: The appointment id.
        starts_at: Appointment start (aware datetime).
        ends_at: Appointment end (aware datetime).
        timing: Opening window.
        hub: Where events go (a private hub if omitted).
        clock: Source of the current time (tests).
    """

    def __init__(
        self,
        room_id: str,
        starts_at: datetime,
        ends_at: datetime,
        timing: RoomTiming | None = None,
        hub: EventHub | None = None,
        clock: Clock = utc_now,
    ) -> None:
        if starts_at.tzinfo is None or ends_at.tzinfo is None:
            raise ValueError("room times must be timezone-aware")
        if ends_at < starts_at:
            raise ValueError("a room cannot end before it starts")
        timing = timing or RoomTiming()
        self.room_id = room_id
        self.opens_at = starts_at - timing.open_before
        self.closes_at = ends_at + timing.close_after
        self.hub = hub or EventHub()
        self._clock = clock
        self._patient: _Seat | None = None
        self._clinician: _Seat | None = None
        self._cancelled = False
        self._ended = False

    # --- queries --------------------------------------------------------------------

    @property
    def state(self) -> RoomState:
        """The room's state."""
        if self._cancelled:
            return RoomState.CANCELLED
        if self._ended:
            return RoomState.ENDED
        if self._patient is None:
            return RoomState.EMPTY
        return RoomState.IN_CALL if self._patient.admitted else RoomState.WAITING

    @property
    def clinician_present(self) -> bool:
        """Whether a clinician has joined and not left."""
        return self._clinician is not None

    def is_admitted(self, claims: JoinClaims) -> bool:
        """Whether ``claims`` hold the admitted patient-side seat."""
        seat = self._patient
        return seat is not None and seat.admitted and seat.person_id == claims.person_id

    def check_open(self) -> None:
        """Raise :class:`RoomClosed` unless the room accepts joins now."""
        if self._cancelled:
            raise RoomClosed(RoomClosedReason.CANCELLED)
        if self._ended:
            raise RoomClosed(RoomClosedReason.ENDED)
        now = self._clock()
        if now < self.opens_at:
            raise RoomClosed(RoomClosedReason.NOT_OPEN_YET, f"opens at {self.opens_at}")
        if now >= self.closes_at:
            raise RoomClosed(RoomClosedReason.CLOSED)

    def check_in(self, claims: JoinClaims) -> None:
        """Enter the room or its waiting room (idempotent for the same person).

        Raises:
            RoomClosed: Outside the window, cancelled or ended.
            RoomBusy: Another person holds the same side.
        """
        self._check_claims(claims)
        self.check_open()
        if claims.role.patient_side:
            seat = self._patient
            if seat is not None and seat.person_id != claims.person_id:
                raise RoomBusy(detail="another patient-side participant is here")
            if seat is None:
                self._patient = _Seat(claims.person_id, claims.role)
                self._emit(EventKind.CHECKED_IN, claims)
        else:
            seat = self._clinician
            if seat is not None and seat.person_id != claims.person_id:
                raise RoomBusy(detail="another clinician is here")
            if seat is None:
                self._clinician = _Seat(claims.person_id, claims.role, admitted=True)
                self._emit(EventKind.CLINICIAN_JOINED, claims)

    def require_connectable(self, claims: JoinClaims) -> None:
        """Check in, then raise :class:`NotAdmitted` if the patient side still waits."""
        self.check_in(claims)
        if claims.role.patient_side and not self.is_admitted(claims):
            raise NotAdmitted

    def admit(self, claims: JoinClaims) -> None:
        """The clinician admits the waiting patient side.

        Raises:
            NotAllowed: ``claims`` are not a clinician's, or nobody is waiting.
        """
        self._check_claims(claims)
        if claims.role is not Role.CLINICIAN:
            raise NotAllowed(detail="only a clinician admits")
        self.check_open()
        self.check_in(claims)
        seat = self._patient
        if seat is None:
            raise NotAllowed("nobody_waiting")
        if not seat.admitted:
            seat.admitted = True
            self._emit(EventKind.ADMITTED, None, seat)

    def leave(self, claims: JoinClaims) -> bool:
        """A participant leaves; a patient who comes back waits to be admitted again.

        Returns:
            Whether the participant was in the room.
        """
        self._check_claims(claims)
        if claims.role.patient_side:
            seat = self._patient
            if seat is None or seat.person_id != claims.person_id:
                return False
            self._patient = None
        else:
            seat = self._clinician
            if seat is None or seat.person_id != claims.person_id:
                return False
            self._clinician = None
        self._emit(EventKind.LEFT, claims)
        return True

    def end(self, claims: JoinClaims) -> None:
        """The clinician ends the consultation; the room refuses joins from now on."""
        self._check_claims(claims)
        if claims.role is not Role.CLINICIAN:
            raise NotAllowed(detail="only a clinician ends a consultation")
        if self._ended or self._cancelled:
            return
        self._ended = True
        self._patient = self._clinician = None
        self._emit(EventKind.ENDED, claims)

    def cancel(self) -> None:
        """The appointment was cancelled: refuse every join from now on."""
        if self._cancelled:
            return
        self._cancelled = True
        self._patient = self._clinician = None
        self._emit(EventKind.CANCELLED, None)

    # --- helpers --------------------------------------------------------------------

    def _check_claims(self, claims: JoinClaims) -> None:
        if claims.room_id != self.room_id:
            raise NotAllowed(detail="token for another room")

    def _emit(self, kind: EventKind, claims: JoinClaims | None, seat: _Seat | None = None) -> None:
        role = claims.role if claims else (seat.role if seat else None)
        person = claims.person_id if claims else (seat.person_id if seat else None)
        event = RoomEvent(self.room_id, kind, role, person, self._clock())
        try:
            self.hub.publish(event)
        except RuntimeError:  # no running loop: listeners cannot run, queues got it
            logger.debug("event %s published outside an event loop", kind)


class RoomRegistry:
    """The rooms currently known, by appointment id, sharing one :class:`EventHub`."""

    def __init__(self, timing: RoomTiming | None = None, clock: Clock = utc_now) -> None:
        self.timing = timing or RoomTiming()
        self.hub = EventHub()
        self._clock = clock
        self._rooms: dict[str, Room] = {}

    def open(self, room_id: str, starts_at: datetime, ends_at: datetime) -> Room:
        """Create (or return the existing) room of an appointment."""
        room = self._rooms.get(room_id)
        if room is None:
            room = Room(room_id, starts_at, ends_at, self.timing, self.hub, self._clock)
            self._rooms[room_id] = room
        return room

    def get(self, room_id: str) -> Room:
        """The room of ``room_id``; raises :class:`UnknownRoom`."""
        try:
            return self._rooms[room_id]
        except KeyError:
            raise UnknownRoom(detail=room_id) from None

    def forget(self, room_id: str) -> None:
        """Drop a room (after it ended and its peers are closed)."""
        self._rooms.pop(room_id, None)

    def ids(self) -> list[str]:
        """The ids of the known rooms."""
        return list(self._rooms)

    def __contains__(self, room_id: object) -> bool:
        return room_id in self._rooms

    def __len__(self) -> int:
        return len(self._rooms)
