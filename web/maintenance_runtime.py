"""The daily jobs' part of the running app: a background check every few minutes."""

from __future__ import annotations

import datetime as dt
import logging

from litestar import Litestar

from planner.maintenance import Schedule, run_due
from planner.settings import Settings
from web.auth import timeouts_of
from web.background import every, start_task, stop_task

logger = logging.getLogger("creneau.maintenance")


def schedule_of(settings: Settings) -> Schedule:
    """What the daily jobs need from the settings."""
    return Schedule(hour=settings.maintenance_hour, retention_days=settings.retention_days,
                    timeouts=timeouts_of(settings))


async def _run(app: Litestar) -> None:
    settings: Settings = app.state.settings
    schedule, engine = schedule_of(settings), app.state.engine

    def check(now: dt.datetime) -> None:
        ran = run_due(engine, now, schedule)
        if ran:
            logger.info("daily jobs run: %s", ", ".join(ran))

    await every(app, settings.maintenance_interval_seconds, check, logger, "daily jobs check")


async def start_daily_jobs(app: Litestar) -> None:
    """``on_startup``: start checking (unless ``CRENEAU_MAINTENANCE_INTERVAL_SECONDS`` is 0)."""
    if app.state.settings.maintenance_interval_seconds > 0:
        start_task(app, "maintenance_task", _run(app))


async def stop_daily_jobs(app: Litestar) -> None:
    """``on_shutdown``: stop checking."""
    await stop_task(app, "maintenance_task")
