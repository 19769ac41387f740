"""The seam to aiortc/aioice internals: fails loudly if an upgrade changes them."""

from __future__ import annotations

import asyncio
from importlib.metadata import version

import aioice.ice
import pytest
from aiortc import RTCPeerConnection

from telecon import seam
from telecon.config import IceConfig


def test_pinned_versions() -> None:
    assert version("aiortc") == seam.PINNED_AIORTC
    assert version("aioice") == seam.PINNED_AIOICE


def test_internals_still_there() -> None:
    seam.check_internals()


def test_host_addresses_are_scoped() -> None:
    with seam.host_addresses(["127.0.0.1"]):
        assert aioice.ice.get_host_addresses(True, True) == ["127.0.0.1"]
    outside = aioice.ice.get_host_addresses(True, False)
    assert "127.0.0.1" not in outside  # aioice's own discovery again
    with seam.host_addresses([]):
        assert aioice.ice.get_host_addresses(True, False) == outside


def test_scope_follows_tasks_only() -> None:
    async def gather_in(addresses: list[str] | None) -> list[str]:
        if addresses is None:
            return aioice.ice.get_host_addresses(True, False)
        with seam.host_addresses(addresses):
            await asyncio.sleep(0.01)
            return aioice.ice.get_host_addresses(True, False)

    async def scenario() -> tuple[list[str], ...]:
        return tuple(
            await asyncio.gather(gather_in(["127.0.0.1"]), gather_in(["127.0.0.2"]), gather_in(None))
        )

    first, second, plain = asyncio.run(scenario())
    assert (first, second) == (["127.0.0.1"], ["127.0.0.2"])
    assert "127.0.0.1" not in plain


def test_tap_refuses_a_started_receiver() -> None:
    async def scenario() -> None:
        pc = RTCPeerConnection(IceConfig.loopback().rtc_configuration())  # no STUN
        transceiver = pc.addTransceiver("video")
        seam.tap_receiver(transceiver.receiver, lambda *args: None)
        audio = pc.addTransceiver("audio")
        seam.tap_receiver(audio.receiver, lambda *args: None)
        assert audio.receiver._RTCRtpReceiver__jitter_buffer._prefetch == 0
        transceiver.receiver._RTCRtpReceiver__decoder_thread = object()
        with pytest.raises(seam.SeamBroken):
            seam.tap_receiver(transceiver.receiver, lambda *args: None)
        transceiver.receiver._RTCRtpReceiver__decoder_thread = None
        await pc.close()

    asyncio.run(scenario())


def test_check_internals_notices_a_change(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(aioice.ice, "get_host_addresses")
    with pytest.raises(seam.SeamBroken):
        seam.check_internals()


def test_checks_from_refused_addresses_are_dropped() -> None:
    async def scenario() -> None:
        pc = RTCPeerConnection(IceConfig.loopback().rtc_configuration())  # no STUN
        pc.addTransceiver("audio")
        (connection,) = seam.ice_connections(pc)
        seen: list[str] = []
        connection.request_received = lambda message, addr, protocol: seen.append(addr[0])
        seam.restrict_remote_addresses(connection, lambda address: address.startswith("127."))
        connection.request_received(None, ("10.0.0.7", 5000), None)
        connection.request_received(None, ("127.0.0.1", 5000), None)
        assert seen == ["127.0.0.1"]
        await pc.close()

    asyncio.run(scenario())
