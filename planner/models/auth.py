"""Server-side staff sessions and failed sign-in attempts (for throttling)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from planner.models.types import UTCDateTime, utcnow


class StaffSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored here."""

    id: str = Field(primary_key=True, max_length=64, description="SHA-256 of the cookie token.")
    user_id: int = Field(foreign_key="useraccount.id", index=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    csrf_token: str = Field(max_length=64, description="Token every state-changing form sends back.")
    second_factor_ok: bool = Field(
        default=False, description="The TOTP step is done (or not needed for this account)."
    )
    ip: str = Field(default="", max_length=64)


class SigninFailure(SQLModel, table=True):
    """One refused sign-in, counted per account and per address to slow down guessing."""

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    account: str = Field(max_length=200, index=True)
    ip: str = Field(max_length=64, index=True)
