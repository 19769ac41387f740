"""Exports of the published roster: CSV for the whole team, iCalendar per staff member."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlmodel import Session, col, select

from planner.models import Assignment, Roster, ShiftType, Site, StaffMember
from planner.rostering.service import published_shifts


def shift_interval(day: dt.date, shift: ShiftType, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """Local start and end of a shift (a night ends the next morning; DST handled by the zone)."""
    start = dt.datetime.combine(day, dt.time(0), zone) + dt.timedelta(minutes=shift.start_minute)
    start = start.replace(tzinfo=None).replace(tzinfo=zone)  # wall-clock time on that day
    end_utc = start.astimezone(dt.UTC) + dt.timedelta(minutes=shift.length_minutes)
    return start, end_utc.astimezone(zone)


def roster_csv(db: Session, roster: Roster) -> str:
    """One line per assignment: date, staff, shift, local start and end."""
    site = db.get(Site, roster.site_id)
    zone = ZoneInfo(site.timezone if site else "Europe/Paris")
    shifts = {s.id: s for s in db.exec(select(ShiftType).where(ShiftType.site_id == roster.site_id))}
    staff = {m.id: m for m in db.exec(select(StaffMember).where(StaffMember.site_id == roster.site_id))}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["date", "staff_code", "staff_name", "shift", "shift_name", "start", "end"])
    rows = db.exec(select(Assignment).where(Assignment.roster_id == roster.id)
                   .order_by(col(Assignment.day), col(Assignment.staff_id))).all()
    for a in rows:
        shift, member = shifts[a.shift_type_id], staff[a.staff_id]
        start, end = shift_interval(a.day, shift, zone)
        writer.writerow([a.day.isoformat(), member.code, member.display_name, shift.code, shift.name,
                         start.isoformat(timespec="minutes"), end.isoformat(timespec="minutes")])
    return out.getvalue()


def staff_ical(db: Session, member: StaffMember, first: dt.date, last: dt.date) -> bytes:
    """An iCalendar feed of a staff member's published shifts."""
    site = db.get(Site, member.site_id)
    zone = ZoneInfo(site.timezone if site else "Europe/Paris")
    calendar = Calendar()
    calendar.add("prodid", "-//Créneau//roster//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{member.display_name} — {site.name if site else ''}".strip(" —"))
    for assignment, shift in published_shifts(db, member.id or 0, first, last):
        start, end = shift_interval(assignment.day, shift, zone)
        event = Event()
        event.add("uid", f"shift-{member.id}-{assignment.day.isoformat()}@creneau")
        event.add("summary", f"{shift.name} ({shift.code})")
        event.add("dtstart", start.astimezone(dt.UTC))
        event.add("dtend", end.astimezone(dt.UTC))
        event.add("dtstamp", dt.datetime.now(dt.UTC))
        if site:
            event.add("location", site.name)
        calendar.add_component(event)
    return calendar.to_ical()
