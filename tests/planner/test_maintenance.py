"""Daily jobs: due from the configured local hour, run once a day across workers, failures recorded."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from planner import maintenance
from planner.auth.sessions import Timeouts
from planner.database import session_scope
from planner.models import MaintenanceRun, Patient, SigninFailure, StaffSession, UserAccount
from planner.models.types import utcnow
from planner.privacy.patient_data import ERASED

TIMEOUTS = Timeouts(idle=dt.timedelta(minutes=15), absolute=dt.timedelta(hours=10))
SCHEDULE = maintenance.Schedule(hour=3, retention_days=730, timeouts=TIMEOUTS)
# 02:30 and 03:30 in Paris (UTC+1 in November)
BEFORE = dt.datetime(2026, 11, 22, 1, 30, tzinfo=dt.UTC)
AFTER = dt.datetime(2026, 11, 22, 2, 30, tzinfo=dt.UTC)


def _old_patient(engine: Engine) -> int:
    with session_scope(engine) as db:
        patient = Patient(given_name="Ancien", family_name="Patient", birth_date=dt.date(1950, 1, 1),
                          email="ancien@example.org", created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        db.add(patient)
        db.flush()
        return patient.id or 0


def test_jobs_wait_for_the_local_hour_then_run_once_that_day(demo_engine: Engine) -> None:
    patient_id = _old_patient(demo_engine)
    assert maintenance.run_due(demo_engine, BEFORE, SCHEDULE) == []
    with Session(demo_engine) as db:
        assert db.get(Patient, patient_id).given_name == "Ancien"
    assert maintenance.run_due(demo_engine, AFTER, SCHEDULE) == ["retention", "sign_in_records"]
    with Session(demo_engine) as db:
        assert db.get(Patient, patient_id).given_name == ERASED
        runs = {r.job: r for r in maintenance.recent_runs(db)}
        assert runs["retention"].ok and runs["retention"].detail == "1 patient(s) pseudonymised"
        assert runs["retention"].day == dt.date(2026, 11, 22)
    # the same day again (another tick, or another worker): nothing; the next day: both again
    assert maintenance.run_due(demo_engine, AFTER + dt.timedelta(hours=5), SCHEDULE) == []
    assert maintenance.run_due(demo_engine, AFTER + dt.timedelta(days=1), SCHEDULE) == [
        "retention", "sign_in_records"]


def test_sign_in_records_past_their_time_are_deleted(demo_engine: Engine) -> None:
    now = utcnow()
    with session_scope(demo_engine) as db:
        user = db.exec(select(UserAccount)).first()
        db.add(StaffSession(id="a" * 64, user_id=user.id, created_at=now - dt.timedelta(hours=11),
                            last_seen_at=now - dt.timedelta(hours=11), csrf_token="x" * 32))
        db.add(StaffSession(id="b" * 64, user_id=user.id, created_at=now, last_seen_at=now,
                            csrf_token="y" * 32))
        db.add(SigninFailure(at=now - dt.timedelta(days=2), account="old@example.org", ip="127.0.0.1"))
    any_hour = maintenance.Schedule(hour=0, retention_days=0, timeouts=SCHEDULE.timeouts)
    assert maintenance.run_due(demo_engine, now, any_hour) == ["retention", "sign_in_records"]
    with Session(demo_engine) as db:
        assert [s.id for s in db.exec(select(StaffSession))] == ["b" * 64]
        assert db.exec(select(SigninFailure)).all() == []


def test_a_failing_job_is_recorded_and_the_next_one_still_runs(demo_engine: Engine, monkeypatch) -> None:  # noqa: ANN001
    def broken(engine: Engine, now: dt.datetime, schedule: maintenance.Schedule) -> str:
        raise RuntimeError("disk full")

    monkeypatch.setitem(maintenance.JOBS, "retention", broken)
    assert maintenance.run_due(demo_engine, AFTER, SCHEDULE) == ["retention", "sign_in_records"]
    with Session(demo_engine) as db:
        runs = {r.job: r for r in maintenance.recent_runs(db)}
    assert runs["retention"].ok is False and runs["retention"].detail == "RuntimeError: disk full"
    assert runs["sign_in_records"].ok is True


def test_workers_racing_for_the_same_day_run_each_job_once(demo_engine: Engine) -> None:
    results: list[list[str]] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        results.append(maintenance.run_due(demo_engine, AFTER, SCHEDULE))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(job for ran in results for job in ran) == ["retention", "sign_in_records"]
    with Session(demo_engine) as db:
        assert len(db.exec(select(MaintenanceRun)).all()) == 2


def test_the_running_app_runs_the_daily_jobs_by_itself(sqlite_demo_engine: Engine, tmp_path) -> None:  # noqa: ANN001
    import time

    from litestar.testing import TestClient

    from planner.settings import Settings
    from web.app import create_app

    patient_id = _old_patient(sqlite_demo_engine)
    settings = Settings(data_dir=tmp_path / "var", secret_key="test-secret-key-0123456789",
                        maintenance_interval_seconds=0.1, maintenance_hour=3, retention_days=730)
    app = create_app(settings=settings, engine=sqlite_demo_engine)
    app.state.clock = lambda: AFTER
    with TestClient(app=app, base_url="http://127.0.0.1"):
        deadline = time.monotonic() + 30  # a deadline to wait, not a speed assertion
        while time.monotonic() < deadline:
            with Session(sqlite_demo_engine) as db:
                if len([r for r in maintenance.recent_runs(db) if r.finished_at]) == 2:
                    break
            time.sleep(0.05)
    with Session(sqlite_demo_engine) as db:
        assert {r.job for r in maintenance.recent_runs(db) if r.ok} == {"retention", "sign_in_records"}
        assert db.get(Patient, patient_id).given_name == ERASED
