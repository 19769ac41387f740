"""Sites (with their IANA time zone) and rooms."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class Site(SQLModel, table=True):
    """A health centre, hospital service or pharmacy."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    timezone: str = Field(default="Europe/Paris", max_length=64)
    address: str = Field(default="", max_length=300)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=200)


class Room(SQLModel, table=True):
    """A consultation room; in-person appointments need one, video ones do not."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    name: str = Field(max_length=100)
