"""Server-side staff sessions stored in the database (shared by every worker, kept on restart).

The browser holds a random token; the table holds its SHA-256, so a copy of the database does not
give anybody a usable session. A new token is issued at every sign-in and at the second factor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, delete, select

from planner.models import StaffMember, StaffSession, UserAccount
from planner.models.types import utcnow

#: ``last_seen_at`` is written at most this often (it is what the idle timeout reads).
TOUCH_EVERY = dt.timedelta(seconds=20)


def token_hash(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Timeouts:
    """How long a session lives without a request, and at most."""

    idle: dt.timedelta
    absolute: dt.timedelta


@dataclass(frozen=True)
class ActiveSession:
    """A live session and its account."""

    token_id: str
    user: UserAccount
    csrf_token: str
    second_factor_ok: bool
    created_at: dt.datetime
    display_name: str = ""


def start_session(db: Session, user: UserAccount, *, second_factor_ok: bool, ip: str = "",
                  replaces: str | None = None) -> str:
    """Create a session for ``user`` and return the new cookie token.

    ``replaces`` (a previous token) is deleted: the id always changes when privileges change.
    """
    if replaces:
        end_session(db, replaces)
    token = secrets.token_urlsafe(32)
    assert user.id is not None
    db.add(StaffSession(id=token_hash(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                        second_factor_ok=second_factor_ok, ip=ip[:64]))
    db.commit()
    return token


def load_session(db: Session, token: str | None, timeouts: Timeouts,
                 now: dt.datetime | None = None) -> ActiveSession | None:
    """The live session of ``token``, or ``None``; an expired session is deleted on sight."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    row = db.get(StaffSession, token_hash(token))
    if row is None:
        return None
    user = db.get(UserAccount, row.user_id)
    expired = (now - row.last_seen_at > timeouts.idle or now - row.created_at > timeouts.absolute)
    if expired or user is None or not user.active:
        db.delete(row)
        db.commit()
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
        db.add(row)
        db.commit()
    member = db.get(StaffMember, user.staff_id) if user.staff_id else None
    name = member.display_name if member else user.email
    return ActiveSession(row.id, user, row.csrf_token, row.second_factor_ok, row.created_at, name)


def end_session(db: Session, token: str) -> None:
    """Delete the session of ``token`` (sign-out): the cookie is worthless afterwards."""
    db.exec(delete(StaffSession).where(col(StaffSession.id) == token_hash(token)))  # type: ignore[call-overload]
    db.commit()


def end_all_sessions(db: Session, user_id: int) -> int:
    """Delete every session of an account (e.g. after a password change); return how many."""
    rows = db.exec(select(StaffSession).where(StaffSession.user_id == user_id)).all()
    for row in rows:
        db.delete(row)
    db.commit()
    return len(rows)


def purge_expired(db: Session, timeouts: Timeouts, now: dt.datetime | None = None) -> int:
    """Delete sessions past either timeout; return how many."""
    now = now or utcnow()
    rows = db.exec(select(StaffSession).where(
        (col(StaffSession.last_seen_at) < now - timeouts.idle)
        | (col(StaffSession.created_at) < now - timeouts.absolute))).all()
    for row in rows:
        db.delete(row)
    db.commit()
    return len(rows)
