"""Free slots: by motif, profession, clinician, mode and date, in the site's local time.

A slot is free when it is not withdrawn, no active appointment holds it, it is released (urgent
slots are held back until the morning), and it starts between the motif's minimum notice and its
booking horizon.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import exists, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import NoResultFound
from sqlmodel import Session

from planner.booking.clock import local_day_range, monday_of, zone
from planner.models import ACTIVE_STATUSES, Appointment, Mode, Motif, Slot

_ACTIVE = [s.value for s in ACTIVE_STATUSES]


class FreeSlot(NamedTuple):
    """A slot that can be booked now, with its local times (a named tuple: cheap to build)."""

    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    motif_id: int
    staff_id: int
    clinician: str
    profession: str
    mode: Mode

    def local_start(self, tz: ZoneInfo) -> dt.datetime:
        """Start in the site's zone."""
        return self.starts_at.astimezone(tz)

    def local_end(self, tz: ZoneInfo) -> dt.datetime:
        """End in the site's zone."""
        return self.ends_at.astimezone(tz)


@dataclass(frozen=True)
class SlotQuery:
    """What the patient looks for; every criterion is optional."""

    motif_id: int | None = None
    profession: str | None = None
    staff_id: int | None = None
    mode: Mode | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    exclude_slot_id: int | None = None
    limit: int = 1000


def booking_window(motif: Motif, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """Earliest and latest start a patient may book for ``motif`` at ``now``."""
    return (now + dt.timedelta(minutes=motif.min_notice_minutes),
            now + dt.timedelta(days=motif.horizon_days))


def unbookable_reason(slot: Slot, motif: Motif, now: dt.datetime) -> str | None:
    """Why ``slot`` cannot be booked at ``now`` (ignoring other bookings), or ``None``."""
    earliest, latest = booking_window(motif, now)
    if slot.withdrawn:
        return "withdrawn"
    if slot.held_until is not None and slot.held_until > now:
        return "not_released"
    if slot.starts_at < earliest:
        return "too_soon"
    if slot.starts_at > latest:
        return "too_far"
    return None


#: Written out literally: SQLite uses the partial unique index only when the query repeats its
#: ``WHERE`` clause with the same constants (bound parameters would make it scan the table).
ACTIVE_STATUS_SQL = text("appointment.status IN ({})".format(", ".join(f"'{s}'" for s in _ACTIVE)))


def active_appointment_exists():  # noqa: ANN201 - SQL expression
    """``EXISTS`` an active appointment on the slot (served by the partial unique index)."""
    return exists().where(Appointment.slot_id == Slot.id, ACTIVE_STATUS_SQL)


# The free-slot search serves every week grid and the API, so it runs plain SQL on the driver's
# cursor (no statement building, no ORM objects). Instants are compared in the columns' stored
# form: naive UTC (PostgreSQL ``timestamp``; on SQLite the text SQLAlchemy writes for ``DateTime``).
_MOTIF_SQL = "SELECT id, min_notice_minutes, horizon_days FROM motif WHERE motif.active"
_SLOT_SQL = (
    "SELECT slot.id, slot.starts_at, slot.ends_at, slot.motif_id, slot.staff_id, slot.mode "
    "FROM slot WHERE ({windows}) AND NOT slot.withdrawn "
    "AND (slot.held_until IS NULL OR slot.held_until <= ?) "
    "AND NOT EXISTS (SELECT 1 FROM appointment WHERE appointment.slot_id = slot.id AND "
    + ACTIVE_STATUS_SQL.text + "){extra} ORDER BY slot.starts_at, slot.id LIMIT ?"
)
_WINDOW_SQL = "(slot.motif_id = ? AND slot.starts_at >= ? AND slot.starts_at < ?)"
_STAFF_SQL = ("SELECT id, title, given_name, family_name, profession FROM staffmember "
              "WHERE id IN ({})")
_MODES = {mode.value: mode for mode in Mode}


class _Raw:
    """The DB-API connection under a session or connection, for the SQL above (``?`` placeholders)."""

    __slots__ = ("connection", "qmark", "sqlite")

    def __init__(self, db: Session | Connection) -> None:
        connection = db if isinstance(db, Connection) else db.connection()
        self.connection = connection.connection
        self.qmark = connection.dialect.paramstyle == "qmark"
        self.sqlite = connection.dialect.name == "sqlite"

    def rows(self, sql: str, params: list) -> list[tuple]:
        """All rows of ``sql``."""
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql if self.qmark else sql.replace("?", "%s"), tuple(params))
            return cursor.fetchall()
        finally:
            cursor.close()

    def instant(self, instant: dt.datetime):  # noqa: ANN201 - str or datetime
        """``instant`` as :class:`planner.models.types.UTCDateTime` stores it (naive UTC)."""
        naive = instant.astimezone(dt.UTC).replace(tzinfo=None)
        return naive.isoformat(" ", "microseconds") if self.sqlite else naive


def read_instant(value: dt.datetime | str) -> dt.datetime:
    """A stored instant, timezone-aware (UTC)."""
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value + "+00:00")
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _motif_rows(raw: _Raw, query: SlotQuery) -> list[tuple]:
    sql, params = _MOTIF_SQL, []
    for column, value in (("id", query.motif_id), ("profession", query.profession),
                          ("mode", query.mode.value if query.mode is not None else None)):
        if value is not None:
            sql += f" AND motif.{column} = ?"
            params.append(value)
    return raw.rows(sql, params)


@dataclass(frozen=True)
class FreeSlotRows:
    """Free slots as the database gives them: ``(id, starts_at, ends_at, motif_id, staff_id,
    mode)`` with instants in their stored form (read them with :func:`read_instant`), and each
    clinician's ``(name, profession)`` by staff id. For callers that format hundreds of slots."""

    rows: list[tuple]
    staff: dict[int, tuple[str, str]]


class _Window(NamedTuple):
    motif_id: int
    min_notice: int
    horizon: int
    earliest: dt.datetime
    latest: dt.datetime


def _windows(raw: _Raw, query: SlotQuery, now: dt.datetime,
             motifs: list[tuple[int, int, int]] | None) -> list[_Window]:
    """Each matching motif's booking window at ``now``, narrowed to the query's period."""
    windows = []
    for motif_id, min_notice, horizon in _motif_rows(raw, query) if motifs is None else motifs:
        earliest = now + dt.timedelta(minutes=min_notice)
        latest = now + dt.timedelta(days=horizon)
        if query.start is not None:
            earliest = max(earliest, query.start)
        if query.end is not None:
            latest = min(latest, query.end)
        windows.append(_Window(motif_id, min_notice, horizon, earliest, latest))
    return windows


def free_slot_rows(db: Session | Connection, query: SlotQuery, now: dt.datetime,
                   motifs: list[tuple[int, int, int]] | None = None) -> FreeSlotRows:
    """Free slots matching ``query``, earliest first, unconverted (see :func:`free_slots`).

    ``motifs``: the ``(id, min_notice_minutes, horizon_days)`` of the active motifs matching
    ``query``, when the caller has just read them (see :func:`active_motif_zone`).
    """
    raw = _Raw(db)
    windows, params = [], []
    for window in _windows(raw, query, now, motifs):
        if window.earliest < window.latest:
            windows.append(_WINDOW_SQL)
            params += [window.motif_id, raw.instant(window.earliest), raw.instant(window.latest)]
    if not windows:
        return FreeSlotRows([], {})
    params.append(raw.instant(now))
    extra = ""
    if query.staff_id is not None:
        extra += " AND slot.staff_id = ?"
        params.append(query.staff_id)
    if query.exclude_slot_id is not None:
        extra += " AND slot.id <> ?"
        params.append(query.exclude_slot_id)
    params.append(query.limit)
    rows = raw.rows(_SLOT_SQL.format(windows=" OR ".join(windows), extra=extra), params)
    if not rows:
        return FreeSlotRows([], {})
    staff_ids = sorted({row[4] for row in rows})
    staff = {row[0]: (" ".join(filter(None, row[1:4])), row[4])
             for row in raw.rows(_STAFF_SQL.format(", ".join("?" * len(staff_ids))), staff_ids)}
    return FreeSlotRows(rows, staff)


#: "No change foreseen": the answer holds until the data change.
FOREVER = dt.datetime.max.replace(tzinfo=dt.UTC)
_NEXT_START_SQL = ("SELECT slot.starts_at FROM slot WHERE slot.motif_id = ? AND slot.starts_at >= ? "
                   "ORDER BY slot.starts_at LIMIT 1")
_NEXT_RELEASE_SQL = ("SELECT MIN(slot.held_until) FROM slot WHERE slot.motif_id = ? "
                     "AND slot.starts_at >= ? AND slot.starts_at {upper} ? AND slot.held_until > ?")


def free_slots_stable_until(db: Session | Connection, query: SlotQuery, now: dt.datetime,
                            found: FreeSlotRows, motifs: list[tuple[int, int, int]] | None = None,
                            *, end_follows_now: bool = False) -> dt.datetime:
    """Until when ``found`` (the answer of :func:`free_slot_rows` at ``now``) stays the answer
    while the data do not change: time alone changes it when a listed slot falls within the
    minimum notice, when the horizon (or a period that follows "now") reaches a further slot, or
    when a held slot is released. The instant returned is never later than the first of these
    (it may be earlier). ``end_follows_now``: the query's end was computed from ``now`` (no
    ``to``) and moves with it; a start that follows ``now`` only takes listed slots away, which
    the minimum notice's bound already covers.
    """
    raw = _Raw(db)
    windows = _windows(raw, query, now, motifs)
    notice = {window.motif_id: dt.timedelta(minutes=window.min_notice) for window in windows}
    until = FOREVER
    rows = found.rows
    for row in rows:  # a listed slot goes when "now + notice" (or "now") passes its start
        until = min(until, read_instant(row[1]) - notice[row[3]])
    full = len(rows) >= query.limit
    for window in windows:
        follows = end_follows_now or query.end is None or now + dt.timedelta(days=window.horizon) < query.end
        if follows and not full:  # the end moves (at most as fast as "now"): the next slot comes in
            later = raw.rows(_NEXT_START_SQL, [window.motif_id, raw.instant(window.latest)])
            if later:
                until = min(until, now + (read_instant(later[0][0]) - window.latest))
        if window.earliest >= window.latest:
            continue
        # A held slot comes in at its release (when it would be listed: before the last of a full page).
        upper, bound = ("<=", read_instant(rows[-1][1])) if full else ("<", window.latest)
        released = raw.rows(_NEXT_RELEASE_SQL.format(upper=upper), [
            window.motif_id, raw.instant(window.earliest), raw.instant(min(bound, window.latest)),
            raw.instant(now)])
        if released and released[0][0] is not None:
            until = min(until, read_instant(released[0][0]))
    return until


def free_slots(db: Session | Connection, query: SlotQuery, now: dt.datetime) -> list[FreeSlot]:
    """Free slots matching ``query``, earliest first."""
    found = free_slot_rows(db, query, now)
    rows, staff = found.rows, found.staff
    if rows and isinstance(rows[0][1], str):  # SQLite: ISO 8601 text in UTC, parsed in C
        parse = dt.datetime.fromisoformat
        return [FreeSlot(slot_id, parse(starts_at + "+00:00"), parse(ends_at + "+00:00"), motif_id,
                         staff_id, *staff[staff_id], _MODES[mode])
                for slot_id, starts_at, ends_at, motif_id, staff_id, mode in rows]
    return [FreeSlot(slot_id, read_instant(starts_at), read_instant(ends_at), motif_id, staff_id,
                     *staff[staff_id], _MODES[mode])
            for slot_id, starts_at, ends_at, motif_id, staff_id, mode in rows]


@dataclass(frozen=True)
class WeekView:
    """Free slots of one local week (Monday to Sunday), grouped by day."""

    monday: dt.date
    days: list[tuple[dt.date, list[FreeSlot]]]
    next_free: FreeSlot | None
    timezone: ZoneInfo

    @property
    def is_empty(self) -> bool:
        """Whether the week holds no free slot."""
        return not any(slots for _day, slots in self.days)


def site_zone(db: Session | Connection, site_id: int) -> ZoneInfo:
    """The IANA zone of a site."""
    rows = _Raw(db).rows("SELECT timezone FROM site WHERE id = ?", [site_id])
    if len(rows) != 1:
        raise NoResultFound("No row was found when one was required")
    return zone(rows[0][0])


def week_view(db: Session, motif: Motif, monday: dt.date, now: dt.datetime,
              staff_id: int | None = None, exclude_slot_id: int | None = None) -> WeekView:
    """The free slots of ``motif`` in the local week starting ``monday``, and the next one after."""
    tz = site_zone(db, motif.site_id)
    monday = monday_of(monday)
    start, end = local_day_range(monday, monday + dt.timedelta(days=7), tz)
    slots = free_slots(db, SlotQuery(motif_id=motif.id, staff_id=staff_id, start=start, end=end,
                                     exclude_slot_id=exclude_slot_id), now)
    days: list[tuple[dt.date, list[FreeSlot]]] = [
        (monday + dt.timedelta(days=i), []) for i in range(7)]
    for slot in slots:
        days[(slot.local_start(tz).date() - monday).days][1].append(slot)
    next_free = None
    if not slots:
        later = free_slots(db, SlotQuery(motif_id=motif.id, staff_id=staff_id, start=end,
                                         exclude_slot_id=exclude_slot_id, limit=1), now)
        next_free = later[0] if later else None
    return WeekView(monday=monday, days=days, next_free=next_free, timezone=tz)


@dataclass(frozen=True)
class MotifZone:
    """An active motif's booking window and its site's zone."""

    id: int
    min_notice_minutes: int
    horizon_days: int
    timezone: ZoneInfo


def active_motif_zone(db: Session | Connection, key: str) -> MotifZone | None:
    """The active motif whose id (all digits) or code is ``key``, with its site's zone."""
    column, value = ("id", int(key)) if key.isdigit() else ("code", key)
    rows = _Raw(db).rows(
        "SELECT motif.id, motif.min_notice_minutes, motif.horizon_days, site.timezone FROM motif "
        f"JOIN site ON site.id = motif.site_id WHERE motif.{column} = ? AND motif.active", [value])
    return MotifZone(*rows[0][:3], zone(rows[0][3])) if rows else None
