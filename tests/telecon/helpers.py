"""Async helpers of the media tests."""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import os
import threading
import time
from collections import Counter
from collections.abc import Callable

from telecon.loopback import LoopbackClient
from telecon.sdp import candidate_addresses
from telecon.signalling import Signalling
from telecon.tokens import JoinClaims

SEEN_SDP: list[str] = []
MEDIA_PACKAGES = ("aiortc", "aioice", "telecon")


def assert_loopback_only(sdp: str) -> None:
    """Every candidate (and connection) address of ``sdp`` is in 127.0.0.0/8 or unspecified."""
    loopback = ipaddress.ip_network("127.0.0.0/8")
    addresses = candidate_addresses(sdp)
    assert addresses, "no candidate at all"
    for address in addresses:
        parsed = ipaddress.ip_address(address)
        assert parsed.is_unspecified or parsed in loopback, address


async def join(signalling: Signalling, client: LoopbackClient, claims: JoinClaims) -> str:
    """POST the client's offer, apply the answer; both checked to stay on loopback."""
    offer = await client.offer()
    assert_loopback_only(offer)
    answer = await signalling.handle_offer(claims.room_id, claims, offer, "offer")
    assert_loopback_only(answer)
    SEEN_SDP.extend((offer, answer))
    await client.accept(answer)
    return answer


async def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> float:
    """Wait until ``predicate()``; returns the seconds it took."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)
    return time.monotonic() - start


def media_objects() -> Counter[str]:
    """Live instances of aiortc's, aioice's and telecon's classes, by class (after a collection).

    Peer connections, transports, tracks, taps, channels, rooms: whatever a join leaves behind.
    """
    gc.collect()
    found: Counter[str] = Counter()
    for kind in map(type, gc.get_objects()):
        module = kind.__module__
        if isinstance(module, str) and module.partition(".")[0] in MEDIA_PACKAGES:
            found[f"{module}.{kind.__qualname__}"] += 1
    return found


def other_tasks() -> int:
    """asyncio tasks other than the current one."""
    return len(asyncio.all_tasks() - {asyncio.current_task()})


def threads() -> int:
    """Live threads that are not thread-pool workers (those are reused, not leaked)."""
    return sum(1 for t in threading.enumerate() if not t.name.startswith(("ThreadPoolExecutor", "asyncio")))


def rss_kib() -> int:
    """Resident set size of this process."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def open_fds() -> int:
    """File descriptors open in this process (sockets included)."""
    return len(os.listdir("/proc/self/fd"))
