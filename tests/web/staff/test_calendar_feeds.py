"""Calendar feeds: each person makes their own secret address, which they or the administrator can
revoke; the appointments feed never carries a patient's name or reason; API tokens from the page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from icalendar import Calendar
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from planner.demo import period_start
from planner.models import (
    Appointment,
    Assignment,
    AuditEvent,
    CalendarFeed,
    Roster,
    RosterStatus,
    ShiftType,
    Site,
    StaffMember,
)
from planner.rostering import service
from tests.conftest import DEMO_TODAY
from tests.web.staff.helpers import book_some, csrf_of, email_of, sign_in

NOW = dt.datetime.combine(DEMO_TODAY, dt.time(9), dt.UTC)
ADMIN = "admin@msp-tilleuls.example"


@pytest.fixture
def app_client(staff_app) -> TestClient:  # noqa: ANN001
    staff_app.state.clock = lambda: NOW
    with TestClient(app=staff_app, base_url="http://127.0.0.1") as client:
        client.headers["accept-language"] = "en"  # the texts below are the English ones
        yield client


def _new_address(client: TestClient, kind: str) -> str:
    page = client.get("/staff/calendar")
    response = client.post("/staff/calendar/new", data={"_csrf": csrf_of(page.text), "kind": kind})
    assert response.status_code == 200, response.text
    found = re.search(r'data-testid="feed-url">([^<]+)<', response.text)
    assert found, "the new address is not shown"
    return found.group(1).removeprefix("http://127.0.0.1")


def _publish_shifts(engine: Engine, code: str) -> int:
    """A published week where the staff member works three nights."""
    with Session(engine, expire_on_commit=False) as db:
        site = db.exec(select(Site)).first()
        member = db.exec(select(StaffMember).where(StaffMember.code == code)).one()
        night = db.exec(select(ShiftType).where(ShiftType.code == "N")).one()
        roster = service.new_version(db, site.id, period_start(DEMO_TODAY), 7)
        for offset in (0, 1, 2):
            db.add(Assignment(roster_id=roster.id, staff_id=member.id, shift_type_id=night.id,
                              day=roster.start_date + dt.timedelta(days=offset)))
        row = db.get(Roster, roster.id)
        row.status = RosterStatus.PUBLISHED
        db.add(row)
        db.commit()
        return member.id


def test_a_nurse_subscribes_to_her_shifts_then_replaces_and_revokes_the_address(
        app_client: TestClient, sqlite_demo_engine: Engine) -> None:
    nurse = _publish_shifts(sqlite_demo_engine, "MARTIN")
    assert sign_in(app_client, email_of(sqlite_demo_engine, "MARTIN")).status_code == 303
    page = app_client.get("/staff/calendar")
    assert "My shifts" in page.text and "My appointments" not in page.text  # no consultations

    first = _new_address(app_client, "roster")
    answer = app_client.get(first)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(answer.content).walk("VEVENT")]
    assert len(events) == 3 and all("Nuit" in str(e["summary"]) for e in events)

    second = _new_address(app_client, "roster")  # a new address: the old one stops at once
    assert app_client.get(first).status_code == 404
    assert app_client.get(second).status_code == 200
    with Session(sqlite_demo_engine) as db:
        feed = db.exec(select(CalendarFeed).where(CalendarFeed.staff_id == nurse,
                                                  col(CalendarFeed.revoked_at).is_(None))).one()
        secret = second.removeprefix("/calendar/").removesuffix(".ics")
        assert secret not in feed.token_hash and feed.last_used_at is not None  # only a hash is kept

    page = app_client.get("/staff/calendar")
    assert secret not in page.text  # shown once, never again
    revoked = app_client.post(f"/staff/calendar/{feed.id}/revoke", data={"_csrf": csrf_of(page.text)})
    assert revoked.status_code == 200 and "is revoked" in revoked.text
    gone = app_client.get(second)
    assert gone.status_code == 404 and "revoked" in gone.text
    with Session(sqlite_demo_engine) as db:
        actions = [e.action for e in db.exec(select(AuditEvent).where(
            col(AuditEvent.action).startswith("calendar")))]
    assert actions.count("calendar_feed.create") == 2 and "calendar_feed.revoke" in actions
    assert "calendar_read" in actions


def test_the_appointments_feed_shows_times_never_patients(app_client: TestClient,
                                                          sqlite_demo_engine: Engine) -> None:
    day = period_start(DEMO_TODAY) + dt.timedelta(days=7)
    booked = book_some(sqlite_demo_engine, "MOREL", day, 3)
    with Session(sqlite_demo_engine) as db:
        cancelled = db.get(Appointment, booked[2])
        cancelled.status = "cancelled"
        db.add(cancelled)
        db.commit()
    sign_in(app_client, email_of(sqlite_demo_engine, "MOREL"))
    address = _new_address(app_client, "appointments")
    body = app_client.get(address)
    assert body.status_code == 200
    events = list(Calendar.from_ical(body.content).walk("VEVENT"))
    assert len(events) == 2  # the cancelled one is left out
    assert {str(e["summary"]) for e in events} == {"Consultation au cabinet"}
    text = body.content.decode().replace("\r\n ", "")  # unfolded
    for private in ("Lucie", "Bernard", "Paul", "Moreau", "ordonnance", "genou", "@example"):
        assert private not in text
    assert "/staff/day?date=" in text  # details are one sign-in away


def test_someone_else_cannot_revoke_my_address_and_a_kind_i_lack_is_refused(
        app_client: TestClient, sqlite_demo_engine: Engine) -> None:
    sign_in(app_client, email_of(sqlite_demo_engine, "MOREL"))
    _new_address(app_client, "appointments")
    with Session(sqlite_demo_engine) as db:
        feed_id = db.exec(select(CalendarFeed.id)).one()
    csrf = csrf_of(app_client.get("/staff/calendar").text)
    refused = app_client.post("/staff/calendar/new", data={"_csrf": csrf, "kind": "roster"})
    assert refused.status_code == 422 and "Choose one of the calendars" in refused.text
    app_client.post("/staff/signout", data={"_csrf": csrf_of(app_client.get("/staff/calendar").text)})
    sign_in(app_client, email_of(sqlite_demo_engine, "LEFEVRE"))
    page = app_client.get("/staff/calendar")
    attempt = app_client.post(f"/staff/calendar/{feed_id}/revoke", data={"_csrf": csrf_of(page.text)},
                              follow_redirects=False)
    assert attempt.status_code == 403
    with Session(sqlite_demo_engine) as db:
        assert db.get(CalendarFeed, feed_id).revoked_at is None


def test_the_administrator_revokes_an_address_and_manages_api_tokens(
        app_client: TestClient, sqlite_demo_engine: Engine) -> None:
    sign_in(app_client, email_of(sqlite_demo_engine, "MOREL"))
    address = _new_address(app_client, "appointments")
    app_client.post("/staff/signout", data={"_csrf": csrf_of(app_client.get("/staff/calendar").text)})
    assert sign_in(app_client, ADMIN).status_code == 303
    page = app_client.get("/staff/integrations")
    assert page.status_code == 200 and "Morel" in page.text and "Appointments" in page.text
    feed_id = re.search(r'/staff/integrations/feeds/(\d+)/revoke', page.text).group(1)  # type: ignore[union-attr]
    done = app_client.post(f"/staff/integrations/feeds/{feed_id}/revoke", data={"_csrf": csrf_of(page.text)})
    assert done.status_code == 200 and "No calendar address in use." in done.text
    assert app_client.get(address).status_code == 404

    csrf = csrf_of(done.text)
    refused = app_client.post("/staff/integrations/tokens", data={"_csrf": csrf, "name": "Logiciel X"})
    assert refused.status_code == 422 and "Tick at least one scope." in refused.text
    assert 'value="Logiciel X"' in refused.text  # nothing typed is lost
    form = {"_csrf": csrf, "name": "Logiciel X", "scope": ["fhir/read", "fhir/appointment.read"]}
    made = app_client.post("/staff/integrations/tokens", data=form)
    assert made.status_code == 200
    token = re.search(r'data-testid="api-token">([^<]+)<', made.text).group(1)  # type: ignore[union-attr]
    headers = {"authorization": f"Bearer {token}", "accept": "application/fhir+json"}
    assert app_client.get("/fhir/Practitioner", headers=headers).status_code == 200
    token_id = re.search(r'/staff/integrations/tokens/(\d+)/revoke', made.text).group(1)  # type: ignore[union-attr]
    app_client.post(f"/staff/integrations/tokens/{token_id}/revoke", data={"_csrf": csrf})
    assert app_client.get("/fhir/Practitioner", headers=headers).status_code == 401
    assert token not in app_client.get("/staff/integrations").text


def test_hostile_values_get_a_readable_refusal_never_a_server_error(
        app_client: TestClient, sqlite_demo_engine: Engine) -> None:
    from urllib.parse import quote

    from tests.web.test_hostile_inputs import HOSTILE, SCRIPT

    for value in HOSTILE:
        assert app_client.get(f"/calendar/{quote(value[:4000], safe='')}.ics").status_code in (400, 404)
    sign_in(app_client, email_of(sqlite_demo_engine, "MOREL"))
    csrf = csrf_of(app_client.get("/staff/calendar").text)
    for value in HOSTILE:
        answer = app_client.post("/staff/calendar/new", data={"_csrf": csrf, "kind": value})
        assert answer.status_code == 422 and SCRIPT not in answer.text
    app_client.post("/staff/signout", data={"_csrf": csrf})
    sign_in(app_client, ADMIN)
    csrf = csrf_of(app_client.get("/staff/integrations").text)
    for value in HOSTILE:
        for form in ({"name": value, "scope": "fhir/read"}, {"name": "ok", "scope": value}):
            answer = app_client.post("/staff/integrations/tokens", data={"_csrf": csrf, **form})
            assert answer.status_code in (200, 422), (form, answer.status_code)
            assert SCRIPT not in answer.text
