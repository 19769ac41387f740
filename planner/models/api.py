"""API tokens for system clients (the FHIR API): only a SHA-256 of each token is stored."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from planner.models.types import UTCDateTime, utcnow


class ApiToken(SQLModel, table=True):
    """A bearer token given to one system client, with the scopes it may use."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, description="Who holds the token (a program, a partner).")
    token_hash: str = Field(max_length=64, unique=True, description="SHA-256 (hex) of the token.")
    scopes: str = Field(default="", max_length=300, description="Space-separated scopes.")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def scope_set(self) -> frozenset[str]:
        """The scopes as a set."""
        return frozenset(self.scopes.split())
