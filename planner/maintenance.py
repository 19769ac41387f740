"""Daily jobs: retention of patients' data and clean-ups of sign-in records.

Every web worker checks now and then whether today's jobs are due (at or after the configured
local hour); a job is claimed by inserting its (job, day) row, which the database lets exactly one
worker do, so several workers never run the same job twice. A crash leaves the row unfinished:
the administrator's page shows it, and the next day's run starts afresh.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from planner.auth.sessions import Timeouts, purge_expired
from planner.auth.signin import Limits, purge_old_failures
from planner.models import MaintenanceRun, Site
from planner.models.types import utcnow
from planner.privacy.retention import apply_retention

logger = logging.getLogger("creneau.maintenance")


@dataclass(frozen=True)
class Schedule:
    """When the daily jobs run and what they keep."""

    hour: int  # local hour (site's time zone) from which the day's jobs may start
    retention_days: int
    timeouts: Timeouts
    limits: Limits = Limits()


def _retention(engine: Engine, now: dt.datetime, schedule: Schedule) -> str:
    if schedule.retention_days <= 0:
        return "retention off (CRENEAU_RETENTION_DAYS=0)"
    erased = apply_retention(engine, now, schedule.retention_days)
    return f"{len(erased)} patient(s) pseudonymised"


def _sign_in_records(engine: Engine, now: dt.datetime, schedule: Schedule) -> str:
    with Session(engine) as db:
        sessions = purge_expired(db, schedule.timeouts, now)
        purge_old_failures(db, schedule.limits, now)
    return f"{sessions} expired session(s) deleted, old failed sign-ins deleted"


#: The daily jobs, in the order they run.
JOBS: dict[str, Callable[[Engine, dt.datetime, Schedule], str]] = {
    "retention": _retention,
    "sign_in_records": _sign_in_records,
}


def site_zone(engine: Engine) -> ZoneInfo:
    """The time zone of the (first) site."""
    with Session(engine) as db:
        zone = db.exec(select(Site.timezone).order_by(col(Site.id)).limit(1)).first()
    return ZoneInfo(zone or "Europe/Paris")


def claim(engine: Engine, job: str, day: dt.date, now: dt.datetime) -> int | None:
    """Take today's run of ``job``; ``None`` when another worker (or an earlier tick) has it."""
    with Session(engine) as db:
        row = MaintenanceRun(job=job, day=day, started_at=now)
        db.add(row)
        try:
            db.commit()
        except IntegrityError:
            db.rollback()
            return None
        return row.id


def _finish(engine: Engine, run_id: int, ok: bool, detail: str) -> None:
    with Session(engine) as db:
        row = db.get(MaintenanceRun, run_id)
        if row is not None:
            row.finished_at, row.ok, row.detail = utcnow(), ok, detail[:300]
            db.add(row)
            db.commit()


def run_due(engine: Engine, now: dt.datetime, schedule: Schedule) -> list[str]:
    """Run the jobs due at ``now`` that no worker has run today; return the names of those run."""
    local = now.astimezone(site_zone(engine))
    if local.hour < schedule.hour:
        return []
    ran = []
    for job, action in JOBS.items():
        run_id = claim(engine, job, local.date(), now)
        if run_id is None:
            continue
        try:
            detail = action(engine, now, schedule)
        except Exception as exc:  # noqa: BLE001 - recorded for the administrator, then the next job
            logger.exception("daily job %s failed", job)
            _finish(engine, run_id, False, f"{type(exc).__name__}: {exc}")
        else:
            _finish(engine, run_id, True, detail)
        ran.append(job)
    return ran


def recent_runs(session: Session, limit: int = 20) -> list[MaintenanceRun]:
    """The latest runs, newest first."""
    return list(session.exec(select(MaintenanceRun).order_by(col(MaintenanceRun.started_at).desc(),
                                                             col(MaintenanceRun.id).desc()).limit(limit)))
