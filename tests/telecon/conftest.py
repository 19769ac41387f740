"""Shared helpers of the telecon tests: a settable clock and a loopback-only server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from telecon.config import IceConfig, TeleconConfig
from telecon.signalling import Signalling
from telecon.tokens import JoinClaims, Role, issue_token

SECRET = b"telecon-test-secret-0123456789"
START = datetime(2026, 3, 29, 9, 0, tzinfo=UTC)  # the spring DST Sunday in Paris
END = START + timedelta(minutes=20)


@dataclass
class FakeClock:
    """A clock the test moves by hand."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    """A loopback server with one open room ``a1``."""

    clock: FakeClock
    signalling: Signalling

    def claims(self, role: Role | str, person: str, room: str = "a1") -> JoinClaims:
        token = issue_token(SECRET, room, role, person)
        return self.signalling.verify(token, room)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_world(clock: FakeClock) -> Callable[[], World]:
    """Build the server inside the test's event loop (aiortc objects need one)."""

    def build() -> World:
        config = TeleconConfig(ice=IceConfig.loopback(), echo_max_seconds=5.0)
        signalling = Signalling(config, SECRET, clock=clock)
        signalling.open_room("a1", START, END)
        return World(clock, signalling)

    return build
