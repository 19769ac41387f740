"""Calendar feeds: secret addresses that calendar apps subscribe to (they cannot sign in).

Only a SHA-256 of each address's secret is stored: the address is shown once, when it is made.
Revoking it (or making a new one, which revokes the old) makes the old address answer 404.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlmodel import Field, SQLModel

from planner.models.types import UTCDateTime, text_enum, utcnow


class FeedKind(StrEnum):
    """What a feed holds."""

    ROSTER = "roster"  # the staff member's published shifts
    APPOINTMENTS = "appointments"  # a clinician's appointments (times and mode, never the patient)


class CalendarFeed(SQLModel, table=True):
    """One secret calendar address of one staff member."""

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staffmember.id", index=True)
    kind: FeedKind = Field(sa_type=text_enum(FeedKind))
    token_hash: str = Field(max_length=64, unique=True, description="SHA-256 (hex) of the secret.")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None, foreign_key="useraccount.id")
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: int | None = Field(default=None, foreign_key="useraccount.id")
    last_used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
