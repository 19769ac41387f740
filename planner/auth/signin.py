"""Checking a password: identical answers for known and unknown accounts, throttled guessing."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from functools import cache

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from planner.models import SigninFailure, UserAccount
from planner.models.types import utcnow
from planner.passwords import hash_password, verify_password


class Outcome(enum.Enum):
    """Result of a sign-in attempt."""

    OK = "ok"
    REFUSED = "refused"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class Limits:
    """Refused attempts allowed per account and per address within a window."""

    per_account: int = 5
    per_ip: int = 20
    window: dt.timedelta = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class Attempt:
    """What a sign-in attempt gave; ``user`` only when ``outcome`` is OK."""

    outcome: Outcome
    user: UserAccount | None = None


@cache
def _decoy_hash() -> str:
    """A hash checked for unknown accounts, so that they take as long as known ones."""
    return hash_password("decoy password that matches nothing")


def normalise_email(email: str) -> str:
    """E-mail addresses compare case-insensitively, without surrounding spaces."""
    return email.strip().lower()[:200]


def is_throttled(db: Session, account: str, ip: str, limits: Limits,
                 now: dt.datetime | None = None) -> bool:
    """Whether too many refused attempts were made recently for this account or address."""
    since = (now or utcnow()) - limits.window
    by_account = db.exec(select(func.count()).select_from(SigninFailure).where(
        SigninFailure.account == account, col(SigninFailure.at) >= since)).one()
    by_ip = db.exec(select(func.count()).select_from(SigninFailure).where(
        SigninFailure.ip == ip, col(SigninFailure.at) >= since)).one()
    return by_account >= limits.per_account or by_ip >= limits.per_ip


def record_failure(db: Session, account: str, ip: str) -> None:
    """Count one refused attempt (also used for a wrong second-factor code)."""
    db.add(SigninFailure(account=account, ip=ip[:64]))
    db.commit()


def check_password(db: Session, email: str, password: str, ip: str, limits: Limits) -> Attempt:
    """Check an e-mail and password; unknown, inactive and wrong all answer REFUSED alike."""
    account = normalise_email(email)
    if is_throttled(db, account, ip, limits):
        return Attempt(Outcome.THROTTLED)
    user = db.exec(select(UserAccount).where(func.lower(UserAccount.email) == account)).first()
    if user is None or not user.active:
        verify_password(_decoy_hash(), password)
        record_failure(db, account, ip)
        return Attempt(Outcome.REFUSED)
    if not verify_password(user.password_hash, password):
        record_failure(db, account, ip)
        return Attempt(Outcome.REFUSED)
    return Attempt(Outcome.OK, user)


def forget_failures(db: Session, account: str) -> None:
    """After a successful sign-in, the account's earlier failures no longer count."""
    db.exec(delete(SigninFailure).where(col(SigninFailure.account) == account))  # type: ignore[call-overload]
    db.commit()


def purge_old_failures(db: Session, limits: Limits, now: dt.datetime | None = None) -> None:
    """Delete failures older than the window."""
    db.exec(delete(SigninFailure).where(  # type: ignore[call-overload]
        col(SigninFailure.at) < (now or utcnow()) - limits.window))
    db.commit()
