"""Shared by the booking tests: the demo centre with slots, a fixed clock, a real SMTP server."""

from __future__ import annotations

import datetime as dt
import functools
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from planner.booking.identity import PatientDetails
from planner.booking.manage_links import Links
from planner.booking.slots import generate_slots
from planner.database import make_engine, session_scope
from planner.demo import load_demo
from planner.migrate import upgrade
from tests.conftest import DEMO_TODAY, prepared_engine
from tests.support.databases import sqlite_copy

#: Monday 23 November 2026, 07:00 in Lyon: the moment the booking tests happen.
NOW = dt.datetime(2026, 11, 23, 6, 0, tzinfo=dt.UTC)
LINKS = Links(key=b"test-secret-key-0123456789", base_url="http://127.0.0.1")
JEANNE = PatientDetails(given_name="Jeanne", family_name="Durand", birth_date=dt.date(1980, 1, 2),
                        email="jeanne@example.org", phone=None)


def patient(n: int) -> PatientDetails:
    """The n-th test patient."""
    return PatientDetails(given_name=f"Patient{n}", family_name="Test", birth_date=dt.date(1990, 1, 1),
                          email=f"p{n}@example.org", phone=None)


def load_demo_with_slots(engine: Engine, today: dt.date = DEMO_TODAY, days: int = 21) -> None:
    """Migrate, load the demo centre around ``today`` and lay out ``days`` of slots."""
    upgrade(engine)
    with session_scope(engine) as session:
        load_demo(session, today)
    with session_scope(engine) as session:
        generate_slots(session, today - dt.timedelta(days=today.weekday()),
                       today + dt.timedelta(days=days))


def demo_slots_engine(database_url: str, days: int, tmp_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An engine on the demo centre with ``days`` days of slots (for a fixture to yield from)."""
    yield from prepared_engine(database_url, f"demo-slots-{days}",
                               functools.partial(load_demo_with_slots, days=days), tmp_factory)


def sqlite_copy_of_demo(folder: Path, tmp_factory: pytest.TempPathFactory) -> str:
    """A fresh SQLite file holding the demo with three weeks of slots (built once per run, then copied)."""
    url = f"sqlite:///{folder / 'booking.db'}"
    sqlite_copy("demo-slots-21", load_demo_with_slots, url, tmp_factory)
    return url


@pytest.fixture
def booking_engine(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The demo centre with three weeks of slots, on SQLite."""
    engine = make_engine(sqlite_copy_of_demo(tmp_path, tmp_path_factory))
    yield engine
    engine.dispose()


@dataclass
class MailBox:
    """What the SMTP server received."""

    messages: list[EmailMessage] = field(default_factory=list)
    port: int = 0

    def of_kind(self, subject_part: str) -> list[EmailMessage]:
        """Messages whose subject contains ``subject_part``."""
        return [m for m in self.messages if subject_part in str(m["Subject"])]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[MailBox]:
    """A real aiosmtpd server on 127.0.0.1 that keeps every message it receives."""
    from aiosmtpd.controller import Controller

    box = MailBox(port=free_port())

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
            box.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def text_of(message: EmailMessage) -> str:
    """Plain-text body of a message."""
    part = message.get_body(preferencelist=("plain",))
    return part.get_content() if part else ""


def ics_of(message: EmailMessage) -> str:
    """The .ics attachment of a message ('' when none)."""
    for part in message.iter_attachments():
        if part.get_content_type() == "text/calendar":
            content = part.get_content()
            return content.decode() if isinstance(content, bytes) else content
    return ""
