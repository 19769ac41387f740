"""The audit trail: append-only rows chained by SHA-256 hashes.

Every read or change of patient data, every export and every refused attempt is recorded with
:func:`record`. Rows are never updated nor deleted: the database refuses it (triggers created by
migration 0003) and so does the ORM (:func:`_refuse_changes`). Each row's ``hash`` covers its
fields and the previous row's hash, so an edit made behind the application's back shows up in
:func:`verify_chain`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from planner.models import AuditEvent
from planner.models.types import utcnow

GENESIS = "0" * 64
_lock = threading.Lock()


class AuditTamperingError(RuntimeError):
    """Raised when code tries to change or delete an audit row."""


@event.listens_for(Session, "before_flush")
def _refuse_changes(session, _context, _instances) -> None:  # noqa: ANN001 - SQLAlchemy hook
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTamperingError("audit rows cannot be changed or deleted")


def row_hash(prev_hash: str, at: dt.datetime, actor: str, role: str, action: str,
             object_type: str, object_id: str, outcome: str, request_id: str) -> str:
    """The hash of one row given the previous row's hash."""
    instant = at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    material = "\x1f".join([prev_hash, instant, actor, role, action, object_type, object_id,
                            outcome, request_id])
    return hashlib.sha256(material.encode()).hexdigest()


def _hash_of(event_row: AuditEvent) -> str:
    return row_hash(event_row.prev_hash, event_row.at, event_row.actor, event_row.role,
                    event_row.action, event_row.object_type, event_row.object_id,
                    event_row.outcome, event_row.request_id)


def record(engine: Engine, *, actor: str, action: str, role: str = "", object_type: str = "",
           object_id: str | int = "", outcome: str = "ok", request_id: str = "") -> AuditEvent:
    """Append one row in its own transaction (so refusals are kept even when a request fails)."""
    with _lock, Session(engine, expire_on_commit=False) as db:
        if engine.dialect.name == "postgresql":
            db.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
        last = db.exec(select(AuditEvent.hash).order_by(col(AuditEvent.id).desc()).limit(1)).first()
        row = AuditEvent(
            at=utcnow(), actor=actor[:200], role=role[:40],
            action=action[:60], object_type=object_type[:60], object_id=str(object_id)[:60],
            outcome=outcome[:20], request_id=request_id[:64], prev_hash=last or GENESIS,
        )
        row.hash = _hash_of(row)
        db.add(row)
        db.commit()
        return row


@dataclass(frozen=True)
class ChainCheck:
    """Result of :func:`verify_chain`: how many rows were checked and the first bad one."""

    checked: int
    first_broken_id: int | None

    @property
    def intact(self) -> bool:
        """Whether every row matches its hash and its predecessor."""
        return self.first_broken_id is None


def verify_chain(db: Session) -> ChainCheck:
    """Recompute every hash in order; report the first row that does not match."""
    previous = GENESIS
    checked = 0
    for row in db.exec(select(AuditEvent).order_by(col(AuditEvent.id))):
        if row.prev_hash != previous or _hash_of(row) != row.hash:
            return ChainCheck(checked, row.id)
        previous = row.hash
        checked += 1
    return ChainCheck(checked, None)


@dataclass(frozen=True)
class AuditQuery:
    """Filters of the audit search; empty fields match everything."""

    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    outcome: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def search(db: Session, query: AuditQuery, limit: int = 200) -> list[AuditEvent]:
    """Newest first, at most ``limit`` rows."""
    statement = select(AuditEvent)
    if query.actor:
        statement = statement.where(col(AuditEvent.actor).contains(query.actor.strip()))
    for field in ("action", "object_type", "object_id", "outcome"):
        value = getattr(query, field).strip()
        if value:
            statement = statement.where(getattr(AuditEvent, field) == value)
    if query.since:
        statement = statement.where(col(AuditEvent.at) >= query.since)
    if query.until:
        statement = statement.where(col(AuditEvent.at) < query.until)
    return list(db.exec(statement.order_by(col(AuditEvent.id).desc()).limit(limit)))
