"""E-mails through a real SMTP server (aiosmtpd on 127.0.0.1): content, .ics, retries, reminders."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from planner.booking.availability import SlotQuery, free_slots
from planner.booking.booking import book, cancel, move
from planner.booking.identity import PatientDetails
from planner.booking.mail.sender import SmtpConfig, deliver_due, mail_tick
from planner.models import MailMessage, Motif
from tests.planner.booking.support import JEANNE, LINKS, NOW, MailBox, ics_of, text_of


def _slots(engine: Engine, code: str) -> list:
    with Session(engine) as db:
        motif = db.exec(select(Motif).where(Motif.code == code)).one()
        return free_slots(db, SlotQuery(motif_id=motif.id), NOW)


def test_confirmation_change_and_cancellation_mails_with_ics_and_no_reason(
        booking_engine: Engine, smtp_server: MailBox) -> None:
    config = SmtpConfig(host="127.0.0.1", port=smtp_server.port)
    slots = _slots(booking_engine, "sf-suivi")
    view = book(booking_engine, slot_id=slots[-3].id, patient=JEANNE, links=LINKS,
                reason="saignements depuis hier", now=NOW).view
    move(booking_engine, view.id, slots[-1].id, links=LINKS, now=NOW)
    cancel(booking_engine, view.id, links=LINKS, now=NOW)
    assert deliver_due(booking_engine, config, NOW) == (3, 0)
    confirmation, change, cancellation = smtp_server.messages
    assert confirmation["To"] == "jeanne@example.org"
    assert "Rendez-vous confirmé" in confirmation["Subject"]
    for message in smtp_server.messages:
        whole = message.as_string()
        assert "saignements" not in whole, "the reason for the visit never leaves the centre"
        assert "grossesse" not in whole.lower(), "nor does the appointment type"
    body = text_of(confirmation)
    local = view.local_start
    assert f"{local:%H:%M}" in body and "Pauline Renaud" in body and "/book/manage/" in body
    first = Calendar.from_ical(ics_of(confirmation))
    assert first["METHOD"] == "REQUEST"
    event = first.walk("VEVENT")[0]
    assert event.decoded("DTSTART") == local and str(event["DTSTART"].params["TZID"]) == "Europe/Paris"
    assert first.walk("VTIMEZONE"), "the time zone travels with the event"
    moved = Calendar.from_ical(ics_of(change)).walk("VEVENT")[0]
    assert moved["UID"] == event["UID"] and moved["SEQUENCE"] == 1
    cancelled = Calendar.from_ical(ics_of(cancellation))
    assert cancelled["METHOD"] == "CANCEL"
    assert cancelled.walk("VEVENT")[0]["STATUS"] == "CANCELLED"
    assert cancelled.walk("VEVENT")[0]["UID"] == event["UID"]


def test_a_failed_send_is_retried_later(booking_engine: Engine, smtp_server: MailBox) -> None:
    slot = _slots(booking_engine, "mg-consult")[-1]
    book(booking_engine, slot_id=slot.id, patient=JEANNE, links=LINKS, now=NOW)
    down = SmtpConfig(host="127.0.0.1", port=1, timeout=2)
    assert deliver_due(booking_engine, down, NOW) == (0, 1)
    with Session(booking_engine) as db:
        message = db.exec(select(MailMessage)).one()
        assert message.status == "pending" and message.attempts == 1 and message.last_error
        retry_at = message.next_attempt_at
    up = SmtpConfig(host="127.0.0.1", port=smtp_server.port)
    assert deliver_due(booking_engine, up, NOW) == (0, 0), "not before the retry time"
    assert deliver_due(booking_engine, up, retry_at) == (1, 0)
    assert len(smtp_server.messages) == 1
    assert deliver_due(booking_engine, up, retry_at + dt.timedelta(hours=1)) == (0, 0), "sent once"


def test_reminders_48_hours_and_2_hours_before(booking_engine: Engine, smtp_server: MailBox) -> None:
    config = SmtpConfig(host="127.0.0.1", port=smtp_server.port)
    slot = _slots(booking_engine, "mg-consult")[-1]
    view = book(booking_engine, slot_id=slot.id, patient=JEANNE, links=LINKS, now=NOW).view
    no_mail = PatientDetails("Paul", "Sans", dt.date(1970, 1, 1), None, "06 00 00 00 00")
    book(booking_engine, slot_id=_slots(booking_engine, "mg-consult")[-2].id, patient=no_mail,
         links=LINKS, now=NOW)
    deliver_due(booking_engine, config, NOW)
    for before in (dt.timedelta(hours=49), dt.timedelta(hours=47), dt.timedelta(hours=46),
                   dt.timedelta(hours=1, minutes=50)):
        mail_tick(booking_engine, config, LINKS, view.starts_at - before)
    subjects = [str(m["Subject"]) for m in smtp_server.messages]
    assert len(subjects) == 3, subjects
    assert subjects[1].startswith("Rappel : rendez-vous le") and "aujourd'hui" in subjects[2]
    assert ics_of(smtp_server.messages[1]), "reminders carry the .ics too"
