"""The server's peer connections, by room and participant, and their closing.

One :class:`Peer` per participant key in a room (``patient``, ``clinician``, or
``echo:<person>`` for a connection test). Adding a peer under a key already held closes
the previous one (a participant rejoining). Peers close when their participant leaves,
when the room ends or is cancelled, when their connection fails, and on shutdown
(:meth:`PeerRegistry.close_all`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from aiortc import RTCDataChannel, RTCPeerConnection

from telecon.forward import ForwardTrack, ReceiverTap

logger = logging.getLogger(__name__)

PeerKey = tuple[str, str]


@dataclass(eq=False)
class Peer:
    """One server-side peer connection and the media plumbing around it.

    Attributes:
        room_id: The room.
        key: Participant key within the room.
        person_id: Who holds the connection.
        pc: The connection.
        taps: Incoming media taps, by kind.
        tracks: Outgoing forward tracks, by kind.
        channel: The chat data channel, once the browser opened one.
    """

    room_id: str
    key: str
    person_id: str
    pc: RTCPeerConnection
    taps: dict[str, ReceiverTap] = field(default_factory=dict)
    tracks: dict[str, ForwardTrack] = field(default_factory=dict)
    channel: RTCDataChannel | None = None
    created_at: float = field(default_factory=time.monotonic)
    timer: asyncio.TimerHandle | None = None
    closed: bool = False

    async def close(self) -> None:
        """Stop forwarding and close the connection (idempotent)."""
        if self.closed:
            return
        self.closed = True
        if self.timer is not None:
            self.timer.cancel()
        for tap in self.taps.values():
            tap.close()
        for track in self.tracks.values():
            track.stop()
        self.channel = None
        try:
            await self.pc.close()
        except Exception:
            logger.exception("closing peer %s/%s failed", self.room_id, self.key)


class PeerRegistry:
    """Every live :class:`Peer`, by ``(room_id, key)``."""

    def __init__(self) -> None:
        self._peers: dict[PeerKey, Peer] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._peers)

    def get(self, room_id: str, key: str) -> Peer | None:
        """The peer under ``key`` in ``room_id``, if any."""
        return self._peers.get((room_id, key))

    def in_room(self, room_id: str) -> list[Peer]:
        """The peers of one room."""
        return [p for (r, _), p in self._peers.items() if r == room_id]

    async def add(self, peer: Peer) -> None:
        """Register ``peer``, closing the one it replaces."""
        old = self._peers.get((peer.room_id, peer.key))
        self._peers[(peer.room_id, peer.key)] = peer

        @peer.pc.on("connectionstatechange")
        def _on_state() -> None:
            if peer.pc.connectionState in ("failed", "closed") and not peer.closed:
                self.spawn(self.discard(peer))

        if old is not None and old is not peer:
            await old.close()

    async def discard(self, peer: Peer) -> None:
        """Close ``peer`` and forget it if it is still registered."""
        if self._peers.get((peer.room_id, peer.key)) is peer:
            del self._peers[(peer.room_id, peer.key)]
        await peer.close()

    async def close(self, room_id: str, key: str) -> bool:
        """Close the peer under ``key``; returns whether there was one."""
        peer = self._peers.pop((room_id, key), None)
        if peer is None:
            return False
        await peer.close()
        return True

    async def close_room(self, room_id: str) -> int:
        """Close every peer of a room; returns how many."""
        peers = [self._peers.pop((p.room_id, p.key)) for p in self.in_room(room_id)]
        await asyncio.gather(*(p.close() for p in peers))
        return len(peers)

    async def close_all(self) -> None:
        """Close everything (application shutdown)."""
        peers = list(self._peers.values())
        self._peers.clear()
        await asyncio.gather(*(p.close() for p in peers))
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` as a task that :meth:`close_all` waits for."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
