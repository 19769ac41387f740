"""Cheap aiortc participants on 127.0.0.1, for the tests and the benchmark.

:class:`LoopbackClient` is a browser stand-in: it sends pre-encoded VP8 and Opus clips
(encoded once per process by :func:`vp8_clip` and :func:`opus_clip`, then replayed, so a
client costs almost no CPU) and counts what it receives, either by decoding it
(``decode=True``, proves the stream is valid) or by counting encoded frames through the
same receiver tap the server uses (cheap). It gathers candidates on 127.0.0.1 only and
uses no STUN server.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import functools
import math
import random
import time
from dataclasses import dataclass, field

import av
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from telecon import seam
from telecon.config import IceConfig
from telecon.forward import forwardable_capabilities, is_vp8_keyframe

LOOPBACK = "127.0.0.1"
VIDEO_FPS = 30
AUDIO_PTIME = 0.02


@functools.lru_cache(maxsize=8)
def vp8_clip(
    width: int = 640, height: int = 480, frames: int = 30, bitrate: int = 1_000_000
) -> tuple[bytes, ...]:
    """Encode ``frames`` synthetic VP8 frames (a keyframe, then inter frames only).

    The picture is a moving gradient with a noisy block, so frames have realistic sizes.
    """
    ctx = av.CodecContext.create("libvpx", "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
    ctx.time_base = fractions.Fraction(1, VIDEO_FPS)
    ctx.framerate = VIDEO_FPS
    ctx.bit_rate = bitrate
    ctx.gop_size = 100_000
    ctx.options = {"deadline": "realtime", "cpu-used": "16", "lag-in-frames": "0"}
    rng = random.Random(width * height)
    row = bytes(range(256)) * (width // 256 + 2)
    block_w, block_h = width // 4, height // 4
    out: list[bytes] = []
    for i in range(frames):
        frame = av.VideoFrame(width, height, "yuv420p")
        y = bytearray()
        for line in range(height):
            start = (i * 4 + line) % 256
            y += row[start : start + width]
        for line in range(block_h):
            offset = (line + height // 3) * width + width // 3
            y[offset : offset + block_w] = rng.randbytes(block_w)
        frame.planes[0].update(bytes(y))
        frame.planes[1].update(bytes([(i * 3) % 256]) * (width * height // 4))
        frame.planes[2].update(bytes([128]) * (width * height // 4))
        frame.pts = i
        frame.time_base = fractions.Fraction(1, VIDEO_FPS)
        out += [bytes(p) for p in ctx.encode(frame)]
    out += [bytes(p) for p in ctx.encode(None)]
    if not out or not is_vp8_keyframe(out[0]):
        raise RuntimeError("the VP8 clip does not start with a keyframe")
    return tuple(out)


@functools.lru_cache(maxsize=2)
def opus_clip(seconds: float = 1.0) -> tuple[bytes, ...]:
    """Encode a 440 Hz tone as 20 ms Opus packets (48 kHz stereo)."""
    ctx = av.CodecContext.create("libopus", "w")
    ctx.sample_rate = 48000
    ctx.layout = "stereo"
    ctx.format = "s16"
    ctx.bit_rate = 32000
    samples = int(48000 * AUDIO_PTIME)
    out: list[bytes] = []
    for n in range(int(seconds / AUDIO_PTIME)):
        pcm = bytearray()
        for s in range(samples):
            v = int(8000 * math.sin(2 * math.pi * 440 * (n * samples + s) / 48000))
            pcm += v.to_bytes(2, "little", signed=True) * 2
        frame = av.AudioFrame(format="s16", layout="stereo", samples=samples)
        frame.planes[0].update(bytes(pcm))
        frame.sample_rate = 48000
        frame.pts = n * samples
        out += [bytes(p) for p in ctx.encode(frame)]
    return tuple(out)


class ReplayTrack(MediaStreamTrack):
    """Replays encoded frames in a loop at the real-time pace, as ``av.Packet``\\ s.

    A keyframe request (:meth:`restart`) rewinds to the clip's first frame (a keyframe).
    """

    def __init__(self, kind: str, frames: tuple[bytes, ...]) -> None:
        super().__init__()
        self.kind = kind
        self._frames = frames
        self._index = 0
        self._count = 0
        self._interval = 1 / VIDEO_FPS if kind == "video" else AUDIO_PTIME
        self._step = 90000 // VIDEO_FPS if kind == "video" else int(48000 * AUDIO_PTIME)
        self._time_base = fractions.Fraction(1, 90000 if kind == "video" else 48000)
        self._start: float | None = None
        self.keyframe_requests = 0

    def restart(self) -> None:
        """Send the keyframe next (the remote side asked for one)."""
        self.keyframe_requests += 1
        self._index = 0

    async def recv(self) -> av.Packet:
        """The next frame, when it is due."""
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._start is None:
            self._start = now
        due = self._start + self._count * self._interval
        if due > now:
            await asyncio.sleep(due - now)
        elif now - due > 1.0:  # far behind (suspended): do not burst
            self._start = now - self._count * self._interval
        packet = av.Packet(self._frames[self._index])
        packet.pts = self._count * self._step
        packet.time_base = self._time_base
        self._count += 1
        self._index = (self._index + 1) % len(self._frames)
        if self._index == 0 and self.kind == "video":
            self._index = 1  # loop over the inter frames only (needs an explicit PLI)
        return packet


@dataclass
class Received:
    """What a client received on one kind of media."""

    frames: int = 0
    keyframes: int = 0
    first_at: float | None = None
    last_at: float | None = None
    sizes: set[tuple[int, int]] = field(default_factory=set)
    times: list[float] = field(default_factory=list)

    def add(self, keyframe: bool = False, size: tuple[int, int] | None = None) -> None:
        """Count one frame."""
        now = time.monotonic()
        self.frames += 1
        self.keyframes += keyframe
        if self.first_at is None:
            self.first_at = now
        self.last_at = now
        self.times.append(now)
        if len(self.times) > 2000:
            del self.times[:1000]
        if size is not None:
            self.sizes.add(size)

    def rate(self, window: float = 2.0) -> float:
        """Frames per second over the last ``window`` seconds."""
        cutoff = time.monotonic() - window
        return sum(1 for t in self.times if t >= cutoff) / window


class LoopbackClient:
    """An aiortc participant constrained to 127.0.0.1.

    Args:
        width: Width of the video it sends (height is 3/4 of it).
        decode: Decode received media (else count encoded frames).
        send_video: Whether to send video (else only receive it, as a browser should).
        send_audio: Whether to send audio (else only receive it).
    """

    def __init__(
        self,
        width: int = 640,
        decode: bool = True,
        send_video: bool = True,
        send_audio: bool = True,
    ) -> None:
        self.pc = RTCPeerConnection(IceConfig.loopback().rtc_configuration())
        self.decode = decode
        self.received = {"audio": Received(), "video": Received()}
        self.messages: list[str] = []
        self.video: ReplayTrack | None = None
        self.audio: ReplayTrack | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        if send_audio:
            self.audio = ReplayTrack("audio", opus_clip())
        if send_video:
            self.video = ReplayTrack("video", vp8_clip(width, width * 3 // 4))
        # Like a browser without camera or microphone: still receive that kind.
        self._add("audio", self.audio)
        self._add("video", self.video)
        self.channel = self.pc.createDataChannel("chat")
        self.channel.on("message", self._on_message)
        self.pc.on("track", self._on_track)

    def _add(self, kind: str, track: ReplayTrack | None) -> None:
        direction = "sendrecv" if track is not None else "recvonly"
        transceiver = self.pc.addTransceiver(track or kind, direction=direction)
        transceiver.setCodecPreferences(forwardable_capabilities(kind))
        if track is not None and kind == "video":
            seam.on_keyframe_request(transceiver.sender, track.restart)
        if not self.decode:
            seam.tap_receiver(
                transceiver.receiver,
                lambda mime, data, ts: self.received[kind].add(
                    keyframe=kind == "video" and is_vp8_keyframe(data)
                ),
            )

    def _on_message(self, message: object) -> None:
        if isinstance(message, str):
            self.messages.append(message)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if self.decode:
            task = asyncio.ensure_future(self._consume(track))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _consume(self, track: MediaStreamTrack) -> None:
        counter = self.received[track.kind]
        with contextlib.suppress(MediaStreamError):
            while True:
                frame = await track.recv()
                size = (frame.width, frame.height) if isinstance(frame, av.VideoFrame) else None
                counter.add(size=size)

    async def offer(self) -> str:
        """Create a complete offer (all candidates gathered, on 127.0.0.1 only)."""
        offer = await self.pc.createOffer()
        with seam.host_addresses([LOOPBACK]):
            await self.pc.setLocalDescription(offer)
        return self.pc.localDescription.sdp

    async def accept(self, answer: str) -> None:
        """Apply the server's answer."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    async def wait_connected(self, timeout: float = 10.0) -> None:
        """Wait until the connection is established."""
        deadline = time.monotonic() + timeout
        while self.pc.connectionState != "connected":
            if time.monotonic() > deadline or self.pc.connectionState in ("failed", "closed"):
                raise TimeoutError(f"connection state {self.pc.connectionState}")
            await asyncio.sleep(0.02)

    async def close(self) -> None:
        """Close the connection and stop consuming."""
        await self.pc.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
