"""Staff members, their skills and contracts, and user accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from planner.models.enums import Profession, Role
from planner.models.types import UTCDateTime, text_enum, utcnow


class Contract(SQLModel, table=True):
    """Working-time limits shared by staff on the same contract (per rostering period of 4 weeks)."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    name: str = Field(max_length=100)
    min_minutes_per_4_weeks: int = Field(default=0, ge=0)
    max_minutes_per_4_weeks: int = Field(default=9600, ge=0)
    max_consecutive_shifts: int = Field(default=5, ge=1)
    min_consecutive_shifts: int = Field(default=1, ge=1)
    min_consecutive_days_off: int = Field(default=1, ge=1)
    max_weekends_per_4_weeks: int = Field(default=2, ge=0)
    min_rest_minutes: int = Field(default=660, ge=0)
    max_minutes_per_7_days: int = Field(default=2880, ge=0)


class StaffMember(SQLModel, table=True):
    """A person who works at a site."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    code: str = Field(max_length=20)
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    title: str = Field(default="", max_length=20)
    profession: Profession = Field(sa_type=text_enum(Profession))
    contract_id: int | None = Field(default=None, foreign_key="contract.id")
    works_shifts: bool = Field(default=False, description="Part of the rostered shift team.")
    holds_sessions: bool = Field(default=False, description="Holds bookable consultation sessions.")
    max_shifts: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False),
        description="Per shift-type code, the most shifts of that type in a 4-week period.",
    )
    active: bool = Field(default=True)

    __table_args__ = (UniqueConstraint("site_id", "code"),)

    @property
    def display_name(self) -> str:
        """Name as shown to patients and colleagues."""
        prefix = f"{self.title} " if self.title else ""
        return f"{prefix}{self.given_name} {self.family_name}"


class Skill(SQLModel, table=True):
    """A qualification that a cover requirement may ask for."""

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=100)

    __table_args__ = (UniqueConstraint("site_id", "code"),)


class StaffSkill(SQLModel, table=True):
    """Which staff member holds which skill."""

    staff_id: int = Field(foreign_key="staffmember.id", primary_key=True)
    skill_id: int = Field(foreign_key="skill.id", primary_key=True)


class UserAccount(SQLModel, table=True):
    """A personal sign-in for a staff member (patients never need one)."""

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=200, unique=True)
    password_hash: str = Field(max_length=200)
    role: Role = Field(sa_type=text_enum(Role))
    staff_id: int | None = Field(default=None, foreign_key="staffmember.id", index=True)
    totp_secret: str | None = Field(default=None, max_length=64)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
