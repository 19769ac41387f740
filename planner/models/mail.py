"""The outbox of e-mails to patients: written in the same transaction as the change they announce."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from planner.models.types import UTCDateTime, utcnow


class MailMessage(SQLModel, table=True):
    """One e-mail waiting to be sent (or sent); a background sender delivers it with retries."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30, description="confirmation, change, cancellation, reminder_48h…")
    to_address: str = Field(max_length=200)
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=Text)
    ics: str | None = Field(default=None, sa_type=Text, description="The .ics attachment, if any.")
    appointment_id: int | None = Field(default=None, foreign_key="appointment.id", index=True)
    dedupe_key: str | None = Field(
        default=None, max_length=120, unique=True,
        description="Set for reminders so that one is never queued twice.",
    )
    status: str = Field(default="pending", max_length=10, description="pending, sent or failed.")
    attempts: int = Field(default=0, ge=0)
    next_attempt_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    claimed_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=500)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
