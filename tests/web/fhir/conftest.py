"""Fixtures of the FHIR API tests: the demo centre with two days of slots, a fixed clock, tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import Engine

from planner.fhir.tokens import APPOINTMENT_READ, APPOINTMENT_WRITE, PATIENT_READ, READ
from planner.settings import Settings
from tests.support.fhir import make_slots, new_token

#: Slots are cut on Tuesday 24 and Wednesday 25 November 2026 (the demo's first week).
SLOT_DAYS = (dt.date(2026, 11, 24), 2)
#: The API's clock: the Monday morning before, so every slot is within notice and horizon.
NOW = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)
ALL_SCOPES = (READ, APPOINTMENT_READ, APPOINTMENT_WRITE, PATIENT_READ)


def fhir_client(engine: Engine, settings: Settings) -> TestClient:
    """A test client on ``engine`` with the fixed clock."""
    from web.app import create_app

    app = create_app(settings=settings, engine=engine)
    app.state.clock = lambda: NOW
    return TestClient(app=app, base_url="http://127.0.0.1")


@pytest.fixture
def fhir_engine(sqlite_demo_engine: Engine) -> Engine:
    """The demo on SQLite with slots."""
    make_slots(sqlite_demo_engine, *SLOT_DAYS)
    return sqlite_demo_engine


@pytest.fixture
def api(fhir_engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """A client of the FHIR API on the demo (SQLite)."""
    with fhir_client(fhir_engine, settings) as client:
        yield client


@pytest.fixture
def token(fhir_engine: Engine) -> str:
    """A token holding every scope."""
    return new_token(fhir_engine, *ALL_SCOPES, name="full access")
