"""Two aiortc participants through the server on 127.0.0.1: forwarding, waiting room, rejoin.

The patient sends 640x480 video, the clinician 320x240, so the size of a decoded frame
tells which way it travelled.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest

from telecon.config import IceConfig, TeleconConfig
from telecon.errors import NotAdmitted, NotAllowed, RoomClosed, TokenError
from telecon.loopback import LoopbackClient
from telecon.sdp import candidate_addresses
from telecon.signalling import PATIENT_SIDE, Signalling
from telecon.tokens import issue_token

from .conftest import END, SECRET, START, FakeClock, World
from .helpers import join, wait_for

pytestmark = pytest.mark.slow

PATIENT_SIZE = (640, 480)
CLINICIAN_SIZE = (320, 240)


def test_call_after_admission_only(make_world: Callable[[], World]) -> None:
    async def scenario() -> None:
        world = make_world()
        sig = world.signalling
        patient_claims = world.claims("patient", "p1")
        clinician_claims = world.claims("clinician", "c1")
        patient = LoopbackClient(PATIENT_SIZE[0])
        clinician = LoopbackClient(CLINICIAN_SIZE[0])
        try:
            async with sig.events.subscribe("a1") as events:
                # The patient's offer only checks them in: no answer, no connection.
                first_offer = await patient.offer()
                with pytest.raises(NotAdmitted):
                    await sig.handle_offer("a1", patient_claims, first_offer)
                assert sig.peers.get("a1", PATIENT_SIDE) is None
                await join(sig, clinician, clinician_claims)
                await clinician.wait_connected()
                with pytest.raises(NotAllowed):
                    await sig.admit("a1", patient_claims)
                await asyncio.sleep(0.5)
                assert clinician.received["video"].frames == 0
                assert clinician.received["audio"].frames == 0
                assert patient.pc.remoteDescription is None

                await sig.admit("a1", clinician_claims)
                kinds = [events.get_nowait().kind.value for _ in range(events.qsize())]
                assert kinds == ["checked_in", "clinician_joined", "admitted"]

                patient2 = LoopbackClient(PATIENT_SIZE[0])  # the page posts a fresh offer
                await patient.close()
                patient = patient2
                await join(sig, patient, patient_claims)
                await patient.wait_connected()
                await wait_for(
                    lambda: (
                        patient.received["video"].frames >= 10 and clinician.received["video"].frames >= 10
                    )
                )
                await wait_for(
                    lambda: (
                        patient.received["audio"].frames >= 10 and clinician.received["audio"].frames >= 10
                    )
                )
                assert patient.received["video"].sizes == {CLINICIAN_SIZE}
                assert clinician.received["video"].sizes == {PATIENT_SIZE}

                # Chat goes across, and is not echoed back.
                await wait_for(lambda: patient.channel.readyState == "open")
                patient.channel.send("bonjour")
                clinician.channel.send("entrez")
                await wait_for(lambda: clinician.messages == ["bonjour"] and patient.messages == ["entrez"])

                # Both ways reach 20 frames a second over a whole second, within 5 s (under the
                # full suite's load the frames once started late: 24 in the last 1.3 s of one).
                await wait_for(lambda: clinician.received["video"].rate(1.0) >= 20
                               and patient.received["video"].rate(1.0) >= 20, timeout=5.0)

                await sig.end("a1", clinician_claims)
                assert len(sig.peers) == 0
                assert events.get_nowait().kind.value == "ended"
                with pytest.raises(RoomClosed):
                    await sig.handle_offer("a1", patient_claims, first_offer)
        finally:
            await patient.close()
            await clinician.close()
            await sig.close()

    asyncio.run(scenario())


def test_rejoin_gets_a_keyframe_at_once(make_world: Callable[[], World]) -> None:
    """Reconnecting replaces the old connection; PLIs go upstream; pictures resume."""

    async def scenario() -> None:
        world = make_world()
        sig = world.signalling
        patient_claims = world.claims("patient", "p1")
        clinician_claims = world.claims("clinician", "c1")
        clinician = LoopbackClient(CLINICIAN_SIZE[0], decode=False)
        patient = LoopbackClient(PATIENT_SIZE[0], decode=False)
        rejoined = LoopbackClient(PATIENT_SIZE[0], decode=False)
        try:
            await join(sig, clinician, clinician_claims)
            await sig.check_in("a1", patient_claims)
            await sig.admit("a1", clinician_claims)
            await join(sig, patient, patient_claims)
            await wait_for(
                lambda: clinician.received["video"].frames >= 15 and patient.received["video"].frames >= 15
            )
            # Nothing is decoded: no receiver in this process kept a decoder thread.
            assert not [t.name for t in threading.enumerate() if t.name.endswith("-decoder")]
            old_peer = sig.peers.get("a1", PATIENT_SIDE)
            assert old_peer is not None
            clinician_requests = clinician.video.keyframe_requests if clinician.video else 0
            before = clinician.received["video"].frames
            keyframes_before = clinician.received["video"].keyframes

            # The patient's page reloads: a new connection for the same participant.
            await join(sig, rejoined, patient_claims)
            assert old_peer.closed and sig.peers.get("a1", PATIENT_SIDE) is not old_peer
            assert len(sig.peers) == 2
            # The late joiner gets a keyframe quickly: the server sent a PLI upstream.
            took = await wait_for(lambda: rejoined.received["video"].keyframes >= 1, 3.0)
            assert took < 1.5
            assert clinician.video is not None
            assert clinician.video.keyframe_requests > clinician_requests
            await wait_for(lambda: rejoined.received["video"].frames >= 15)
            # And the clinician sees the rejoined patient from a keyframe on.
            await wait_for(lambda: clinician.received["video"].keyframes > keyframes_before)
            await wait_for(lambda: clinician.received["video"].frames >= before + 15)
            await wait_for(lambda: rejoined.received["audio"].frames >= 10)
        finally:
            for client in (patient, rejoined, clinician):
                await client.close()
            await sig.close()

    asyncio.run(scenario())


def test_echo_connection_test(make_world: Callable[[], World]) -> None:
    async def scenario() -> None:
        world = make_world()
        sig = world.signalling
        claims = world.claims("patient", "p1")
        client = LoopbackClient(PATIENT_SIZE[0])
        try:
            offer = await client.offer()
            await client.accept(await sig.echo_offer("a1", claims, offer))
            await wait_for(
                lambda: client.received["video"].frames >= 10 and client.received["audio"].frames >= 10
            )
            assert client.received["video"].sizes == {PATIENT_SIZE}
            await wait_for(lambda: client.channel.readyState == "open")
            client.channel.send("ping")
            await wait_for(lambda: client.messages == ["ping"])
            # The echo does not make the patient admitted nor reach the room's sides.
            assert sig.peers.get("a1", PATIENT_SIDE) is None
            await sig.leave("a1", claims)
            assert len(sig.peers) == 0
        finally:
            await client.close()
            await sig.close()

    asyncio.run(scenario())


def test_refusals_with_real_offers(make_world: Callable[[], World]) -> None:
    async def scenario() -> None:
        world = make_world()
        sig = world.signalling
        client = LoopbackClient(CLINICIAN_SIZE[0], send_video=False)
        try:
            offer = await client.offer()
            clinician = world.claims("clinician", "c1")
            with pytest.raises(TokenError):  # claims of another room
                await sig.handle_offer("a1", world.claims("clinician", "c1", room="b2"), offer)
            with pytest.raises(TokenError):
                sig.verify(None, "a1")
            with pytest.raises(TokenError):
                sig.verify("garbage.token", "a1")
            no_fp = "\r\n".join(x for x in offer.split("\r\n") if "fingerprint" not in x)
            with pytest.raises(Exception) as info:
                await sig.handle_offer("a1", clinician, no_fp)
            assert getattr(info.value, "reason", "") == "no_fingerprint"
            with pytest.raises(Exception) as info:
                await sig.handle_offer("a1", clinician, offer + "a=x:" + "y" * 20_000 + "\r\n")
            assert getattr(info.value, "reason", "") == "too_large"
            world.clock.now = world.clock.now.replace(hour=5)
            with pytest.raises(RoomClosed) as closed:
                await sig.handle_offer("a1", clinician, offer)
            assert closed.value.reason == "not_open_yet"
            world.clock.now = world.clock.now.replace(hour=9)
            await sig.cancel("a1")
            with pytest.raises(RoomClosed) as closed:
                await sig.handle_offer("a1", clinician, offer)
            assert closed.value.reason == "cancelled"
            assert len(sig.peers) == 0
        finally:
            await client.close()
            await sig.close()

    asyncio.run(scenario())


def test_refused_network_never_connects(clock: FakeClock) -> None:
    """A server accepting only 127.0.0.2 ignores the candidates and checks of 127.0.0.1."""

    async def scenario() -> None:
        ice = IceConfig(host_addresses=("127.0.0.1",), accepted_networks=("127.0.0.2/32",))
        sig = Signalling(TeleconConfig(ice=ice), SECRET, clock=clock)
        sig.open_room("a1", START, END)
        claims = sig.verify(issue_token(SECRET, "a1", "clinician", "c1"), "a1")
        client = LoopbackClient(CLINICIAN_SIZE[0], send_video=False, decode=False)
        try:
            offer = await client.offer()
            answer = await sig.handle_offer("a1", claims, offer)
            assert "127.0.0.1" in candidate_addresses(offer)
            await client.accept(answer)
            with pytest.raises(TimeoutError):
                await client.wait_connected(timeout=1.5)
            (peer,) = sig.peers.in_room("a1")
            assert peer.pc.iceConnectionState != "completed"
        finally:
            await client.close()
            await sig.close()

    asyncio.run(scenario())


def test_participant_without_camera(make_world: Callable[[], World]) -> None:
    """A receive-only video section (no camera) still gets the other side's video."""

    async def scenario() -> None:
        world = make_world()
        sig = world.signalling
        clinician = LoopbackClient(CLINICIAN_SIZE[0], decode=False)
        patient = LoopbackClient(PATIENT_SIZE[0], decode=False, send_video=False)
        try:
            await join(sig, clinician, world.claims("clinician", "c1"))
            await sig.check_in("a1", world.claims("pharmacist", "ph1"))
            await sig.admit("a1", world.claims("clinician", "c1"))
            await join(sig, patient, world.claims("pharmacist", "ph1"))
            await wait_for(
                lambda: clinician.received["audio"].frames >= 10 and patient.received["audio"].frames >= 10
            )
            await wait_for(lambda: patient.received["video"].frames >= 10)
            assert clinician.received["video"].frames == 0
        finally:
            await patient.close()
            await clinician.close()
            await sig.close()

    asyncio.run(scenario())
