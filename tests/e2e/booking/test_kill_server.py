"""kill -9 the server 20 times during a booking load: every 201 survives, SQLite stays sound."""

from __future__ import annotations

import http.client
import json
import random
import statistics
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from planner.database import make_engine
from tests.e2e.booking.servers import Server, prepare_database, server_env

pytestmark = pytest.mark.slow
KILLS = 20
THREADS = 4


def _load(port: int, slots: list[int], confirmed: dict[int, int], stop: threading.Event) -> None:
    """Book the given slots one after the other, remembering each 201 (booking id → slot id)."""
    for slot_id in slots:
        if stop.is_set():
            return
        body = json.dumps({"slot_id": slot_id, "consent": True, "patient": {
            "given_name": "Kill", "family_name": "Test", "birth_date": "1990-01-01",
            "email": "kill@example.org"}})
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("POST", "/api/v1/bookings", body=body,
                               headers={"content-type": "application/json"})
            response = connection.getresponse()
            if response.status == 201:
                confirmed[json.loads(response.read())["id"]] = slot_id
        except (OSError, http.client.HTTPException):
            return  # the server died under us: this request's outcome is unknown
        finally:
            connection.close()


def test_bookings_survive_kill_9_and_the_server_restarts_fast(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    prepare_database(url, days=14)
    server = Server(server_env(url, tmp_path))
    server.start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    connection.request("GET", "/api/v1/slots?limit=1000&to=2100-01-01")
    free = [s["id"] for s in json.loads(connection.getresponse().read())["slots"]]
    random.Random(4).shuffle(free)
    confirmed: dict[int, int] = {}
    restarts = []
    try:
        for kill in range(KILLS):
            stop = threading.Event()
            batch, free = free[:THREADS * 15], free[THREADS * 15:]
            threads = [threading.Thread(target=_load, args=(server.port, batch[i::THREADS], confirmed, stop))
                       for i in range(THREADS)]
            for thread in threads:
                thread.start()
            time.sleep(random.Random(kill).uniform(0.2, 0.6))
            server.kill()
            stop.set()
            for thread in threads:
                thread.join(timeout=10)
            restarts.append(server.start())
    finally:
        server.stop()
    assert len(confirmed) > KILLS, "the load did book while the server was being killed"
    # Restart time is wall-clock on a shared machine: the typical restart must be under 5 s; a
    # single slow one (another process hogging both cores) must still come back well within 15 s.
    assert statistics.median(restarts) < 5, restarts
    assert max(restarts) < 15, restarts
    engine = make_engine(url)
    with engine.connect() as db:
        assert db.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        rows = dict(db.execute(text("SELECT id, slot_id FROM appointment WHERE status = 'booked'")).all())
    engine.dispose()
    missing = {b: s for b, s in confirmed.items() if rows.get(b) != s}
    assert not missing, f"confirmed bookings lost after kill -9: {missing}"
