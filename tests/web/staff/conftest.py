"""A demo app whose managers have a known TOTP secret."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import Engine

from planner.settings import Settings
from tests.web.staff.helpers import give_totp


@pytest.fixture
def staff_app(sqlite_demo_engine: Engine, settings: Settings):  # noqa: ANN201
    """The app on the demo centre, managers enrolled."""
    from web.app import create_app

    give_totp(sqlite_demo_engine)
    return create_app(settings=settings, engine=sqlite_demo_engine)


@pytest.fixture
def staff_client(staff_app) -> Iterator[TestClient]:  # noqa: ANN001
    """A client on :func:`staff_app`."""
    with TestClient(app=staff_app, base_url="http://127.0.0.1") as client:
        yield client
