"""An app serving the demo centre with loopback-only ICE, and signed-in staff."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from planner.auth.sessions import start_session
from planner.settings import Settings
from tests.support.video import account

SECRET_KEY = "video-test-secret-key-0123456789"


@pytest.fixture
def video_settings(tmp_path) -> Settings:  # noqa: ANN001
    """Settings with ICE on 127.0.0.1 only."""
    return Settings(data_dir=tmp_path / "var", secret_key=SECRET_KEY,
                    ice_host_addresses="127.0.0.1", ice_accept_networks="127.0.0.0/8")


@pytest.fixture
def video_app(sqlite_demo_engine: Engine, video_settings: Settings) -> Litestar:
    """The app."""
    from web.app import create_app

    return create_app(settings=video_settings, engine=sqlite_demo_engine)


@pytest.fixture
def web(video_app: Litestar) -> Iterator[TestClient]:
    """A client without any session."""
    with TestClient(app=video_app, base_url="http://127.0.0.1") as client:
        yield client


def staff_cookie(engine: Engine, email: str) -> str:
    """A complete staff session for ``email`` (sign-in itself is tested elsewhere)."""
    user = account(engine, email)
    with Session(engine, expire_on_commit=False) as db:
        return start_session(db, user, second_factor_ok=True)
