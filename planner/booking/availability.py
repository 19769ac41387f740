"""Free slots: by motif, profession, clinician, mode and date, in the site's local time.

A slot is free when it is not withdrawn, no active appointment holds it, it is released (urgent
slots are held back until the morning), and it starts between the motif's minimum notice and its
booking horizon.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, false, or_, select, text
from sqlmodel import Session, col

from planner.booking.clock import local_day_range, monday_of, zone
from planner.models import ACTIVE_STATUSES, Appointment, Mode, Motif, Site, Slot, StaffMember

_ACTIVE = [s.value for s in ACTIVE_STATUSES]


@dataclass(frozen=True)
class FreeSlot:
    """A slot that can be booked now, with its local times."""

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


def _motifs(db: Session, query: SlotQuery) -> list[Motif]:
    statement = select(Motif).where(col(Motif.active))
    if query.motif_id is not None:
        statement = statement.where(Motif.id == query.motif_id)
    if query.profession is not None:
        statement = statement.where(Motif.profession == query.profession)
    if query.mode is not None:
        statement = statement.where(Motif.mode == query.mode)
    return list(db.execute(statement).scalars())


def free_slots(db: Session, query: SlotQuery, now: dt.datetime) -> list[FreeSlot]:
    """Free slots matching ``query``, earliest first."""
    windows = []
    for motif in _motifs(db, query):
        earliest, latest = booking_window(motif, now)
        if query.start is not None:
            earliest = max(earliest, query.start)
        if query.end is not None:
            latest = min(latest, query.end)
        if earliest < latest:
            windows.append(and_(Slot.motif_id == motif.id, Slot.starts_at >= earliest,
                                Slot.starts_at < latest))
    if not windows:
        return []
    statement = (
        select(Slot.id, Slot.starts_at, Slot.ends_at, Slot.motif_id, Slot.staff_id, Slot.mode,
               StaffMember.title, StaffMember.given_name, StaffMember.family_name,
               StaffMember.profession)
        .join(StaffMember, StaffMember.id == Slot.staff_id)
        .where(or_(false(), *windows), ~col(Slot.withdrawn),
               or_(col(Slot.held_until).is_(None), col(Slot.held_until) <= now),
               ~active_appointment_exists())
        .order_by(Slot.starts_at, Slot.id)
        .limit(query.limit)
    )
    if query.staff_id is not None:
        statement = statement.where(Slot.staff_id == query.staff_id)
    if query.exclude_slot_id is not None:
        statement = statement.where(Slot.id != query.exclude_slot_id)
    names: dict[int, str] = {}
    modes = {mode.value: mode for mode in Mode}
    found = []
    # Core rows, not ORM objects: this query serves every week grid and the API.
    for (slot_id, starts_at, ends_at, motif_id, staff_id, mode, title, given, family,
         profession) in db.connection().execute(statement):
        name = names.get(staff_id)
        if name is None:
            name = names[staff_id] = " ".join(p for p in (title, given, family) if p)
        found.append(FreeSlot(slot_id, starts_at, ends_at, motif_id, staff_id, name, profession,
                              modes[mode]))
    return found


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


def site_zone(db: Session, site_id: int) -> ZoneInfo:
    """The IANA zone of a site."""
    return zone(db.execute(select(Site.timezone).where(Site.id == site_id)).scalar_one())


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
