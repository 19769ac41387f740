"""A real server with the demo centre, and a real browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from planner.database import make_engine, session_scope
from planner.demo import load_demo
from planner.migrate import upgrade
from tests.conftest import DEMO_TODAY
from tests.support.browser import chromium
from tests.support.server import running_server


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of ``creneau serve`` running the demo centre on SQLite."""
    folder: Path = tmp_path_factory.mktemp("server")
    url = f"sqlite:///{folder / 'creneau.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        load_demo(session, DEMO_TODAY)
    engine.dispose()
    with running_server({"CRENEAU_DATABASE_URL": url, "CRENEAU_DATA_DIR": str(folder),
                         "CRENEAU_SECRET_KEY": "e2e-secret-key-0123456789"}) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium, shared by the tests of a module."""
    with chromium() as launched:
        yield launched
