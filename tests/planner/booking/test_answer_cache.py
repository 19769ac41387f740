"""The booking generation (migration 0007's triggers) and the answer cache keyed on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from planner.booking.answer_cache import (
    TRACKED_TABLES,
    AnswerCache,
    generation_triggers_present,
    prepare_generation,
    read_generation,
)
from tests.planner.booking.support import demo_slots_engine


@pytest.fixture
def slots_engine(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The demo centre with a few days of slots, on SQLite and on PostgreSQL."""
    yield from demo_slots_engine(database_url, 3, tmp_path_factory)


def _generation(engine: Engine) -> int | None:
    connection = engine.raw_connection()
    try:
        return read_generation(connection.dbapi_connection)
    finally:
        connection.close()


def test_a_fresh_database_has_the_triggers_and_no_counter_row_until_first_use(engine: Engine) -> None:
    with engine.connect() as db:
        assert generation_triggers_present(db)
        assert db.execute(text("SELECT COUNT(*) FROM booking_generation")).scalar_one() == 0  # restorable
    assert _generation(engine) is None
    assert prepare_generation(engine) and prepare_generation(engine)
    assert _generation(engine) == 0


def test_every_committed_change_bumps_the_counter_and_nothing_else_does(slots_engine: Engine) -> None:
    prepare_generation(slots_engine)
    before = _generation(slots_engine)
    with slots_engine.begin() as db:  # the demo has no appointment yet: a raw insert makes one
        slot_id, motif_id = db.execute(text("SELECT id, motif_id FROM slot ORDER BY id LIMIT 1")).one()
        patient_id = db.execute(text(
            "INSERT INTO patient (given_name, family_name, birth_date, created_at) "
            "VALUES ('Raw', 'Sql', '1970-01-01', CURRENT_TIMESTAMP) RETURNING id")).scalar_one()
        db.execute(text(
            "INSERT INTO appointment (slot_id, patient_id, motif_id, status, reason, created_at, locale, "
            "revision) VALUES (:slot, :patient, :motif, 'booked', '', CURRENT_TIMESTAMP, 'fr', 0)"),
            {"slot": slot_id, "patient": patient_id, "motif": motif_id})
    assert _generation(slots_engine) == (before or 0) + 1
    for table in TRACKED_TABLES:
        before = _generation(slots_engine)
        with slots_engine.connect() as db:
            if db.dialect.name == "sqlite":
                db.exec_driver_sql("BEGIN IMMEDIATE")
            db.execute(text(f"UPDATE {table} SET id = id WHERE id IN (SELECT id FROM {table} LIMIT 3)"))
            assert _generation(slots_engine) == before, "seen before the commit"
            db.rollback()
        assert _generation(slots_engine) == before, f"{table}: a rollback bumped it"
        with slots_engine.begin() as db:
            db.execute(text(f"UPDATE {table} SET id = id"))
        after = _generation(slots_engine)
        assert after is not None and before is not None and after > before, table
        if slots_engine.dialect.name == "postgresql":
            assert after == before + 1, "once per transaction on PostgreSQL"
    before = _generation(slots_engine)
    with slots_engine.begin() as db:
        db.execute(text("UPDATE room SET name = name"))
    assert _generation(slots_engine) == before


def test_the_cache_answers_only_for_its_generation_and_time_span(engine: Engine) -> None:
    cache = AnswerCache(engine)
    now = dt.datetime(2026, 11, 23, 6, tzinfo=dt.UTC)
    cache.put("k", 7, now, now + dt.timedelta(minutes=5), b"answer")
    assert cache.get("k", 7, now) == b"answer"
    assert cache.get("k", 7, now + dt.timedelta(minutes=4, seconds=59)) == b"answer"
    assert cache.get("k", 7, now + dt.timedelta(minutes=5)) is None
    assert cache.get("k", 7, now - dt.timedelta(seconds=1)) is None  # a clock set back
    assert cache.get("k", 8, now) is None
    assert cache.get("k", None, now) is None
    assert cache.get("other", 7, now) is None
    cache.put("n", None, now, now + dt.timedelta(minutes=5), b"x")  # no counter: not kept
    assert cache.get("n", None, now) is None


def test_the_cache_is_bounded_in_entries_and_bytes(engine: Engine) -> None:
    now = dt.datetime(2026, 11, 23, 6, tzinfo=dt.UTC)
    later = now + dt.timedelta(hours=1)
    cache = AnswerCache(engine, max_entries=3, max_bytes=100)
    for key in range(5):
        cache.put(key, 1, now, later, b"x" * 10)
    assert [cache.get(key, 1, now) is not None for key in range(5)] == [False, False, True, True, True]
    cache.put("big", 1, now, later, b"y" * 90)
    assert cache.get("big", 1, now) is not None
    assert sum(cache.get(key, 1, now) is not None for key in range(5)) == 1
    cache.put("huge", 1, now, later, b"z" * 101)
    assert cache.get("huge", 1, now) is None
