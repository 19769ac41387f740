"""Scheduled jobs (retention, clean-ups): one row per job and day, so one worker runs each."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel, UniqueConstraint

from planner.models.types import UTCDateTime, utcnow


class MaintenanceRun(SQLModel, table=True):
    """A run of a daily job; the unique (job, day) pair lets exactly one worker claim it."""

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=40)
    day: dt.date
    started_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    ok: bool | None = Field(default=None, description="None while running.")
    detail: str = Field(default="", max_length=300, description="What the run did, in numbers.")

    __table_args__ = (UniqueConstraint("job", "day"),)
