"""One :class:`telecon.signalling.Signalling` per app process, built from the settings.

Created on startup (:func:`start_video`), swept every 30 s, closed on shutdown
(:func:`stop_video`). Room events are forwarded to Litestar channels so the clinician's
waiting room updates live: the channel of a clinician is :func:`waiting_room_channel`.

Rooms live in the process: with several workers, ``creneau serve`` runs one video process and the
web workers forward the video requests to it (:mod:`web.video_proxy`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from litestar import Litestar
from litestar.channels import ChannelsPlugin

from planner.errors import ConfigError
from planner.settings import Settings
from planner.video import VideoAppointment
from telecon.config import IceConfig, IceServer, RoomTiming, TeleconConfig
from telecon.rooms import EventKind, RoomEvent
from telecon.signalling import Signalling
from web.waiting_room import WaitingRoomEvent, channel_name, publish

logger = logging.getLogger("creneau.video")

SWEEP_SECONDS = 30.0


def join_secret(signing_key: bytes) -> bytes:
    """The key of join tokens, derived from the server's signing key (kept apart from links)."""
    return hmac.new(signing_key, b"creneau-video-join-token", hashlib.sha256).digest()


def waiting_room_channel(staff_id: int | str) -> str:
    """The channel a clinician's waiting room listens to (contract in :mod:`web.waiting_room`)."""
    return channel_name(int(staff_id))


#: Room events that take the patient out of the waiting list.
_OUT_OF_WAITING = {EventKind.ADMITTED, EventKind.LEFT, EventKind.ENDED, EventKind.CANCELLED}


@dataclass(frozen=True)
class RoomInfo:
    """What the waiting room shows of a room: its clinician, patient and start time."""

    staff_id: int
    patient_label: str
    at_label: str


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def ice_servers_of(settings: Settings) -> tuple[IceServer, ...]:
    """``CRENEAU_ICE_SERVERS`` (+ TURN user name and password) as telecon servers."""
    text = settings.ice_servers.strip()
    if not text:
        return ()
    entries: list[object]
    if text.startswith("["):
        try:
            entries = json.loads(text)
        except ValueError:
            raise ConfigError("CRENEAU_ICE_SERVERS is not valid JSON.") from None
    else:
        entries = list(_split(text))
    servers: list[IceServer] = []
    for entry in entries:
        if isinstance(entry, str):
            urls, username, credential = (entry,), None, None
        elif isinstance(entry, dict) and entry.get("urls"):
            raw = entry["urls"]
            urls = (raw,) if isinstance(raw, str) else tuple(str(u) for u in raw)
            username, credential = entry.get("username"), entry.get("credential")
        else:
            raise ConfigError("CRENEAU_ICE_SERVERS: each entry is a URL or an object with urls.")
        for url in urls:
            if not url.startswith(("stun:", "turn:", "turns:")):
                raise ConfigError(f"CRENEAU_ICE_SERVERS: {url!r} is not a stun: or turn: URL.")
        if any(u.startswith(("turn:", "turns:")) for u in urls):
            username = username or settings.ice_username
            credential = credential or settings.ice_credential
        servers.append(IceServer(urls=urls, username=username, credential=credential))
    return tuple(servers)


def telecon_config(settings: Settings) -> TeleconConfig:
    """The telecon settings read from ``CRENEAU_ICE_*`` and ``CRENEAU_VIDEO_*``."""
    try:
        ice = IceConfig(servers=ice_servers_of(settings),
                        host_addresses=tuple(_split(settings.ice_host_addresses)),
                        accepted_networks=tuple(_split(settings.ice_accept_networks)))
    except ValueError as exc:
        raise ConfigError(f"CRENEAU_ICE_HOST_ADDRESSES or CRENEAU_ICE_ACCEPT_NETWORKS: {exc}.") from None
    timing = RoomTiming(open_before=timedelta(minutes=settings.video_open_before_minutes),
                        close_after=timedelta(minutes=settings.video_close_after_minutes))
    return TeleconConfig(ice=ice, timing=timing)


def browser_ice_servers(config: TeleconConfig) -> list[dict[str, object]]:
    """The ``iceServers`` the pages give to ``RTCPeerConnection`` (empty unless configured)."""
    servers: list[dict[str, object]] = []
    for server in config.ice.servers:
        item: dict[str, object] = {"urls": list(server.urls)}
        if server.username:
            item["username"] = server.username
        if server.credential:
            item["credential"] = server.credential
        servers.append(item)
    return servers


@dataclass
class VideoRuntime:
    """The process's signalling, the clinician of each open room, and the sweeper task."""

    signalling: Signalling
    token_ttl_seconds: int
    channels: ChannelsPlugin | None = None
    rooms: dict[str, RoomInfo] = field(default_factory=dict)
    _sweeper: asyncio.Task[None] | None = None
    _unsubscribe: object = None

    def open(self, appointment: VideoAppointment) -> str:
        """Make the appointment's room known; returns the room id."""
        room_id = str(appointment.id)
        self.signalling.open_room(room_id, appointment.starts_at, appointment.ends_at)
        start = appointment.starts_at.astimezone(ZoneInfo(appointment.timezone)).strftime("%H:%M")
        self.rooms[room_id] = RoomInfo(appointment.staff_id, appointment.patient_name, start)
        return room_id

    async def forward(self, event: RoomEvent) -> None:
        """Publish a patient's arrival or departure on the clinician's waiting-room channel."""
        info = self.rooms.get(event.room_id)
        if info is None or self.channels is None or not event.room_id.isdigit():
            return
        if event.role is not None and not event.role.patient_side:
            return  # the clinician's own comings and goings
        if event.kind is EventKind.CHECKED_IN:
            message = WaitingRoomEvent("checked_in", int(event.room_id), info.patient_label, info.at_label)
        elif event.kind in _OUT_OF_WAITING:
            message = WaitingRoomEvent("left", int(event.room_id))
        else:
            return
        publish(self.channels, info.staff_id, message)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                swept = await self.signalling.sweep()
                for room_id in list(self.rooms):
                    if room_id not in self.signalling.rooms:
                        self.rooms.pop(room_id, None)
                if swept:
                    logger.info("closed %d consultation rooms past their window", swept)
            except Exception:
                logger.exception("sweeping consultation rooms failed")

    def start(self) -> None:
        """Forward events and start sweeping (inside the running loop)."""
        self._unsubscribe = self.signalling.events.add_listener(self.forward)
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def stop(self) -> None:
        """Stop sweeping and close every peer connection."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await self.signalling.close()


def build_runtime(settings: Settings) -> VideoRuntime:
    """A runtime for ``settings`` (not started)."""
    signalling = Signalling(telecon_config(settings), join_secret(settings.signing_key()))
    return VideoRuntime(signalling=signalling, token_ttl_seconds=settings.video_token_minutes * 60)


async def start_video(app: Litestar) -> None:
    """Startup hook: one signalling per process, events forwarded to channels."""
    runtime = build_runtime(app.state.settings)
    with contextlib.suppress(KeyError):
        runtime.channels = app.plugins.get(ChannelsPlugin)
    runtime.start()
    app.state.video = runtime


async def stop_video(app: Litestar) -> None:
    """Shutdown hook: close every peer connection."""
    runtime: VideoRuntime | None = getattr(app.state, "video", None)
    if runtime is not None:
        await runtime.stop()
