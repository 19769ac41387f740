"""A solve stops when any worker asks: the request goes through the database."""

from __future__ import annotations

import threading
import time

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from planner.demo import period_start
from planner.models import Roster, Site
from planner.rostering import service
from planner.rostering.stop_requests import RUNNING, STOPPING, request_stop, watch
from tests.conftest import DEMO_TODAY


def _draft(engine: Engine, days: int) -> int:
    with Session(engine, expire_on_commit=False) as db:
        site = db.exec(select(Site)).first()
        return service.new_version(db, site.id, period_start(DEMO_TODAY), days).id


def _status(engine: Engine, roster_id: int) -> str:
    with Session(engine) as db:
        return db.get(Roster, roster_id).solver_status


def test_a_stop_request_reaches_the_watching_process(sqlite_demo_engine: Engine) -> None:
    roster_id = _draft(sqlite_demo_engine, 7)
    assert not request_stop(sqlite_demo_engine, roster_id)  # not solving: nothing to stop
    with Session(sqlite_demo_engine) as db:
        roster = db.get(Roster, roster_id)
        roster.solver_status = RUNNING
        db.add(roster)
        db.commit()
    stop, finished = threading.Event(), threading.Event()
    watcher = watch(sqlite_demo_engine, roster_id, stop, finished, every=0.05)
    assert request_stop(sqlite_demo_engine, roster_id)
    assert _status(sqlite_demo_engine, roster_id) == STOPPING
    assert stop.wait(30), "the solving process never saw the request"
    finished.set()
    watcher.join(5)
    assert not watcher.is_alive()


def test_a_solve_asked_to_stop_from_elsewhere_keeps_its_best_roster(sqlite_demo_engine: Engine) -> None:
    roster_id = _draft(sqlite_demo_engine, 42)  # six weeks: a first roster at once, the proof takes longer
    job = service.RosterJob(sqlite_demo_engine, roster_id, time_limit=600, workers=2).start()
    deadline = time.monotonic() + 120  # a deadline to wait for, not a speed assertion
    while job.result is None and time.monotonic() < deadline:
        with Session(sqlite_demo_engine) as db:
            roster = db.get(Roster, roster_id)
            if roster.solver_status == RUNNING and roster.objective is not None:
                break  # solving, with a roster found
        time.sleep(0.1)
    assert request_stop(sqlite_demo_engine, roster_id)  # as another worker would, without the job
    assert job.wait(120), "the solve did not stop"
    assert job.stop_event.is_set(), "the solving process never saw the request"
    assert job.result is not None and job.result.status.has_roster
    assert _status(sqlite_demo_engine, roster_id) == job.result.status.value  # not left "stopping"
