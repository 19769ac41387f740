"""Fixtures of the booking web tests: the app on the demo with slots, at a fixed instant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import Engine

from planner.settings import Settings
from tests.planner.booking.support import NOW, booking_engine, smtp_server  # noqa: F401


def make_client(engine: Engine, tmp_path: Path, **overrides: object) -> TestClient:
    """A test client on the booking demo; the app's clock reads :data:`NOW`."""
    from web.app import create_app

    values = {"data_dir": tmp_path / "var", "secret_key": "test-secret-key-0123456789",
              "rate_limit_api": 0, **overrides}
    app = create_app(settings=Settings(**values), engine=engine)
    app.state.clock = lambda: NOW
    return TestClient(app=app, base_url="http://127.0.0.1")


@pytest.fixture
def booking_client(booking_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:  # noqa: F811
    """HTTP client on the booking demo."""
    with make_client(booking_engine, tmp_path) as client:
        yield client


@pytest.fixture
def client_factory(booking_engine: Engine, tmp_path: Path) -> Callable[..., TestClient]:  # noqa: F811
    """Build a client with other settings (rate limit, SMTP…)."""
    return lambda **overrides: make_client(booking_engine, tmp_path, **overrides)
