"""Joins and leaves leave nothing behind: peers, tasks, threads, memory."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from datetime import timedelta

import pytest

from telecon.errors import RoomClosed
from telecon.loopback import LoopbackClient
from telecon.signalling import CLINICIAN_SIDE, PATIENT_SIDE
from telecon.tokens import JoinClaims

from .conftest import World
from .helpers import (
    join,
    media_objects,
    open_fds,
    other_tasks,
    rss_kib,
    threads,
    wait_for,
)

pytestmark = pytest.mark.slow


#: One round: signalling-level cycles (real offers, answers and server peer connections, no client
#: on the other end), then cycles with media flowing both ways.
SIGNALLING_CYCLES = 50
MEDIA_CYCLES = 3
#: RSS a round may add once warm: a leak grows with every round, while allocator arenas and caches
#: fill up during the warm-up round and stay filled (a warm round adds well under 2 MiB). A peer
#: connection kept alive holds some 270 KiB; a round may add 90 KiB per connection it opens.
ROUND_RSS_LIMIT_KIB = 90 * (2 * SIGNALLING_CYCLES + 4 * MEDIA_CYCLES)


def test_many_join_leave_cycles_leak_nothing(make_world: Callable[[], World],
                                            caplog: pytest.LogCaptureFixture) -> None:
    """A warm-up round, then two measured rounds of join/leave cycles: after each, no peer, task,
    thread, socket or aiortc/telecon object is left, and the second round adds no memory."""
    # pytest keeps every log record of a test until the test ends, and aioice's INFO records hold
    # its ICE connections in their arguments: once an earlier test has set the root logger to INFO
    # (Litestar's logging config does), those records alone would look like a leak.
    for library in ("aioice", "aiortc"):
        caplog.set_level(logging.WARNING, logger=library)

    async def settle(tasks: int, thread_count: int) -> None:
        await wait_for(lambda: other_tasks() <= tasks and threads() <= thread_count, 10.0)

    async def media_cycle(world: World, patient_claims: JoinClaims, clinician_claims: JoinClaims) -> None:
        sig = world.signalling
        clinician = LoopbackClient(320, decode=False)
        patient = LoopbackClient(320, decode=False)
        try:
            await join(sig, clinician, clinician_claims)
            await sig.check_in("a1", patient_claims)
            await sig.admit("a1", clinician_claims)
            await join(sig, patient, patient_claims)
            await wait_for(
                lambda: patient.received["video"].frames >= 3 and clinician.received["video"].frames >= 3
            )
            await sig.leave("a1", patient_claims)
            await sig.leave("a1", clinician_claims)
        finally:
            await patient.close()
            await clinician.close()

    async def scenario() -> None:
        world = make_world()
        sig = world.signalling
        patient_claims = world.claims("patient", "p1")
        clinician_claims = world.claims("clinician", "c1")
        offer_client = LoopbackClient(320, decode=False)
        offer = await offer_client.offer()
        await offer_client.close()
        del offer_client
        base_tasks, base_threads = other_tasks(), threads()

        async def one_round() -> None:
            for _ in range(SIGNALLING_CYCLES):
                await sig.check_in("a1", patient_claims)
                await sig.admit("a1", clinician_claims)
                await sig.handle_offer("a1", clinician_claims, offer)
                await sig.handle_offer("a1", patient_claims, offer)
                assert {p.key for p in sig.peers.in_room("a1")} == {PATIENT_SIDE, CLINICIAN_SIDE}
                await sig.leave("a1", patient_claims)
                await sig.leave("a1", clinician_claims)
                assert len(sig.peers) == 0
            for _ in range(MEDIA_CYCLES):
                await media_cycle(world, patient_claims, clinician_claims)
            await settle(base_tasks, base_threads)  # everything a round started has ended

        # Warm-up (codec libraries, caches, allocator arenas), then the baseline.
        await one_round()
        base_fds, base_objects = open_fds(), media_objects()
        rss = [rss_kib()]  # (after the collection media_objects() makes)
        for _ in range(2):
            await one_round()
            objects = media_objects()
            rss.append(rss_kib())
            assert len(sig.peers) == 0
            assert objects["aiortc.rtcpeerconnection.RTCPeerConnection"] == 0
            left = objects - base_objects
            assert not left, f"objects left behind by a round: {dict(left)}"
            assert other_tasks() <= base_tasks
            assert threads() <= base_threads
            assert open_fds() <= base_fds  # every UDP socket closed
        grown = [after - before for before, after in itertools.pairwise(rss)]
        print(f"tasks {other_tasks()}/{base_tasks} threads {threads()}/{base_threads} rss {rss} KiB")
        # The first measured round may still fill a cache; a leak grows the second one as much.
        assert grown[-1] < ROUND_RSS_LIMIT_KIB, f"RSS grew by {grown} KiB over two rounds"
        await sig.close()

    asyncio.run(scenario())


def test_window_end_and_shutdown_close_peers(make_world: Callable[[], World]) -> None:
    async def scenario() -> None:
        world = make_world()
        sig = world.signalling
        patient_claims = world.claims("patient", "p1")
        clinician_claims = world.claims("clinician", "c1")
        client = LoopbackClient(320, decode=False)
        offer = await client.offer()
        await client.close()
        await sig.handle_offer("a1", clinician_claims, offer)
        await sig.check_in("a1", patient_claims)
        await sig.admit("a1", clinician_claims)
        await sig.handle_offer("a1", patient_claims, offer)
        peers = sig.peers.in_room("a1")
        assert len(peers) == 2
        assert await sig.sweep() == 0  # still open
        world.clock.now += timedelta(hours=1)  # past the end + close_after
        assert await sig.sweep() == 1
        assert len(sig.peers) == 0 and "a1" not in sig.rooms
        assert all(p.closed and p.pc.connectionState == "closed" for p in peers)

        # Shutdown closes whatever is still open.
        sig.open_room("a2", world.clock.now, world.clock.now + timedelta(minutes=20))
        await sig.handle_offer("a2", world.claims("clinician", "c1", room="a2"), offer)
        peer = sig.peers.in_room("a2")[0]
        await sig.close()
        assert len(sig.peers) == 0 and peer.pc.connectionState == "closed"
        with pytest.raises(RoomClosed):
            await sig.handle_offer("a2", world.claims("clinician", "c1", room="a2"), offer)

    asyncio.run(scenario())
