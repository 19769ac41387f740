"""Cached free-slot answers that are never stale.

An answer is kept with the two things it depends on besides the request itself:

- the database's **booking generation**, a counter that triggers (migration 0007) bump at each
  committed change of appointments, slots, motifs, sites or staff, whoever makes it (this app,
  another process, raw SQL). A reader reads the counter *before* the data, so an answer cached
  under a generation is never older than that generation;
- the **time span** ``[since, until)`` in which the answer cannot change on its own (minimum
  notice, booking horizon and release times move with "now"; see
  :func:`planner.booking.availability.free_slots_stable_until`).

When the triggers are missing (a database migrated by an older version, or a later migration that
rebuilt a table on SQLite and dropped them), nothing is cached.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import weakref
from collections.abc import Hashable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger("creneau.booking")

#: The tables whose changes bump the counter (kept in step with migration 0007).
TRACKED_TABLES = ("appointment", "slot", "motif", "site", "staffmember")
_SQLITE_EVENTS = ("insert", "update", "delete")
GENERATION_SQL = "SELECT value FROM booking_generation WHERE id = 1"


def _expected_triggers(dialect: str) -> set[str]:
    if dialect == "postgresql":
        return {f"booking_generation_{table}{suffix}" for table in TRACKED_TABLES
                for suffix in ("", "_truncate")}
    return {f"booking_generation_{table}_{event}" for table in TRACKED_TABLES for event in _SQLITE_EVENTS}


def generation_triggers_present(connection: Connection) -> bool:
    """Whether every trigger that bumps the counter is installed (and enabled, on PostgreSQL)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        sql = ("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'booking_generation_%' "
               "AND tgenabled <> 'D'")
    elif dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'booking_generation_%'"
    else:
        return False
    names = {row[0] for row in connection.execute(text(sql))}
    return _expected_triggers(dialect) <= names


def prepare_generation(engine: Engine) -> bool:
    """Create the counter's row when missing; ``True`` when the counter can key a cache.

    ``False`` (nothing is cached, answers are computed each time) when the triggers are missing or
    the database cannot be read or written for this (not migrated, read-only, locked too long).
    """
    try:
        with engine.connect() as connection:
            if not generation_triggers_present(connection):
                return False
            if connection.execute(text(GENERATION_SQL)).first() is None:
                connection.execute(text("INSERT INTO booking_generation (id, value) VALUES (1, 0) "
                                        "ON CONFLICT (id) DO NOTHING"))
                connection.commit()
    except SQLAlchemyError:
        logger.warning("free-slot answers are not cached: the booking generation is unavailable",
                       exc_info=True)
        return False
    return True


def read_generation(dbapi_connection) -> int | None:  # noqa: ANN001 - a DB-API connection
    """The counter's value (``None`` when its row is missing), read with one tiny query."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(GENERATION_SQL)
        row = cursor.fetchone()
    finally:
        cursor.close()
    return None if row is None else row[0]


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """An encoded answer, valid under ``generation`` for ``since <= now < until``."""

    generation: int
    since: dt.datetime
    until: dt.datetime
    body: bytes


class AnswerCache:
    """Encoded answers by request key, bounded in number and in bytes (the oldest key goes first).

    Lookups take no lock; stores do (they happen once per key and generation).
    """

    def __init__(self, engine: Engine, max_entries: int = 4096, max_bytes: int = 32 << 20) -> None:
        self.engine = engine
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: dict[Hashable, CachedAnswer] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self._usable: bool | None = None
        self._reader = None  # SQLite: a connection of its own for the counter (see local_generation)
        self._reader_lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def usable(self) -> bool:
        """Whether the database keeps the counter (checked once, on first use)."""
        if self._usable is None:
            self._usable = prepare_generation(self.engine)
        return self._usable

    def local_generation(self) -> int | None:
        """SQLite only: the counter, read on a connection this cache keeps for it (a pool checkout
        costs several times the query). ``None`` when there is no counter."""
        if not self.usable or not self._reader_lock.acquire(blocking=False):
            return self.generation_on(None)
        try:
            if self._reader is None:
                reader = self.engine.raw_connection()
                reader.detach()  # out of the pool for good; closed with the cache
                weakref.finalize(self, reader.close)
                self._reader = reader
            return read_generation(self._reader.dbapi_connection)
        except self.engine.dialect.loaded_dbapi.Error:
            logger.warning("cannot read the booking generation: this answer is not cached", exc_info=True)
            self._reader = None  # opened again next time
            return None
        finally:
            self._reader_lock.release()

    def generation_on(self, dbapi_connection) -> int | None:  # noqa: ANN001 - DB-API connection
        """The counter read on ``dbapi_connection`` (a connection of the pool when ``None``)."""
        if not self.usable:
            return None
        if dbapi_connection is not None:
            return read_generation(dbapi_connection)
        pooled = self.engine.raw_connection()
        try:
            return read_generation(pooled.dbapi_connection)
        finally:
            pooled.close()

    def get(self, key: Hashable, generation: int | None, now: dt.datetime) -> bytes | None:
        """The answer for ``key`` if it is still right at ``generation`` and ``now``."""
        entry = self._entries.get(key)
        if (entry is not None and generation is not None and entry.generation == generation
                and entry.since <= now < entry.until):
            self.hits += 1
            return entry.body
        self.misses += 1
        return None

    def put(self, key: Hashable, generation: int | None, since: dt.datetime, until: dt.datetime,
            body: bytes) -> None:
        """Keep ``body`` for ``key``; ``generation`` must have been read before the data."""
        if generation is None or until <= since or len(body) > self.max_bytes:
            return
        with self._lock:
            entries = self._entries
            old = entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            while entries and (len(entries) >= self.max_entries
                               or self._bytes + len(body) > self.max_bytes):
                self._bytes -= len(entries.pop(next(iter(entries))).body)
            entries[key] = CachedAnswer(generation, since, until, body)
            self._bytes += len(body)

    def clear(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0
