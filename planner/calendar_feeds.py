"""Secret calendar addresses for staff: make one (shown once), revoke it, serve what it holds.

A staff member in the shift team gets a *roster* feed (their published shifts); a clinician who
holds consultation sessions gets an *appointments* feed. The appointments feed carries times and
the mode only: a phone's calendar is no place for a patient's name or the reason for the visit.
Making a new address revokes the previous one of the same kind; only a SHA-256 of the secret is
kept, so a leaked database does not leak working addresses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlmodel import Session, col, select

from planner.booking import availability
from planner.models import (
    Appointment,
    AppointmentStatus,
    CalendarFeed,
    FeedKind,
    Mode,
    Site,
    Slot,
    StaffMember,
)
from planner.models.types import utcnow
from planner.rostering.exports import staff_ical

#: What a feed shows around today.
DAYS_BACK, DAYS_AHEAD = 28, 84
#: ``last_used_at`` is written at most this often (calendar apps poll every few minutes).
_LAST_USED_EVERY = dt.timedelta(minutes=10)
#: Secrets are 32 URL-safe characters (192 random bits).
SECRET_BYTES = 24


@dataclass(frozen=True)
class FeedRow:
    """A feed with the name of its owner, for lists."""

    feed: CalendarFeed
    staff_name: str


def hash_secret(secret: str) -> str:
    """The SHA-256 (hex) stored for ``secret``."""
    return hashlib.sha256(secret.encode()).hexdigest()


def kinds_for(member: StaffMember) -> list[FeedKind]:
    """The feeds a staff member can have: shifts if rostered, appointments if they hold sessions."""
    kinds = []
    if member.works_shifts:
        kinds.append(FeedKind.ROSTER)
    if member.holds_sessions:
        kinds.append(FeedKind.APPOINTMENTS)
    return kinds


def active_feeds(session: Session, staff_id: int) -> dict[FeedKind, CalendarFeed]:
    """The staff member's addresses that still work, by kind."""
    rows = session.exec(select(CalendarFeed).where(CalendarFeed.staff_id == staff_id,
                                                   col(CalendarFeed.revoked_at).is_(None)))
    return {FeedKind(row.kind): row for row in rows}


def create_feed(session: Session, member: StaffMember, kind: FeedKind,
                created_by: int | None) -> tuple[CalendarFeed, str]:
    """A new address (revoking the previous one of this kind); returns the row and the secret.

    Raises ``ValueError`` when the staff member cannot have this kind of feed.
    """
    if kind not in kinds_for(member):
        raise ValueError(f"{member.code} has no {kind.value} calendar")
    for old in session.exec(select(CalendarFeed).where(
            CalendarFeed.staff_id == member.id, CalendarFeed.kind == kind,
            col(CalendarFeed.revoked_at).is_(None))):
        old.revoked_at, old.revoked_by = utcnow(), created_by
        session.add(old)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    row = CalendarFeed(staff_id=member.id or 0, kind=kind, token_hash=hash_secret(secret),
                       created_by=created_by)
    session.add(row)
    session.flush()
    return row, secret


def revoke_feed(session: Session, feed_id: int, revoked_by: int | None) -> CalendarFeed | None:
    """Revoke an address (idempotent); ``None`` when there is no such feed."""
    row = session.get(CalendarFeed, feed_id) if 0 < feed_id < 2**63 else None
    if row is not None and row.revoked_at is None:
        row.revoked_at, row.revoked_by = utcnow(), revoked_by
        session.add(row)
        session.flush()
    return row


def site_feeds(session: Session, site_id: int) -> list[FeedRow]:
    """Every address of the site's staff that still works, newest first."""
    rows = session.exec(
        select(CalendarFeed, StaffMember)
        .join(StaffMember, col(StaffMember.id) == CalendarFeed.staff_id)
        .where(StaffMember.site_id == site_id, col(CalendarFeed.revoked_at).is_(None))
        .order_by(col(CalendarFeed.created_at).desc()))
    return [FeedRow(feed, member.display_name) for feed, member in rows]


def resolve(session: Session, secret: str) -> CalendarFeed | None:
    """The working feed behind ``secret``, or ``None``; notes when it was last read (caller commits)."""
    if not 20 <= len(secret) <= 64:
        return None
    row = session.exec(select(CalendarFeed).where(CalendarFeed.token_hash == hash_secret(secret))).first()
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= _LAST_USED_EVERY:
        row.last_used_at = now
        session.add(row)
    return row


def site_zone(session: Session, member: StaffMember) -> ZoneInfo:
    """The time zone of the staff member's site."""
    return availability.site_zone(session, member.site_id)


def appointments_ical(session: Session, member: StaffMember, first: dt.date, last: dt.date,
                      day_url: str = "") -> bytes:
    """A clinician's appointments from ``first`` to ``last`` (times and mode, no patient data)."""
    site = session.get(Site, member.site_id)
    zone = site_zone(session, member)
    since = dt.datetime.combine(first, dt.time(0), zone).astimezone(dt.UTC)
    until = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), zone).astimezone(dt.UTC)
    rows = session.exec(
        select(Appointment.id, Appointment.status, Slot.starts_at, Slot.ends_at, Slot.mode)
        .join(Slot, col(Slot.id) == Appointment.slot_id)
        .where(Slot.staff_id == member.id, col(Slot.starts_at) >= since, col(Slot.starts_at) < until,
               Appointment.status != AppointmentStatus.CANCELLED)
        .order_by(col(Slot.starts_at))).all()
    calendar = Calendar()
    calendar.add("prodid", "-//Créneau//appointments//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Rendez-vous — {member.display_name}")
    calendar.add("x-wr-timezone", zone.key)
    stamp = utcnow()
    for appointment_id, _status, starts_at, ends_at, mode in rows:
        event = Event()
        event.add("uid", f"appointment-{appointment_id}@creneau")
        video = Mode(mode) is Mode.VIDEO
        event.add("summary", "Téléconsultation" if video else "Consultation au cabinet")
        event.add("dtstart", starts_at)
        event.add("dtend", ends_at)
        event.add("dtstamp", stamp)
        if site and not video:
            event.add("location", site.name)
        if day_url:
            local_day = starts_at.astimezone(zone).date().isoformat()
            event.add("description", f"Patient et motif dans Créneau : {day_url}?date={local_day}")
        calendar.add_component(event)
    return calendar.to_ical()


def render(session: Session, feed: CalendarFeed, today: dt.date, day_url: str = "") -> bytes:
    """What the feed's address answers: an iCalendar file."""
    member = session.get(StaffMember, feed.staff_id)
    if member is None:
        raise LookupError("the feed's staff member is gone")
    first, last = today - dt.timedelta(days=DAYS_BACK), today + dt.timedelta(days=DAYS_AHEAD)
    if FeedKind(feed.kind) is FeedKind.ROSTER:
        return staff_ical(session, member, first, last)
    return appointments_ical(session, member, first, last, day_url)
