"""The audit trail: who did what to which object, chained by hashes."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from planner.models.types import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    """One recorded action; ``hash`` covers the row and the previous row's hash."""

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=200)
    role: str = Field(default="", max_length=40)
    action: str = Field(max_length=60)
    object_type: str = Field(default="", max_length=60)
    object_id: str = Field(default="", max_length=60)
    outcome: str = Field(default="ok", max_length=20)
    request_id: str = Field(default="", max_length=64)
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)
