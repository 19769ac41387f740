"""Forwarding of encoded media between two peer connections, without decoding.

A :class:`ReceiverTap` takes the encoded frames that an ``RTCRtpReceiver`` re-assembles
(through :func:`telecon.seam.tap_receiver`) and pushes them into :class:`ForwardTrack`\\ s,
outgoing tracks whose ``recv()`` returns ``av.Packet``\\ s that aiortc's sender packs into
RTP without encoding. Both legs negotiate the same codecs (:data:`VIDEO_CODEC`,
:data:`AUDIO_CODEC`, see :func:`prefer_forwardable_codecs`).

Keyframes: a video track forwards nothing until it has seen a keyframe, so a late joiner
never gets undecodable frames; while it waits, and whenever its remote side sends a PLI
or FIR, it asks its source for a keyframe, and the tap sends a PLI upstream.

Timestamps are rebased when a track's source changes (a participant reconnects), so the
receiving browser sees one continuous stream.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import time
from collections.abc import Callable

import av
from aiortc import RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

from telecon import seam

logger = logging.getLogger(__name__)

VIDEO_MIME = "video/vp8"
AUDIO_MIME = "audio/opus"
CLOCK_RATES = {"video": 90000, "audio": 48000}
#: Timestamp step inserted when a source changes (one frame at 30 fps, 20 ms of audio).
_REBASE_STEP = {"video": 3000, "audio": 960}
_QUEUE_SIZE = {"video": 60, "audio": 50}
#: Minimum interval between two keyframe requests sent upstream for one track.
KEYFRAME_REQUEST_INTERVAL = 0.25


def is_vp8_keyframe(data: bytes) -> bool:
    """Whether a VP8 frame is a keyframe (RFC 6386 §9.1: bit 0 of the tag is 0)."""
    return bool(data) and data[0] & 0x01 == 0


def prefer_forwardable_codecs(transceiver: RTCRtpTransceiver) -> None:
    """Restrict ``transceiver`` to VP8 (+RTX) for video or Opus for audio."""
    kind = transceiver.kind
    capabilities = RTCRtpSender.getCapabilities(kind).codecs
    wanted = VIDEO_MIME if kind == "video" else AUDIO_MIME
    chosen = [c for c in capabilities if c.mimeType.lower() == wanted]
    if kind == "video":
        chosen += [c for c in capabilities if c.mimeType.lower() == "video/rtx"]
    transceiver.setCodecPreferences(chosen)


def forwardable_capabilities(kind: str) -> list[RTCRtpCodecCapability]:
    """The codec capabilities :func:`prefer_forwardable_codecs` keeps (for clients)."""
    wanted = VIDEO_MIME if kind == "video" else AUDIO_MIME
    return [
        c for c in RTCRtpSender.getCapabilities(kind).codecs if c.mimeType.lower() in (wanted, "video/rtx")
    ]


class ForwardTrack(MediaStreamTrack):
    """An outgoing track fed with encoded frames by :meth:`push`.

    Args:
        kind: ``"audio"`` or ``"video"``.
    """

    def __init__(self, kind: str) -> None:
        super().__init__()
        if kind not in CLOCK_RATES:
            raise ValueError(f"unknown kind {kind!r}")
        self.kind = kind
        self._time_base = fractions.Fraction(1, CLOCK_RATES[kind])
        self._queue: asyncio.Queue[av.Packet | None] = asyncio.Queue()
        self._max_queue = _QUEUE_SIZE[kind]
        self._reading = False
        self._need_keyframe = kind == "video"
        self._source: object | None = None
        self._rebase = True
        self._offset = 0
        self._last_pts: int | None = None
        self._last_request = 0.0
        #: Called to ask the current source for a keyframe (set by :func:`link`).
        self.keyframe_requester: Callable[[], None] | None = None
        #: The tap feeding this track (set by :func:`link`).
        self.source_tap: ReceiverTap | None = None
        #: Frames queued for sending, and frames dropped (no keyframe yet, overflow).
        self.frames_forwarded = 0
        self.frames_dropped = 0

    def push(self, source: object, data: bytes, timestamp: int) -> None:
        """Queue one encoded frame from ``source`` (its RTP timestamp, rebased to 0)."""
        if self.readyState != "live":
            return
        if not self._reading:  # the sender has not started: keep nothing
            self.frames_dropped += 1
            return
        if source is not self._source:
            self._source = source
            self._rebase = True
            self._need_keyframe = self.kind == "video"
        if self._need_keyframe:
            if not is_vp8_keyframe(data):
                self.frames_dropped += 1
                self.request_keyframe()
                return
            self._need_keyframe = False
        if self._rebase:
            start = 0 if self._last_pts is None else self._last_pts + _REBASE_STEP[self.kind]
            self._offset = start - timestamp
            self._rebase = False
        pts = timestamp + self._offset
        if self._queue.qsize() >= self._max_queue:  # the sender fell behind: start over
            self._drain()
            if self.kind == "video" and not is_vp8_keyframe(data):
                self._need_keyframe = True
                self.request_keyframe()
                return
        packet = av.Packet(data)
        packet.pts = pts
        packet.time_base = self._time_base
        self._last_pts = pts
        self.frames_forwarded += 1
        self._queue.put_nowait(packet)

    def request_keyframe(self, force: bool = False) -> None:
        """Ask the source for a keyframe (rate limited unless ``force``)."""
        if self.kind != "video" or self.keyframe_requester is None:
            return
        now = time.monotonic()
        if force or now - self._last_request >= KEYFRAME_REQUEST_INTERVAL:
            self._last_request = now
            self.keyframe_requester()

    def on_remote_keyframe_request(self) -> None:
        """The receiving browser sent a PLI/FIR: pass it upstream."""
        self.request_keyframe()

    async def recv(self) -> av.Packet:
        """The next encoded frame, as an ``av.Packet`` aiortc's sender packs."""
        if self.readyState != "live":
            raise MediaStreamError
        if not self._reading:
            self._reading = True
            self.request_keyframe(force=True)
        packet = await self._queue.get()
        if packet is None:
            raise MediaStreamError
        return packet

    def stop(self) -> None:
        """End the track and wake up a pending ``recv()``."""
        super().stop()
        self._drain()
        self._queue.put_nowait(None)

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
            self.frames_dropped += 1


class ReceiverTap:
    """Takes the encoded frames of one receiver and pushes them into forward tracks.

    Args:
        receiver: A receiver that has not started yet.
        kind: ``"audio"`` or ``"video"``.
    """

    def __init__(self, receiver: RTCRtpReceiver, kind: str) -> None:
        self.receiver = receiver
        self.kind = kind
        self.sinks: list[ForwardTrack] = []
        self.frames_received = 0
        self.keyframe_requests = 0
        self._wanted = VIDEO_MIME if kind == "video" else AUDIO_MIME
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        seam.tap_receiver(receiver, self._on_frame)

    def _on_frame(self, mime: str, data: bytes, timestamp: int) -> None:
        if mime != self._wanted:
            return
        self.frames_received += 1
        for sink in list(self.sinks):
            sink.push(self, data, timestamp)

    def request_keyframe(self) -> None:
        """Send a PLI to the browser sending this media (asynchronously)."""
        if self._closed or self.kind != "video":
            return
        self.keyframe_requests += 1
        task = asyncio.get_running_loop().create_task(self._send_pli())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_pli(self) -> None:
        try:
            await seam.request_keyframe(self.receiver)
        except Exception:  # the transport may be closing
            logger.debug("PLI not sent", exc_info=True)

    def close(self) -> None:
        """Stop forwarding; the sinks lose this source."""
        self._closed = True
        seam.untap_receiver(self.receiver)
        for sink in list(self.sinks):
            unlink(self, sink)
        for task in self._tasks:
            task.cancel()


def link(tap: ReceiverTap, track: ForwardTrack) -> None:
    """Forward ``tap``'s frames into ``track`` (idempotent); a track has one source."""
    if tap.kind != track.kind:
        raise ValueError("cannot forward between different kinds of media")
    previous = track.source_tap
    if previous is not None and previous is not tap:
        unlink(previous, track)
    if track not in tap.sinks:
        tap.sinks.append(track)
    track.source_tap = tap
    track.keyframe_requester = tap.request_keyframe
    track.request_keyframe(force=True)


def unlink(tap: ReceiverTap, track: ForwardTrack) -> None:
    """Stop forwarding ``tap``'s frames into ``track``."""
    if track in tap.sinks:
        tap.sinks.remove(track)
    if track.source_tap is tap:
        track.source_tap = None
        track.keyframe_requester = None


def watch_keyframe_requests(sender: RTCRtpSender, track: ForwardTrack) -> None:
    """Pass the PLI/FIR that ``sender``'s remote side sends on to ``track``'s source."""
    seam.on_keyframe_request(sender, track.on_remote_keyframe_request)
