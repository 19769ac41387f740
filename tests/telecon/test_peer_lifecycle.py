"""Joins and leaves leave nothing behind: peers, tasks, threads, memory."""

from __future__ import annotations

import asyncio
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
    live_peer_connections,
    open_fds,
    other_tasks,
    rss_kib,
    threads,
    wait_for,
)

pytestmark = pytest.mark.slow


def test_many_join_leave_cycles_leak_nothing(make_world: Callable[[], World]) -> None:
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
        # Warm up (codec libraries, caches), then take the baseline.
        await media_cycle(world, patient_claims, clinician_claims)
        await asyncio.sleep(0.3)
        base_tasks, base_threads = other_tasks(), threads()
        base_rss, base_fds = rss_kib(), open_fds()

        # 100 signalling-level cycles: real offers, answers and server peer
        # connections, but no client on the other end.
        offer_client = LoopbackClient(320, decode=False)
        offer = await offer_client.offer()
        await offer_client.close()
        del offer_client
        for _ in range(100):
            await sig.check_in("a1", patient_claims)
            await sig.admit("a1", clinician_claims)
            await sig.handle_offer("a1", clinician_claims, offer)
            await sig.handle_offer("a1", patient_claims, offer)
            assert {p.key for p in sig.peers.in_room("a1")} == {PATIENT_SIDE, CLINICIAN_SIDE}
            await sig.leave("a1", patient_claims)
            await sig.leave("a1", clinician_claims)
            assert len(sig.peers) == 0
        await settle(base_tasks, base_threads)

        # ~10 cycles with media flowing both ways.
        for _ in range(10):
            await media_cycle(world, patient_claims, clinician_claims)
        await settle(base_tasks, base_threads)

        assert len(sig.peers) == 0
        assert live_peer_connections() == 0
        assert other_tasks() <= base_tasks
        assert threads() <= base_threads
        assert open_fds() <= base_fds  # every UDP socket closed
        grown = rss_kib() - base_rss
        print(f"tasks {other_tasks()}/{base_tasks} threads {threads()}/{base_threads} rss +{grown} KiB")
        assert grown < 30_000, f"RSS grew by {grown} KiB"
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
