"""Weeks of the clock changes in Europe/Paris: slots, the week grid and e-mails stay in local time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from planner.booking.availability import week_view
from planner.booking.booking import book
from planner.booking.mail.sender import SmtpConfig, deliver_due
from planner.booking.slots import generate_slots
from planner.database import make_engine, session_scope
from planner.demo import load_demo
from planner.migrate import upgrade
from planner.models import ConsultationSession, Motif, Slot
from tests.planner.booking.support import JEANNE, LINKS, MailBox, ics_of, text_of

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(("monday", "change", "offsets"), [
    (dt.date(2027, 3, 22), dt.date(2027, 3, 28), ("+01:00", "+02:00")),  # spring forward
    (dt.date(2026, 10, 19), dt.date(2026, 10, 25), ("+02:00", "+01:00")),  # fall back
])
def test_slots_and_mails_in_the_week_of_a_clock_change(
        tmp_path, smtp_server: MailBox, monday: dt.date, change: dt.date, offsets: tuple[str, str]) -> None:  # noqa: ANN001
    engine: Engine = make_engine(f"sqlite:///{tmp_path / 'dst.db'}")
    upgrade(engine)
    with session_scope(engine) as db:
        load_demo(db, monday)
        # a Sunday evening video session right on the day of the change
        morel = 1
        db.add(ConsultationSession(site_id=1, staff_id=morel, video=True,
                                   starts_at=dt.datetime.combine(change, dt.time(18), PARIS),
                                   ends_at=dt.datetime.combine(change, dt.time(19), PARIS)))
    with session_scope(engine) as db:
        generate_slots(db, monday, monday + dt.timedelta(days=14))
    now = dt.datetime.combine(monday - dt.timedelta(days=3), dt.time(9), PARIS)
    with Session(engine) as db:
        video = db.exec(select(Motif).where(Motif.code == "mg-video")).one()
        consult = db.exec(select(Motif).where(Motif.code == "mg-consult")).one()
        sunday = week_view(db, video, monday, now).days[6][1]
        assert sunday and sunday[0].local_start(PARIS).strftime("%H:%M") == "18:00"
        assert sunday[0].local_start(PARIS).date() == change
        before = week_view(db, consult, monday, now)
        after = week_view(db, consult, monday + dt.timedelta(days=7), now)
        morel_before = [s for _d, slots in before.days for s in slots if s.staff_id == morel]
        morel_after = [s for _d, slots in after.days for s in slots if s.staff_id == morel]
        # the same sessions (08:30 local) give the same local times on both sides of the change
        first_before = min(s.local_start(PARIS) for s in morel_before
                           if s.local_start(PARIS).weekday() == 0)
        first_after = min(s.local_start(PARIS) for s in morel_after
                          if s.local_start(PARIS).weekday() == 0)
        assert first_before.time() == first_after.time()
        assert first_before.isoformat().endswith(offsets[0])
        assert first_after.isoformat().endswith(offsets[1])
        elapsed = first_after.astimezone(dt.UTC) - first_before.astimezone(dt.UTC)
        assert abs(elapsed - dt.timedelta(days=7)) == dt.timedelta(hours=1), "UTC moved by one hour"
        sessions = db.exec(select(ConsultationSession).where(ConsultationSession.staff_id == morel)).all()
        for slot in db.exec(select(Slot).where(Slot.staff_id == morel)).all():
            assert any(s.starts_at <= slot.starts_at and slot.ends_at <= s.ends_at for s in sessions)
    view = book(engine, slot_id=next(s for s in morel_after if s.local_start(PARIS) == first_after).id,
                patient=JEANNE, links=LINKS, now=now).view
    deliver_due(engine, SmtpConfig(host="127.0.0.1", port=smtp_server.port), now)
    mail = smtp_server.messages[-1]
    assert f"{first_after:%H:%M}" in text_of(mail) and f"{first_after:%H:%M}" in str(mail["Subject"])
    event = Calendar.from_ical(ics_of(mail)).walk("VEVENT")[0]
    assert event.decoded("DTSTART") == first_after == view.local_start
    assert event["DTSTART"].to_ical().decode() == first_after.strftime("%Y%m%dT%H%M%S")
    engine.dispose()
