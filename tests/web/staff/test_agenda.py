"""The front desk: the secretary's agenda, cancelling for a patient, the pharmacist's counter."""

from __future__ import annotations

import datetime as dt
import re

from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from planner.booking.slots import generate_slots
from planner.demo import period_start
from planner.models import Appointment, AppointmentStatus, Mode, Motif, Patient, Role, Slot, UserAccount
from tests.conftest import DEMO_TODAY
from tests.planner.booking.support import NOW
from tests.web.staff.helpers import MANAGER, book_some, csrf_of, email_of, sign_in


def _email(engine: Engine, role: Role) -> str:
    with Session(engine) as db:
        return db.exec(select(UserAccount.email).where(UserAccount.role == role)
                       .order_by(col(UserAccount.id))).first()


def test_secretary_lands_on_the_agenda_and_sees_every_clinician_without_reasons(
        staff_app, sqlite_demo_engine) -> None:  # noqa: ANN001
    monday = period_start(DEMO_TODAY)
    book_some(sqlite_demo_engine, "MOREL", monday, 2)
    book_some(sqlite_demo_engine, "ROUX", monday, 1)
    with Session(sqlite_demo_engine) as db:
        patient = db.exec(select(Patient).where(Patient.given_name == "Lucie")).first()
        patient.phone, patient.email = "06 12 34 56 78", "lucie@example.org"
        db.add(patient)
        db.commit()
    with TestClient(app=staff_app, base_url="http://127.0.0.1") as client:
        secretary = _email(sqlite_demo_engine, Role.SECRETARY)
        assert sign_in(client, secretary).headers["location"] == "/staff/agenda"
        page = client.get(f"/staff/agenda?date={monday.isoformat()}")
        assert page.status_code == 200
        assert "Lucie Bernard" in page.text and "Paul Moreau" in page.text
        assert "06 12 34 56 78" in page.text and "lucie@example.org" in page.text
        assert "Morel" in page.text and "Roux" in page.text  # every clinician of the site
        assert "Renouvellement" not in page.text and "Douleur" not in page.text  # never the reason
        assert 'href="/book"' in page.text
        wednesday = (monday + dt.timedelta(days=2)).isoformat()
        week = client.get(f"/staff/agenda?view=week&date={wednesday}&lang=en")
        assert "Lucie Bernard" in week.text and "Week of" in week.text
        nav = client.get(f"/staff/agenda?date={monday.isoformat()}")
        assert f"date={(monday + dt.timedelta(days=1)).isoformat()}" in nav.text
    with TestClient(app=staff_app, base_url="http://127.0.0.1") as client:
        sign_in(client, MANAGER)  # a manager has no business in the agenda
        refused = client.get(f"/staff/agenda?date={monday.isoformat()}")
        assert refused.status_code == 403 and "Lucie" not in refused.text


def test_secretary_cancels_for_a_patient(staff_app, sqlite_demo_engine) -> None:  # noqa: ANN001
    monday = period_start(DEMO_TODAY) + dt.timedelta(days=7)  # far enough for the cut-off
    ids = book_some(sqlite_demo_engine, "MOREL", monday, 1)
    staff_app.state.clock = lambda: NOW  # the demo's today, whatever the date the tests run
    with TestClient(app=staff_app, base_url="http://127.0.0.1") as client:
        sign_in(client, _email(sqlite_demo_engine, Role.SECRETARY))
        page = client.get(f"/staff/agenda?date={monday.isoformat()}")
        assert f"/staff/agenda/appointments/{ids[0]}/cancel" in page.text
        assert client.post(f"/staff/agenda/appointments/{ids[0]}/cancel",
                           data={"_csrf": "forged"}).status_code == 403
        done = client.post(f"/staff/agenda/appointments/{ids[0]}/cancel",
                           data={"_csrf": csrf_of(page.text)}, follow_redirects=False)
        assert done.status_code == 303 and f"cancelled={ids[0]}" in done.headers["location"]
        again = client.post(f"/staff/agenda/appointments/{ids[0]}/cancel",
                            data={"_csrf": csrf_of(page.text)}, follow_redirects=False)
        assert "error=not_active" in again.headers["location"]
        # the day and its clinician count the same way: on, then cancelled
        after = client.get(f"/staff/agenda?date={monday.isoformat()}&lang=en").text
        assert re.findall(r"· (\d+ appointments?(?:, \d+ cancelled)?)", after) \
            == ["0 appointments, 1 cancelled"] * 2
        french = client.get(f"/staff/agenda?date={monday.isoformat()}&lang=fr").text
        assert french.count("0 rendez-vous, 1 annulé") == 2
    with Session(sqlite_demo_engine) as db:
        assert db.get(Appointment, ids[0]).status == AppointmentStatus.CANCELLED


def test_pharmacist_books_at_the_counter_and_joins_the_video(staff_app, sqlite_demo_engine) -> None:  # noqa: ANN001
    with Session(sqlite_demo_engine) as db:
        generate_slots(db, DEMO_TODAY, DEMO_TODAY + dt.timedelta(days=1))
        db.commit()
        slot, motif = db.exec(select(Slot, Motif).join(Motif, col(Motif.id) == Slot.motif_id)
                              .where(Slot.mode == Mode.VIDEO,
                                     col(Slot.starts_at) > NOW + dt.timedelta(hours=3))
                              .order_by(col(Slot.starts_at))).first()
        slot_id, code = slot.id, motif.code
    staff_app.state.clock = lambda: NOW
    pharmacist = _email(sqlite_demo_engine, Role.PHARMACIST)
    with TestClient(app=staff_app, base_url="http://127.0.0.1") as client:
        assert sign_in(client, pharmacist).headers["location"] == "/staff/counter"
        counter = client.get("/staff/counter")
        assert counter.status_code == 200 and 'href="/book"' in counter.text
        form = client.get(f"/book/{code}/slot/{slot_id}")
        token = re.search(r'name="_csrf" value="([^"]+)"', form.text)
        assert token, "the booking form carries the staff CSRF token"
        key = re.search(r'name="idempotency_key" value="([^"]+)"', form.text).group(1)
        booked = client.post(f"/book/{code}/slot/{slot_id}", follow_redirects=False, data={
            "_csrf": token.group(1), "idempotency_key": key, "given_name": "Odette", "family_name": "Lemaire",
            "birth_date": "1950-03-04", "phone": "06 11 22 33 44", "consent": "on"})
        assert booked.status_code == 303, booked.text[:500]
        counter = client.get("/staff/counter")
        assert "Odette Lemaire" in counter.text
        found = re.search(r'href="/staff/video/(\d+)/assist"', counter.text)
        assert found
        with Session(sqlite_demo_engine) as db:
            appointment = db.get(Appointment, int(found.group(1)))
            user = db.exec(select(UserAccount).where(UserAccount.email == pharmacist)).one()
            assert appointment.booked_by == user.id
    with TestClient(app=staff_app, base_url="http://127.0.0.1") as client:
        sign_in(client, email_of(sqlite_demo_engine, "MOREL"))
        assert client.get("/staff/counter").status_code == 403


def test_patients_without_a_session_still_book_without_a_token(staff_app, sqlite_demo_engine) -> None:  # noqa: ANN001
    with TestClient(app=staff_app, base_url="http://127.0.0.1") as client:
        assert "_csrf" not in client.get("/book").text
