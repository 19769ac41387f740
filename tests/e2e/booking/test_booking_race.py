"""50 processes book the same slot at once, 12 times, on SQLite and PostgreSQL: one 201, 49 409s."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from planner.database import make_engine
from tests.e2e.booking.servers import Server, prepare_database, server_env
from tests.support.databases import fresh_database

pytestmark = pytest.mark.slow
WORKERS = 50
ROUNDS = 12


#: Set in each pool worker: every worker waits here holding its request, then all fire at once.
_START: threading.Barrier | None = None


def _arm(barrier: threading.Barrier) -> None:
    global _START  # noqa: PLW0603 - one per worker process
    _START = barrier


def _book(args: tuple[int, int, int]) -> int:
    port, slot_id, n = args
    body = json.dumps({"slot_id": slot_id, "consent": True, "patient": {
        "given_name": f"P{n}", "family_name": "Race", "birth_date": "1990-01-01",
        "email": f"p{n}@example.org"}})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.connect()
        assert _START is not None
        _START.wait(timeout=60)  # a worker blocks here, so each of the 50 takes exactly one request
        connection.request("POST", "/api/v1/bookings", body=body, headers={
            "content-type": "application/json", "idempotency-key": f"race-{slot_id}-{n}"})
        return connection.getresponse().status
    except threading.BrokenBarrierError:
        return -1
    except OSError:
        return 0
    finally:
        connection.close()


@pytest.fixture(scope="module")
def pool() -> Iterator[multiprocessing.pool.Pool]:
    """50 worker processes, created once for every round of both backends, sharing a start barrier."""
    context = multiprocessing.get_context("fork")
    with context.Pool(WORKERS, initializer=_arm, initargs=(context.Barrier(WORKERS),)) as workers:
        yield workers


OVERLAPS = """
SELECT count(*) FROM appointment a JOIN slot s ON s.id = a.slot_id
JOIN appointment b ON b.id < a.id JOIN slot t ON t.id = b.slot_id
WHERE a.status = 'booked' AND b.status = 'booked'
  AND (s.staff_id = t.staff_id OR (s.room_id IS NOT NULL AND s.room_id = t.room_id))
  AND s.starts_at < t.ends_at AND t.starts_at < s.ends_at
"""


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_bookings_of_one_slot_give_exactly_one_201(
        backend: str, pool: multiprocessing.pool.Pool, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        prepare_database(url, days=7)
        server = Server(server_env(url, tmp_path))
        server.start()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            connection.request("GET", "/api/v1/slots?motif=mg-consult&limit=200")
            slots = json.loads(connection.getresponse().read())["slots"]
            assert len(slots) >= ROUNDS
            for round_ in range(ROUNDS):
                slot_id = slots[round_ * 3]["id"]
                codes = Counter(pool.map(_book, [(server.port, slot_id, n)
                                                 for n in range(WORKERS)], chunksize=1))
                assert codes == {201: 1, 409: WORKERS - 1}, f"round {round_}: {codes}"
        finally:
            server.stop()
        engine = make_engine(url)
        with engine.connect() as db:
            assert db.execute(text("SELECT count(*) FROM appointment")).scalar_one() == ROUNDS
            assert db.execute(text(OVERLAPS)).scalar_one() == 0
        engine.dispose()
