"""Fixtures for the whole suite."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import Engine

from planner.database import make_engine, session_scope
from planner.demo import load_demo
from planner.migrate import upgrade
from planner.settings import Settings
from tests.support.databases import BACKENDS, fresh_database, sqlite_copy

#: The demo is built around this Monday-based week unless a test says otherwise.
DEMO_TODAY = dt.date(2026, 11, 23)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # noqa: ANN001
    """An empty database, once on SQLite and once on PostgreSQL."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


def load_demo_centre(engine: Engine) -> None:
    """Migrate and load the demo centre around :data:`DEMO_TODAY`."""
    upgrade(engine)
    with session_scope(engine) as session:
        load_demo(session, DEMO_TODAY)


def prepared_engine(database_url: str, name: str, build: Callable[[Engine], None],
                    tmp_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An engine on ``database_url`` filled by ``build``: on SQLite, a copy of a file built once per
    run (template ``name``); on PostgreSQL, built in place (for a fixture to yield from)."""
    if database_url.startswith("sqlite"):
        sqlite_copy(name, build, database_url, tmp_factory)
        engine = make_engine(database_url)
    else:
        engine = make_engine(database_url)
        build(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated, empty database."""
    yield from prepared_engine(database_url, "migrated", upgrade, tmp_path_factory)


@pytest.fixture
def demo_engine(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated database holding the demo centre (ask for it or for ``engine``: they are one database)."""
    yield from prepared_engine(database_url, "demo", load_demo_centre, tmp_path_factory)


@pytest.fixture
def sqlite_demo_engine(tmp_path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:  # noqa: ANN001
    """The demo centre on SQLite only, for tests about pages rather than storage."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    yield from prepared_engine(url, "demo", load_demo_centre, tmp_path_factory)


@pytest.fixture
def settings(tmp_path) -> Settings:  # noqa: ANN001
    """Settings for tests: a private data folder and a fixed key."""
    return Settings(data_dir=tmp_path / "var", secret_key="test-secret-key-0123456789")


@pytest.fixture
def client(sqlite_demo_engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """An HTTP client on the app serving the demo centre."""
    from web.app import create_app

    app = create_app(settings=settings, engine=sqlite_demo_engine)
    with TestClient(app=app, base_url="http://127.0.0.1") as test_client:
        yield test_client
