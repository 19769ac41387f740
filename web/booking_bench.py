"""Booking benchmark (``make bench-booking``): a year of data for 50 clinicians on SQLite.

Measures the free-slots query for one week and a booking (p50/p99, in process), then the HTTP
throughput of ``GET /api/v1/slots`` against the trivial ``GET /api/v1/ping`` of the same server,
with a small load generator on 127.0.0.1 (threads, bounded in requests and time). The slots
requests ask for each of the year's 52 weeks in turn at random, as clients paging a calendar do;
the server caches free-slot answers (never stale: see ``planner.booking.answer_cache``), so a last
load shows the same requests while another client books without pause.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert
from sqlmodel import Session, select

from planner.booking.availability import SlotQuery, free_slots
from planner.booking.booking import book
from planner.booking.identity import PatientDetails
from planner.booking.manage_links import Links
from planner.database import make_engine
from planner.migrate import upgrade
from planner.models import (
    Appointment,
    ConsultationSession,
    Mode,
    Motif,
    Patient,
    Profession,
    Room,
    Site,
    Slot,
    StaffMember,
)

CLINICIANS = 50
WEEKS = 52
SLOT_MINUTES = 20
DAY_BLOCKS = (("08:30", 8), ("14:00", 8))  # 16 slots a day, five days a week
TARGETS = {"free_slots_p50_ms": 10.0, "booking_p50_ms": 20.0, "slots_vs_trivial": 0.5}
ROUNDS = 5  # the HTTP loads alternate between the two routes


def build(url: str, first_monday: dt.date, seed: int = 1) -> dict[str, int]:
    """Create the data set: sessions, ≈208k slots, ≈104k booked (bulk inserts)."""
    rng = random.Random(seed)
    engine = make_engine(url)
    upgrade(engine)
    zone = ZoneInfo("Europe/Paris")
    with Session(engine) as db:
        site = Site(slug="bench", name="Centre de test", timezone="Europe/Paris", phone="01 00 00 00 00")
        db.add(site)
        db.flush()
        motif = Motif(site_id=site.id, code="consult", name="Consultation",
                      profession=Profession.GENERAL_PRACTITIONER, mode=Mode.IN_PERSON,
                      duration_minutes=SLOT_MINUTES, min_notice_minutes=0, horizon_days=400,
                      cancel_cutoff_minutes=0)
        db.add(motif)
        rooms = [Room(site_id=site.id, name=f"Cabinet {i}") for i in range(CLINICIANS)]
        staff = [StaffMember(site_id=site.id, code=f"DR{i}", given_name=f"Prénom{i}", family_name=f"Nom{i}",
                             title="Dr", profession=Profession.GENERAL_PRACTITIONER, holds_sessions=True)
                 for i in range(CLINICIANS)]
        db.add_all(rooms + staff)
        db.flush()
        sessions, slots = [], []
        session_id = 0
        for week in range(WEEKS):
            for weekday in range(5):
                day = first_monday + dt.timedelta(days=7 * week + weekday)
                for start_text, count in DAY_BLOCKS:
                    local = dt.datetime.combine(day, dt.time.fromisoformat(start_text), zone)
                    start = local.astimezone(dt.UTC)
                    end = start + dt.timedelta(minutes=SLOT_MINUTES * count)
                    for member, room in zip(staff, rooms, strict=True):
                        session_id += 1
                        sessions.append({"id": session_id, "site_id": site.id, "staff_id": member.id,
                                         "room_id": room.id, "starts_at": start, "ends_at": end,
                                         "video": False})
                        for k in range(count):
                            at = start + dt.timedelta(minutes=SLOT_MINUTES * k)
                            slots.append({"session_id": session_id, "staff_id": member.id,
                                          "room_id": room.id, "motif_id": motif.id, "mode": "in_person",
                                          "starts_at": at, "ends_at": at + dt.timedelta(minutes=SLOT_MINUTES),
                                          "withdrawn": False})
        db.execute(insert(ConsultationSession), sessions)
        db.execute(insert(Slot), slots)
        slot_ids = db.execute(select(Slot.id)).scalars().all()
        booked = rng.sample(slot_ids, len(slot_ids) // 2)
        now = dt.datetime.now(dt.UTC)
        db.execute(insert(Patient), [{"id": i + 1, "given_name": "P", "family_name": f"N{i}",
                                      "birth_date": dt.date(1980, 1, 1), "email": None, "phone": "0600000000",
                                      "created_at": now} for i in range(len(booked))])
        db.execute(insert(Appointment), [{"slot_id": s, "patient_id": i + 1, "motif_id": motif.id,
                                          "status": "booked", "reason": "", "created_at": now,
                                          "locale": "fr", "revision": 0} for i, s in enumerate(booked)])
        db.commit()
        counts = {"slots": len(slot_ids), "appointments": len(booked), "motif_id": motif.id}
    engine.dispose()
    return counts


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
            "n": len(ordered)}


def measure_services(url: str, motif_id: int, first_monday: dt.date, runs: int) -> dict[str, dict]:
    """Free slots of one week and a booking, timed in process."""
    engine = make_engine(url)
    rng = random.Random(2)
    zone = ZoneInfo("Europe/Paris")
    now = dt.datetime.combine(first_monday, dt.time(0), zone).astimezone(dt.UTC)
    query_times, candidates = [], []
    with Session(engine) as db:
        for _ in range(runs):
            monday = first_monday + dt.timedelta(weeks=rng.randrange(WEEKS))
            start = dt.datetime.combine(monday, dt.time(0), zone)
            began = time.perf_counter()
            found = free_slots(db, SlotQuery(motif_id=motif_id, start=start,
                                             end=start + dt.timedelta(days=7)), now)
            query_times.append(time.perf_counter() - began)
            candidates.extend(s.id for s in found[:3])
    links = Links(key=b"bench-key-0123456789", base_url="http://127.0.0.1")
    patient = PatientDetails("Jeanne", "Durand", dt.date(1980, 1, 2), None, "06 12 34 56 78")
    booking_times = []
    for slot_id in rng.sample(sorted(set(candidates)), min(runs, len(set(candidates)))):
        began = time.perf_counter()
        book(engine, slot_id=slot_id, patient=patient, links=links, idempotency_key=f"bench-{slot_id}",
             now=now)
        booking_times.append(time.perf_counter() - began)
    engine.dispose()
    return {"free_slots_week": _percentiles(query_times), "booking": _percentiles(booking_times)}


def _load(port: int, paths: list[str], seconds: float, max_requests: int, threads: int) -> dict[str, float]:
    """Requests per second over keep-alive connections from ``threads`` threads."""
    done = [0] * threads
    errors = [0] * threads
    deadline = time.monotonic() + seconds

    def worker(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        rng = random.Random(index)
        while time.monotonic() < deadline and sum(done) < max_requests:
            try:
                connection.request("GET", rng.choice(paths))
                response = connection.getresponse()
                response.read()
                if response.status == 200:
                    done[index] += 1
                else:
                    errors[index] += 1
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.close()

    began = time.monotonic()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - began
    return {"requests": sum(done), "errors": sum(errors), "seconds": round(elapsed, 2),
            "rps": round(sum(done) / elapsed, 1)}


def _combined(runs: list[dict[str, float]]) -> dict[str, float]:
    """Several loads of one route as one."""
    requests, errors = sum(r["requests"] for r in runs), sum(r["errors"] for r in runs)
    seconds = sum(r["seconds"] for r in runs)
    return {"requests": requests, "errors": errors, "seconds": round(seconds, 2),
            "rps": round(requests / seconds, 1), "rounds": len(runs)}


def _book_continuously(port: int, paths: list[str], seconds: float) -> dict[str, float]:
    """Book free slots one after another (each booking changes the free-slot answers)."""
    body = {"patient": {"given_name": "Charge", "family_name": "Test", "birth_date": "1980-01-02",
                        "phone": "06 12 34 56 78"}, "consent": True}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    rng = random.Random(99)
    booked = failed = 0
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        connection.request("GET", rng.choice(paths))
        slots = json.loads(connection.getresponse().read())["slots"]
        if not slots:
            continue
        slot_id = rng.choice(slots)["id"]
        connection.request("POST", "/api/v1/bookings", body=json.dumps({**body, "slot_id": slot_id}),
                           headers={"Content-Type": "application/json",
                                    "Idempotency-Key": f"bench-load-{slot_id}"})
        response = connection.getresponse()
        response.read()
        booked, failed = (booked + 1, failed) if response.status == 201 else (booked, failed + 1)
    connection.close()
    elapsed = time.monotonic() - began
    return {"bookings": booked, "failed": failed, "per_second": round(booked / elapsed, 1)}


def measure_http(url: str, folder: Path, motif_id: int, first_monday: dt.date, seconds: float,
                 threads: int) -> dict[str, dict]:
    """Serve the data set with ``creneau serve`` and compare the slots route with a trivial one."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRENEAU_")}
    env.update(CRENEAU_DATABASE_URL=url, CRENEAU_DATA_DIR=str(folder), CRENEAU_RATE_LIMIT_API="0",
               CRENEAU_SECRET_KEY="bench-key-0123456789", CRENEAU_LOG_LEVEL="warning")
    creneau = str(Path(sys.executable).with_name("creneau"))
    server = subprocess.Popen([creneau, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        weeks = [first_monday + dt.timedelta(weeks=w) for w in range(WEEKS)]
        slot_paths = [f"/api/v1/slots?motif={motif_id}&from={w.isoformat()}"
                      f"&to={(w + dt.timedelta(days=7)).isoformat()}&limit=50" for w in weeks]
        _load(port, ["/api/v1/ping"], 1.0, 2000, threads)  # warm up
        # Both routes in alternating rounds, so that other work on the machine weighs on both alike.
        rounds: dict[str, list[dict[str, float]]] = {"trivial": [], "slots": []}
        for _ in range(ROUNDS):
            rounds["trivial"].append(_load(port, ["/api/v1/ping"], seconds / ROUNDS, 200_000, threads))
            rounds["slots"].append(_load(port, slot_paths, seconds / ROUNDS, 200_000, threads))
        trivial, slots = _combined(rounds["trivial"]), _combined(rounds["slots"])
        # Not part of the ratio: the same slot requests while one client books without pause, so
        # that cached answers keep being invalidated (what the cache is worth under writes).
        writer: dict[str, float] = {}
        booking = threading.Thread(
            target=lambda: writer.update(_book_continuously(port, slot_paths, seconds)))
        booking.start()
        while_booking = _load(port, slot_paths, seconds, 200_000, max(1, threads - 1))
        booking.join()
        while_booking["bookings"] = writer
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {"trivial_route": trivial, "slots_route": slots, "slots_route_while_booking": while_booking,
            "ratio": {"slots_vs_trivial": round(slots["rps"] / max(trivial["rps"], 1e-9), 3)}}


def main(argv: list[str] | None = None) -> int:
    """Build the data set, measure, print a table and write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=Path("bench-results/booking.json"))
    parser.add_argument("--runs", type=int, default=300, help="Timed queries and bookings.")
    parser.add_argument("--seconds", type=float, default=5.0, help="Duration of each HTTP load.")
    parser.add_argument("--threads", type=int, default=8, help="Load generator threads.")
    args = parser.parse_args(argv)
    first_monday = dt.date.today() - dt.timedelta(days=dt.date.today().weekday())
    with tempfile.TemporaryDirectory(prefix="creneau-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        began = time.monotonic()
        counts = build(url, first_monday)
        built = time.monotonic() - began
        print(f"data set: {counts['slots']} slots, {counts['appointments']} appointments, "
              f"{CLINICIANS} clinicians, {WEEKS} weeks (built in {built:.1f} s)", file=sys.stderr)
        services = measure_services(url, counts["motif_id"], first_monday, args.runs)
        http_figures = measure_http(url, Path(folder), counts["motif_id"], first_monday, args.seconds,
                                    args.threads)
    result = {"data": {**counts, "clinicians": CLINICIANS, "weeks": WEEKS}, **services, **http_figures,
              "targets": TARGETS}
    result["met"] = {
        "free_slots_p50": services["free_slots_week"]["p50_ms"] <= TARGETS["free_slots_p50_ms"],
        "booking_p50": services["booking"]["p50_ms"] <= TARGETS["booking_p50_ms"],
        "slots_throughput": http_figures["ratio"]["slots_vs_trivial"] >= TARGETS["slots_vs_trivial"],
    }
    rows = [
        ("free slots, one week", f"{services['free_slots_week']['p50_ms']} ms",
         f"{services['free_slots_week']['p99_ms']} ms", "p50 ≤ 10 ms"),
        ("booking", f"{services['booking']['p50_ms']} ms", f"{services['booking']['p99_ms']} ms",
         "p50 ≤ 20 ms"),
    ]
    print(f"{'measure':<24}{'p50':>12}{'p99':>12}   target")
    for name, p50, p99, target in rows:
        print(f"{name:<24}{p50:>12}{p99:>12}   {target}")
    print(f"GET /api/v1/ping   {http_figures['trivial_route']['rps']:>10} req/s")
    print(f"GET /api/v1/slots  {http_figures['slots_route']['rps']:>10} req/s  "
          f"(ratio {http_figures['ratio']['slots_vs_trivial']}, target ≥ 0.5)")
    during = http_figures["slots_route_while_booking"]
    print(f"GET /api/v1/slots  {during['rps']:>10} req/s  with one client booking meanwhile "
          f"({during['bookings'].get('per_second', 0)} bookings/s; not part of the ratio)")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    print(json.dumps(result["met"]))
    return 0  # a benchmark reports; it does not fail the build (see "met" in the JSON)


if __name__ == "__main__":
    raise SystemExit(main())
