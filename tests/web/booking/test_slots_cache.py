"""``GET /api/v1/slots`` answers from a cache that is never stale, on SQLite and PostgreSQL.

Every change that matters — a booking or a cancellation through the API, a raw SQL write from
another connection, time passing the minimum notice, the horizon or a release time — shows in
the very next answer. Each test also checks that the cache served some answers, so that it is
the cache being tested, not a bypass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from planner.booking.answer_cache import AnswerCache
from planner.booking.availability import SlotQuery, free_slots
from planner.database import make_engine
from planner.models import Motif
from tests.planner.booking.support import NOW, demo_slots_engine
from tests.web.booking.conftest import make_client

BODY = {"patient": {"given_name": "Jeanne", "family_name": "Durand", "birth_date": "1980-01-02",
                    "email": "jeanne@example.org", "phone": "06 12 34 56 78"}, "consent": True}
WEEK = {"from": "2026-11-24", "to": "2026-12-01"}


@pytest.fixture
def slots_engine(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The demo centre with ten days of slots, on SQLite and on PostgreSQL."""
    yield from demo_slots_engine(database_url, 10, tmp_path_factory)


@pytest.fixture
def client(slots_engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    """The app on ``slots_engine`` (this module's own ``client``), its clock at :data:`NOW`."""
    with make_client(slots_engine, tmp_path) as client:
        yield client


def _ids(client: TestClient, motif: str = "mg-consult", **params: str) -> list[int]:
    response = client.get("/api/v1/slots", params={"motif": motif, **params})
    assert response.status_code == 200, response.text
    return [slot["id"] for slot in response.json()["slots"]]


def _cache(client: TestClient) -> AnswerCache:
    cache = client.app.state.slots_cache
    assert cache.usable, "the migration's triggers should be there"
    return cache


def _cached(client: TestClient, **params: str) -> list[int]:
    """The answer, asked twice: the second one must come from the cache."""
    first = _ids(client, **params)
    hits = _cache(client).hits
    assert _ids(client, **params) == first
    assert _cache(client).hits == hits + 1
    return first


@pytest.mark.parametrize("params", [{}, WEEK], ids=["from-now", "one-week"])
def test_a_booking_and_a_cancellation_through_the_api_show_at_once(
        client: TestClient, params: dict[str, str]) -> None:
    before = _cached(client, **params)
    slot_id = before[-1]  # beyond the cancellation cut-off
    created = client.post("/api/v1/bookings", json={**BODY, "slot_id": slot_id},
                          headers={"Idempotency-Key": f"cache-{slot_id}"})
    assert created.status_code == 201, created.text
    assert slot_id not in _ids(client, **params)
    assert _cached(client, **params) == [i for i in before if i != slot_id]
    booking = created.json()
    cancelled = client.post(f"/api/v1/bookings/{booking['id']}/cancel",
                            json={"token": booking["manage_token"]})
    assert cancelled.status_code == 200, cancelled.text
    assert _ids(client, **params) == before
    assert _cached(client, **params) == before


def test_raw_sql_from_another_connection_shows_at_once(client: TestClient, database_url: str) -> None:
    before = _cached(client, **WEEK)
    slot_id = before[0]
    other = make_engine(database_url)  # another engine: as another process or a psql session would
    try:
        with other.begin() as db:
            motif_id, = db.execute(text("SELECT motif_id FROM slot WHERE id = :id"), {"id": slot_id}).one()
            patient_id = db.execute(text(
                "INSERT INTO patient (given_name, family_name, birth_date, created_at) "
                "VALUES ('Raw', 'Sql', '1970-01-01', CURRENT_TIMESTAMP) RETURNING id")).scalar_one()
            appointment_id = db.execute(text(
                "INSERT INTO appointment (slot_id, patient_id, motif_id, status, reason, created_at, "
                "locale, revision) VALUES (:slot, :patient, :motif, 'booked', '', CURRENT_TIMESTAMP, "
                "'fr', 0) RETURNING id"),
                {"slot": slot_id, "patient": patient_id, "motif": motif_id}).scalar_one()
        assert _ids(client, **WEEK) == before[1:]
        assert _cached(client, **WEEK) == before[1:]

        with other.begin() as db:
            db.execute(text("UPDATE appointment SET status = 'cancelled' WHERE id = :id"),
                       {"id": appointment_id})
        assert _cached(client, **WEEK) == before

        with other.begin() as db:
            db.execute(text("UPDATE appointment SET status = 'booked' WHERE id = :id"),
                       {"id": appointment_id})
        assert _cached(client, **WEEK) == before[1:]
        with other.begin() as db:
            db.execute(text("DELETE FROM appointment WHERE id = :id"), {"id": appointment_id})
        assert _cached(client, **WEEK) == before

        withdrawn = before[1]
        with other.begin() as db:
            db.execute(text("UPDATE slot SET withdrawn = true WHERE id = :id"), {"id": withdrawn})
        assert _cached(client, **WEEK) == [i for i in before if i != withdrawn]

        with other.begin() as db:  # what a slot shows besides its id: the clinician's name
            staff_id, = db.execute(text("SELECT staff_id FROM slot WHERE id = :id"), {"id": slot_id}).one()
            db.execute(text("UPDATE staffmember SET family_name = 'Renamed' WHERE id = :id"),
                       {"id": staff_id})
        shown = client.get("/api/v1/slots", params={"motif": "mg-consult", **WEEK}).json()["slots"]
        names = {s["clinician"]["name"] for s in shown if s["clinician"]["id"] == staff_id}
        assert names and all(name.endswith(" Renamed") for name in names)
    finally:
        other.dispose()


def test_an_uncommitted_write_is_not_seen_and_its_commit_is(client: TestClient, database_url: str) -> None:
    before = _cached(client, **WEEK)
    other = make_engine(database_url)
    try:
        with other.connect() as db:
            if db.dialect.name == "sqlite":
                db.exec_driver_sql("BEGIN IMMEDIATE")
            db.execute(text("UPDATE slot SET withdrawn = true WHERE id = :id"), {"id": before[0]})
            assert _cached(client, **WEEK) == before  # not committed yet
            db.commit()
        assert _cached(client, **WEEK) == before[1:]
    finally:
        other.dispose()


@pytest.mark.parametrize("motif", ["mg-consult", "mg-urgence", "mg-video"])
def test_time_passing_changes_the_answer_as_the_service_says(client: TestClient, slots_engine: Engine,
                                                             motif: str) -> None:
    """Minimum notice, horizon, release of urgent slots and a period that follows "now"."""
    with Session(slots_engine) as db:
        motif_id = db.exec(select(Motif.id).where(Motif.code == motif)).one()
    instants = [NOW + dt.timedelta(minutes=7 * step) for step in range(0, 90)]
    instants += [NOW + dt.timedelta(days=1, hours=h, minutes=3) for h in range(0, 14)]
    _ids(client, motif)
    hits = _cache(client).hits
    for now in instants:
        client.app.state.clock = lambda now=now: now
        for params, start, end in (({}, now, now + dt.timedelta(days=7)),
                                   ({"from": "2026-11-23", "to": "2026-11-26", "limit": "12"},
                                    dt.datetime(2026, 11, 22, 23, tzinfo=dt.UTC),
                                    dt.datetime(2026, 11, 25, 23, tzinfo=dt.UTC))):
            limit = int(params.get("limit", 200))
            with Session(slots_engine) as db:
                expected = [s.id for s in free_slots(db, SlotQuery(motif_id=motif_id, start=start, end=end,
                                                                   limit=limit), now)]
            for _ in range(2):
                assert _ids(client, motif, **params) == expected, (now, params)
    assert _cache(client).hits > hits


def test_without_the_triggers_nothing_is_cached_and_answers_stay_right(slots_engine: Engine,
                                                                        tmp_path: Path) -> None:
    with slots_engine.begin() as db:
        trigger = "booking_generation_appointment" if db.dialect.name == "postgresql" \
            else "booking_generation_appointment_insert"
        db.execute(text(f"DROP TRIGGER {trigger}" + (" ON appointment" if db.dialect.name == "postgresql"
                                                      else "")))
    with make_client(slots_engine, tmp_path) as client:
        before = _ids(client, **WEEK)
        assert _ids(client, **WEEK) == before
        assert not client.app.state.slots_cache.usable and client.app.state.slots_cache.hits == 0
        created = client.post("/api/v1/bookings", json={**BODY, "slot_id": before[0]})
        assert created.status_code == 201, created.text
        assert _ids(client, **WEEK) == before[1:]
