"""Load benchmark (``make bench-load``): booking pages and API at rising concurrency.

Serves a throw-away PostgreSQL database with ``creneau serve --workers 2`` (Redis channels, the video
process) on 127.0.0.1 and drives it with 1, 4, 16 and 64 concurrent clients (threads with keep-alive
connections), each level bounded in time and in requests. A client loops over the booking week page
(``GET /book/{motif}``), the free-slots API (``GET /api/v1/slots``) and a booking
(``POST /api/v1/bookings``) of a slot drawn from a small window shared by every client, so that
clients collide on the same slots. Reports throughput and p50/p99 per level, then checks the
database: every slot has at most one active appointment and the 201 answers equal the active
appointments created.

Needs PostgreSQL (``CRENEAU_TEST_DATABASE_URL`` or ``--admin-url``, default
``postgresql://postgres@127.0.0.1:5432/postgres``) and Redis (``CRENEAU_TEST_REDIS_URL`` or
``--redis-url``, default ``redis://127.0.0.1:6379/0``); says so and exits 0 when one is unreachable.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from planner.database import normalise_url

LEVELS = (1, 4, 16, 64)
WEEKS = 4
WINDOW = 8  # clients book among the next WINDOW free slots: collisions are the point
ACTIVE = "status IN ('booked', 'attended', 'no_show')"


def _percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Level:
    """One concurrency level: clients share a window of slots to book."""

    def __init__(self, port: int, clients: int, slots: list[int], motif_code: str, motif_id: int,
                 weeks: list[dt.date], seconds: float, max_requests: int) -> None:
        self.port, self.clients, self.slots = port, clients, slots
        self.motif_code, self.motif_id, self.weeks = motif_code, motif_id, weeks
        self.seconds, self.max_requests = seconds, max_requests
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.by_kind: dict[str, list[float]] = {}
        self.statuses: dict[str, int] = {}
        self.errors: list[str] = []
        self.created = 0
        self.requests = 0
        self.cursor = 0  # slots before it were all booked or refused
        self.taken: set[int] = set()

    def _next_slot(self, rng: random.Random) -> int:
        """A slot among the next WINDOW ones nobody booked yet (in flight ones included)."""
        with self.lock:
            while self.cursor < len(self.slots) - 1 and self.slots[self.cursor] in self.taken:
                self.cursor += 1
            window = [slot for slot in self.slots[self.cursor:self.cursor + 4 * WINDOW]
                      if slot not in self.taken][:WINDOW]
        return rng.choice(window or self.slots[-1:])

    def _request(self, connection: http.client.HTTPConnection, rng: random.Random,
                 step: int) -> tuple[str, int, int]:
        kind = ("page", "slots", "book")[step % 3] if self.slots else ("page", "slots")[step % 2]
        week = rng.choice(self.weeks)
        slot = 0
        if kind == "page":
            connection.request("GET", f"/book/{self.motif_code}?week={week.isoformat()}",
                               headers={"Accept-Language": "fr"})
        elif kind == "slots":
            connection.request("GET", f"/api/v1/slots?motif={self.motif_id}&from={week.isoformat()}"
                               f"&to={(week + dt.timedelta(days=7)).isoformat()}&limit=50")
        else:
            slot = self._next_slot(rng)
            body = {"slot_id": slot, "consent": True,
                    "patient": {"given_name": "Charge", "family_name": f"Test{rng.randrange(10**6)}",
                                "birth_date": "1980-01-02", "email": "charge@example.org"}}
            connection.request("POST", "/api/v1/bookings", body=json.dumps(body),
                               headers={"Content-Type": "application/json",
                                        "Idempotency-Key": uuid.uuid4().hex})
        response = connection.getresponse()
        response.read()
        return kind, response.status, slot

    def _client(self, index: int, deadline: float) -> None:
        rng = random.Random(index)
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        step = index
        while time.monotonic() < deadline:
            with self.lock:
                if self.requests >= self.max_requests:
                    break
                self.requests += 1
            began = time.perf_counter()
            try:
                kind, status, slot = self._request(connection, rng, step)
            except (OSError, http.client.HTTPException) as error:
                with self.lock:
                    self.errors.append(f"{type(error).__name__}: {error}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                continue
            elapsed = time.perf_counter() - began
            expected = {201, 409} if kind == "book" else {200}
            with self.lock:
                self.latencies.append(elapsed)
                self.by_kind.setdefault(kind, []).append(elapsed)
                key = f"{kind} {status}"
                self.statuses[key] = self.statuses.get(key, 0) + 1
                if status == 201:
                    self.created += 1
                if kind == "book" and status in (201, 409):
                    self.taken.add(slot)
                if status not in expected:
                    self.errors.append(key)
            step += 1
        connection.close()

    def run(self) -> dict[str, object]:
        """Run the clients; return the figures of the level."""
        deadline = time.monotonic() + self.seconds
        began = time.monotonic()
        pool = [threading.Thread(target=self._client, args=(i, deadline)) for i in range(self.clients)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        elapsed = time.monotonic() - began
        done = len(self.latencies)
        return {"clients": self.clients, "requests": done, "seconds": round(elapsed, 2),
                "rps": round(done / elapsed, 1) if elapsed else 0.0,
                "p50_ms": round(_percentile(self.latencies, 0.50) * 1000, 1),
                "p99_ms": round(_percentile(self.latencies, 0.99) * 1000, 1),
                "created": self.created, "conflicts": self.statuses.get("book 409", 0),
                "errors": len(self.errors), "error_samples": sorted(set(self.errors))[:5],
                "statuses": self.statuses,
                "by_kind": {kind: {"requests": len(samples),
                                   "p50_ms": round(_percentile(samples, 0.50) * 1000, 1),
                                   "p99_ms": round(_percentile(samples, 0.99) * 1000, 1)}
                            for kind, samples in sorted(self.by_kind.items())}}


def _reachable(admin_url: str, redis_url: str) -> str | None:
    """Why the services cannot be used, or ``None``."""
    try:
        engine = create_engine(normalise_url(admin_url), connect_args={"connect_timeout": 5})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - any failure to reach the server
        return f"PostgreSQL unreachable at {admin_url}: {str(error).splitlines()[0]}"
    try:
        import redis

        client = redis.Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=3)
        client.ping()
        client.close()
    except Exception as error:  # noqa: BLE001 - the package missing or the server unreachable
        return f"Redis unreachable at {redis_url}: {error}"
    return None


def _serve(url: str, redis_url: str, folder: Path, workers: int,
           log: Path | None = None) -> tuple[subprocess.Popen, int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRENEAU_")}
    env.update(CRENEAU_DATABASE_URL=url, CRENEAU_DATA_DIR=str(folder), CRENEAU_RATE_LIMIT_API="0",
               CRENEAU_SECRET_KEY="load-bench-key-0123456789", CRENEAU_LOG_LEVEL="warning",
               CRENEAU_CHANNELS_BACKEND="redis", CRENEAU_REDIS_URL=redis_url,
               CRENEAU_ICE_HOST_ADDRESSES="127.0.0.1", CRENEAU_ICE_ACCEPT_NETWORKS="127.0.0.0/8")
    creneau = str(Path(sys.executable).with_name("creneau"))
    output = log.open("ab") if log else subprocess.DEVNULL
    server = subprocess.Popen([creneau, "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--workers", str(workers)], env=env,
                              stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"creneau serve exited with {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                connection.close()
                return server, port
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError("creneau serve did not become healthy within 90 s")


def _advance_sequences(url: str) -> None:
    """The booking benchmark's bulk inserts give ids themselves: move PostgreSQL's sequences past them."""
    engine = create_engine(normalise_url(url))
    with engine.begin() as connection:
        tables = connection.execute(text(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND column_name = 'id' AND column_default LIKE 'nextval%'")).scalars().all()
        for table in tables:
            connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f"COALESCE((SELECT max(id) FROM \"{table}\"), 0) + 1, false)"))
    engine.dispose()


def _future_free_slots(url: str, motif_id: int) -> list[int]:
    engine = create_engine(normalise_url(url))
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT s.id FROM slot s WHERE s.motif_id = :motif AND s.starts_at > :after AND NOT EXISTS "
            f"(SELECT 1 FROM appointment a WHERE a.slot_id = s.id AND a.{ACTIVE}) "
            "ORDER BY s.starts_at, s.id"),
            {"motif": motif_id, "after": dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)}).scalars().all()
    engine.dispose()
    return list(rows)


def _check(url: str, active_before: int, created: int) -> dict[str, object]:
    engine = create_engine(normalise_url(url))
    with engine.connect() as connection:
        doubles = connection.execute(text(
            f"SELECT count(*) FROM (SELECT slot_id FROM appointment WHERE {ACTIVE} "
            "GROUP BY slot_id HAVING count(*) > 1) d")).scalar_one()
        active = connection.execute(text(f"SELECT count(*) FROM appointment WHERE {ACTIVE}")).scalar_one()
    engine.dispose()
    return {"slots_with_two_active": doubles, "active_created": active - active_before,
            "created_201": created, "consistent": doubles == 0 and active - active_before == created}


def main(argv: list[str] | None = None) -> int:
    """Create the database, serve it with several workers, load it level by level, check it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=Path("bench-results/load.json"))
    parser.add_argument("--admin-url", default=os.environ.get(
        "CRENEAU_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--redis-url", default=os.environ.get("CRENEAU_TEST_REDIS_URL",
                                                              "redis://127.0.0.1:6379/0"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)))
    parser.add_argument("--seconds", type=float, default=5.0, help="Duration of each level.")
    parser.add_argument("--max-requests", type=int, default=5000, help="Requests per level at most.")
    parser.add_argument("--server-log", type=Path, default=None, help="Append the server's output here.")
    args = parser.parse_args(argv)
    for address in (make_url(normalise_url(args.admin_url)).host, make_url(args.redis_url).host):
        if address not in (None, "127.0.0.1", "localhost", "::1"):
            print(f"load benchmark skipped: it runs on 127.0.0.1 only, not {address}", file=sys.stderr)
            return 0
    problem = _reachable(args.admin_url, args.redis_url)
    if problem:
        print(f"load benchmark skipped: {problem}", file=sys.stderr)
        return 0

    from web import booking_bench

    admin = create_engine(normalise_url(args.admin_url), isolation_level="AUTOCOMMIT")
    name = f"creneau_load_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(args.admin_url)).set(database=name).render_as_string(hide_password=False)
    server = None
    try:
        booking_bench.WEEKS = WEEKS  # the booking benchmark's centre, over a few weeks only
        first_monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
        began = time.monotonic()
        counts = booking_bench.build(url, first_monday)
        print(f"data set: {counts['slots']} slots, {counts['appointments']} appointments "
              f"({time.monotonic() - began:.1f} s)", file=sys.stderr)
        _advance_sequences(url)
        slots = _future_free_slots(url, counts["motif_id"])
        with tempfile.TemporaryDirectory(prefix="creneau-load-") as folder:
            server, port = _serve(url, args.redis_url, Path(folder), args.workers, args.server_log)
            weeks = [first_monday + dt.timedelta(weeks=w) for w in range(1, WEEKS)]
            warm = Level(port, 2, [], "consult", counts["motif_id"], weeks, 2.0, 200)
            warm.run()  # every worker imports its templates and opens its connections
            check_before = _check(url, 0, 0)
            active_before = int(check_before["active_created"])
            results, offset, created = [], 0, 0
            for clients in (int(c) for c in args.levels.split(",")):
                level = Level(port, clients, slots[offset:], "consult", counts["motif_id"], weeks,
                              args.seconds, args.max_requests)
                figures = level.run()
                offset += level.cursor + 4 * WINDOW
                created += level.created
                results.append(figures)
                print(f"{clients:>3} clients: {figures['rps']} req/s, p99 {figures['p99_ms']} ms, "
                      f"{figures['errors']} errors", file=sys.stderr)
            server.terminate()
            server.wait(timeout=20)
            server = None
        check = _check(url, active_before, created)
    finally:
        if server is not None:
            server.kill()
            server.wait()
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    print(f"{'clients':>7} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'201':>5} "
          f"{'409':>5} {'errors':>6}")
    for row in results:
        print(f"{row['clients']:>7} {row['requests']:>9} {row['rps']:>8} {row['p50_ms']:>8} "
              f"{row['p99_ms']:>8} {row['created']:>5} {row['conflicts']:>5} {row['errors']:>6}")
    print("per request kind (p50 / p99 ms): " + "; ".join(
        f"{row['clients']} clients " + ", ".join(f"{kind} {k['p50_ms']}/{k['p99_ms']}"
                                                 for kind, k in row["by_kind"].items())
        for row in results))
    print(f"database after: {check['slots_with_two_active']} slot(s) with two active appointments; "
          f"{check['active_created']} active appointments created for {check['created_201']} answers 201")
    top = results[-1] if results else {"errors": 0}
    result = {"workers": args.workers, "database": "postgresql", "data": counts, "levels": results,
              "check": check, "met": {"no_error_at_top_level": top["errors"] == 0,
                                      "no_double_booking": check["consistent"]}}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    print(json.dumps(result["met"]))
    return 0 if check["consistent"] else 1  # a double booking is a bug, not a slow figure


if __name__ == "__main__":
    raise SystemExit(main())
