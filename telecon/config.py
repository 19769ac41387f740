"""Settings of video consultations: ICE (STUN/TURN, addresses) and room timing.

Nothing here is read from the environment: the web layer builds these objects from its
settings. The defaults never contact a public server (no STUN unless configured).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import timedelta

from aiortc import RTCConfiguration, RTCIceServer

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class IceServer:
    """One STUN or TURN server, as in the browser's ``RTCIceServer``.

    Attributes:
        urls: e.g. ``("stun:stun.example.org:3478",)`` or ``("turn:turn.example.org",)``.
        username: TURN user name.
        credential: TURN password.
    """

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    def to_aiortc(self) -> RTCIceServer:
        """Return the aiortc equivalent."""
        return RTCIceServer(urls=list(self.urls), username=self.username, credential=self.credential)


@dataclass(frozen=True)
class IceConfig:
    """How the server's peer connections find their way (ICE).

    Attributes:
        servers: STUN/TURN servers. Empty by default: no public STUN server is used.
        host_addresses: Local addresses announced as host candidates. Empty means aioice's
            own discovery (every interface but loopback); tests use ``("127.0.0.1",)``.
        accepted_networks: Remote candidates outside these CIDR networks are dropped from
            incoming offers (``.local`` mDNS candidates are always dropped).
    """

    servers: tuple[IceServer, ...] = ()
    host_addresses: tuple[str, ...] = ()
    accepted_networks: tuple[str, ...] = ("0.0.0.0/0", "::/0")

    def __post_init__(self) -> None:
        for address in self.host_addresses:
            ipaddress.ip_address(address)  # ValueError if not an address
        self.networks()  # ValueError if a network is malformed

    @classmethod
    def loopback(cls) -> IceConfig:
        """Everything on 127.0.0.1: what the tests and the benchmark use."""
        return cls(host_addresses=("127.0.0.1",), accepted_networks=("127.0.0.0/8",))

    def networks(self) -> tuple[Network, ...]:
        """Parsed :attr:`accepted_networks`."""
        return tuple(ipaddress.ip_network(n, strict=False) for n in self.accepted_networks)

    def accepts(self, address: str) -> bool:
        """Whether a remote candidate address is in an accepted network."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False  # host names, mDNS names
        return any(ip.version == net.version and ip in net for net in self.networks())

    def rtc_configuration(self) -> RTCConfiguration:
        """An ``RTCConfiguration`` with an explicit (possibly empty) server list."""
        return RTCConfiguration(iceServers=[s.to_aiortc() for s in self.servers])


@dataclass(frozen=True)
class RoomTiming:
    """When a consultation room accepts joins, relative to its appointment.

    Attributes:
        open_before: The room opens this long before the appointment starts.
        close_after: The room closes this long after the appointment ends.
    """

    open_before: timedelta = timedelta(minutes=15)
    close_after: timedelta = timedelta(minutes=30)


@dataclass(frozen=True)
class TeleconConfig:
    """Everything telecon needs to know.

    Attributes:
        ice: ICE settings.
        timing: Room opening window.
        max_sdp_bytes: Larger offers are refused.
        max_chat_chars: Longer chat messages are dropped.
        echo_max_seconds: A connection test is closed after this long.
    """

    ice: IceConfig = field(default_factory=IceConfig)
    timing: RoomTiming = field(default_factory=RoomTiming)
    max_sdp_bytes: int = 16 * 1024
    max_chat_chars: int = 2000
    echo_max_seconds: float = 60.0
