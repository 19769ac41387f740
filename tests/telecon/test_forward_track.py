"""The forward track alone: keyframe gating, timestamp rebasing, overflow."""

from __future__ import annotations

import asyncio

from telecon.forward import ForwardTrack, is_vp8_keyframe

KEY = bytes([0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A])  # bit 0 clear: keyframe
INTER = bytes([0x31, 0x02, 0x00])  # bit 0 set: inter frame


def test_vp8_keyframe_bit() -> None:
    assert is_vp8_keyframe(KEY) and not is_vp8_keyframe(INTER) and not is_vp8_keyframe(b"")


def test_video_waits_for_a_keyframe_and_rebases() -> None:
    async def scenario() -> None:
        track = ForwardTrack("video")
        requests: list[int] = []
        track.keyframe_requester = lambda: requests.append(1)
        source_a, source_b = object(), object()
        track.push(source_a, KEY, 0)  # nobody reads yet: dropped
        receiving = asyncio.ensure_future(track.recv())
        await asyncio.sleep(0)
        assert requests == [1]  # the sender started: ask for a keyframe at once
        track.push(source_a, INTER, 3000)  # not decodable alone: dropped
        track.push(source_a, KEY, 6000)
        first = await receiving
        assert first.pts == 0 and bytes(first) == KEY
        track.push(source_a, INTER, 9000)
        assert (await track.recv()).pts == 3000
        # A new source (the participant reconnected) starts again at 0: the output goes on.
        track.push(source_b, INTER, 0)
        track.push(source_b, KEY, 0)
        track.push(source_b, INTER, 3000)
        assert [(await track.recv()).pts for _ in range(2)] == [6000, 9000]
        assert track.frames_dropped == 3
        track.stop()
        track.push(source_b, KEY, 6000)  # ignored once stopped
        assert track.frames_forwarded == 4

    asyncio.run(scenario())


def test_overflow_restarts_from_a_keyframe() -> None:
    async def scenario() -> None:
        track = ForwardTrack("video")
        track.keyframe_requester = lambda: None
        source = object()
        pending = asyncio.ensure_future(track.recv())
        await asyncio.sleep(0)
        track.push(source, KEY, 0)
        await pending
        for n in range(1, 70):  # the sender stalls
            track.push(source, INTER, n * 3000)
        assert track._queue.qsize() < 60
        track.push(source, INTER, 71 * 3000)  # still waiting for a keyframe
        track.push(source, KEY, 72 * 3000)
        packets = [await track.recv() for _ in range(track._queue.qsize())]
        assert bytes(packets[0]) == KEY

    asyncio.run(scenario())


def test_audio_needs_no_keyframe() -> None:
    async def scenario() -> None:
        track = ForwardTrack("audio")
        pending = asyncio.ensure_future(track.recv())
        await asyncio.sleep(0)
        track.push(object(), b"\xfc\xff\xfe", 960)
        packet = await pending
        assert packet.pts == 0 and packet.time_base.denominator == 48000

    asyncio.run(scenario())
