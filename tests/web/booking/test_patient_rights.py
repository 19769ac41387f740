"""Patients' data rights in the browser: privacy notice, export and erasure from the manage link."""

from __future__ import annotations

import html
import json

from fhir.resources.R4B.bundle import Bundle
from litestar.testing import TestClient
from sqlmodel import Session, select

from planner import audit
from planner.models import Appointment, AuditEvent, Patient
from tests.web.booking.test_booking_api import BODY


def _book(client: TestClient, key: str, mode: str = "in_person") -> dict:
    slots = client.get("/api/v1/slots", params={"mode": mode}).json()["slots"]
    response = client.post("/api/v1/bookings", json={**BODY, "slot_id": slots[5]["id"]},
                           headers={"Idempotency-Key": key})
    assert response.status_code == 201, response.text
    return response.json()


def _path(url: str) -> str:
    return url.removeprefix("http://127.0.0.1")


def test_privacy_notice_exists_in_both_languages(booking_client: TestClient) -> None:
    french = html.unescape(booking_client.get("/privacy", headers={"Accept-Language": "fr"}).text)
    assert "Vos droits" in french and "1095" in french
    english = booking_client.get("/privacy", headers={"Accept-Language": "en"}).text
    assert "Your rights" in english


def test_export_needs_the_date_of_birth_and_gives_json_or_fhir(booking_client: TestClient) -> None:
    booking = _book(booking_client, "rights-1")
    manage = _path(booking["manage_url"])
    page = booking_client.get(manage + "/my-data", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Download my data" in page.text
    wrong = booking_client.post(manage + "/my-data/export",
                                data={"birth_date": "1990-01-01", "format": "json"},
                                headers={"Accept-Language": "en"})
    assert wrong.status_code == 422 and "does not match" in wrong.text
    assert "jeanne@example.org" not in wrong.text  # nothing is shown before the check
    good = booking_client.post(manage + "/my-data/export",
                               data={"birth_date": BODY["patient"]["birth_date"], "format": "json"})
    assert good.status_code == 200
    assert "attachment" in good.headers["content-disposition"]
    data = json.loads(good.content)
    assert data["patient"]["family_name"] == "Durand"
    assert data["records"]["appointment"][0]["id"] == booking["id"]
    fhir = booking_client.post(manage + "/my-data/export",
                               data={"birth_date": BODY["patient"]["birth_date"], "format": "fhir"})
    bundle = Bundle.model_validate(json.loads(fhir.content))
    assert {entry.resource.get_resource_type() for entry in bundle.entry} == {"Patient", "Appointment"}


def test_erasure_cancels_future_visits_removes_identity_and_revokes_the_link(
        booking_client: TestClient) -> None:
    booking = _book(booking_client, "rights-2", mode="video")
    manage = _path(booking["manage_url"])
    refused = booking_client.post(manage + "/my-data/erase",
                                  data={"birth_date": BODY["patient"]["birth_date"]},
                                  headers={"Accept-Language": "en"})
    assert refused.status_code == 422 and "Tick the box" in refused.text
    erased = booking_client.post(manage + "/my-data/erase", data={
        "birth_date": BODY["patient"]["birth_date"], "confirm": "yes"},
        headers={"Accept-Language": "en"})
    assert erased.status_code == 200 and "Your data has been erased" in erased.text
    engine = booking_client.app.state.engine
    with Session(engine) as db:
        appointment = db.get(Appointment, booking["id"])
        patient = db.get(Patient, appointment.patient_id)
        assert appointment.status == "cancelled"
        assert patient.email is None and patient.family_name == "erased"
        assert db.exec(select(AuditEvent).where(AuditEvent.action == "patient.erase")).first()
        assert audit.verify_chain(db).intact
    assert booking_client.get(manage + "/my-data").status_code == 404
    join = booking_client.get(f"/video/{booking['id']}/join?t={manage.rsplit('/', 1)[1]}",
                              follow_redirects=False)
    assert join.status_code in (403, 404, 410)


def test_a_secretary_exports_a_patients_data_from_the_agenda(booking_client: TestClient) -> None:
    from tests.web.video.conftest import staff_cookie

    booking = _book(booking_client, "rights-3")
    engine = booking_client.app.state.engine
    booking_client.cookies.set("creneau_staff",
                               staff_cookie(engine, "sandrine.blanc@msp-tilleuls.example"))
    day = booking["start"][:10]
    agenda = html.unescape(booking_client.get(f"/staff/agenda?date={day}").text)
    link = next(part.split('"')[0] for part in agenda.split('href="')[1:]
                if part.startswith("/staff/patients/"))
    exported = booking_client.get(link)
    assert exported.status_code == 200
    assert json.loads(exported.content)["patient"]["family_name"] == "Durand"
    with Session(engine) as db:
        assert db.exec(select(AuditEvent).where(AuditEvent.action == "patient.export")).first()
