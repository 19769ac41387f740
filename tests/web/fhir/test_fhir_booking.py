"""Booking through FHIR: 201 then 409 on the same slot (SQLite and PostgreSQL), idempotency, errors."""

from __future__ import annotations

from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from planner.fhir.tokens import APPOINTMENT_READ, APPOINTMENT_WRITE, READ
from planner.models import Appointment, AuditEvent, MailMessage, Patient, Slot
from planner.settings import Settings
from tests.support.fhir import bearer, make_slots, new_token, validate
from tests.web.fhir.conftest import SLOT_DAYS, fhir_client

FHIR_JSON = "application/fhir+json"


def appointment_body(slot_id: object, **patient: object) -> dict:
    contained = {"resourceType": "Patient", "id": "pat",
                 "name": [{"use": "official", "family": "Martin", "given": ["Jules"]}],
                 "birthDate": "1985-02-03",
                 "telecom": [{"system": "email", "value": "jules.martin@example.org"}], **patient}
    return {"resourceType": "Appointment", "status": "booked", "contained": [contained],
            "slot": [{"reference": f"Slot/{slot_id}"}],
            "participant": [{"actor": {"reference": "#pat"}, "status": "accepted"}]}


def post(client: TestClient, token: str, body: object, key: str | None = None):  # noqa: ANN201
    headers = {**bearer(token), "Content-Type": FHIR_JSON}
    if key:
        headers["Idempotency-Key"] = key
    return client.post("/fhir/Appointment", json=body, headers=headers)


def test_booking_a_slot_then_booking_it_again_gets_409(demo_engine: Engine, settings: Settings) -> None:
    """On both backends: the partial unique index is what refuses the second booking."""
    make_slots(demo_engine, *SLOT_DAYS)
    token = new_token(demo_engine, READ, APPOINTMENT_READ, APPOINTMENT_WRITE)
    with Session(demo_engine) as db:
        slot = db.exec(select(Slot).order_by(col(Slot.starts_at), col(Slot.id))).first()
    assert slot is not None
    with fhir_client(demo_engine, settings) as client:
        first = post(client, token, appointment_body(slot.id))
        assert first.status_code == 201, first.text
        assert first.headers["content-type"].startswith(FHIR_JSON)
        created = validate(first.json())
        assert created.status == "booked" and created.slot[0].reference == f"Slot/{slot.id}"
        assert first.headers["location"] == f"http://127.0.0.1/fhir/Appointment/{created.id}"
        again = post(client, token, appointment_body(slot.id, birthDate="1970-01-01"))
        assert again.status_code == 409, again.text
        outcome = validate(again.json())
        assert outcome.issue[0].code == "conflict"
        read = client.get(f"/fhir/Appointment/{created.id}", headers=bearer(token))
        assert read.status_code == 200 and read.json() == first.json()
        assert client.get(f"/fhir/Slot/{slot.id}", headers=bearer(token)).json()["status"] == "busy"
    with Session(demo_engine) as db:
        assert len(db.exec(select(Appointment).where(Appointment.slot_id == slot.id)).all()) == 1
        patient = db.exec(select(Patient)).one()
        assert (patient.given_name, patient.family_name) == ("Jules", "Martin")
        mails = db.exec(select(MailMessage)).all()
        assert [(m.kind, m.to_address) for m in mails] == [("confirmation", "jules.martin@example.org")]
        creates = db.exec(select(AuditEvent).where(AuditEvent.action == "fhir.create")
                          .order_by(col(AuditEvent.id))).all()
    assert [(e.outcome, e.object_id) for e in creates] == [("ok", str(created.id)), ("conflict", "")]


def test_an_idempotency_key_replays_the_first_booking(api: TestClient, token: str) -> None:
    with Session(api.app.state.engine) as db:
        first, second = db.exec(select(Slot).order_by(col(Slot.id)).limit(2)).all()
    one = post(api, token, appointment_body(first.id), key="client-key-1")
    replay = post(api, token, appointment_body(first.id), key="client-key-1")
    assert one.status_code == 201 and replay.status_code == 200
    assert replay.json() == one.json()
    other = post(api, token, appointment_body(second.id), key="client-key-1")
    assert other.status_code == 422
    validate(other.json())


def test_invalid_bookings_are_refused_with_an_operation_outcome(api: TestClient, token: str) -> None:
    with Session(api.app.state.engine) as db:
        slot = db.exec(select(Slot).order_by(col(Slot.id))).first()
    assert slot is not None
    no_patient = appointment_body(slot.id)
    no_patient["participant"] = []
    cases = [
        ({"resourceType": "Patient"}, 400),
        (no_patient, 400),
        ({**appointment_body(slot.id), "slot": []}, 400),
        ({**appointment_body(slot.id), "status": "cancelled"}, 400),
        (appointment_body(slot.id, birthDate="not a date"), 422),
        (appointment_body(slot.id, telecom=[]), 422),
        (appointment_body(999999), 422),
        ({**appointment_body(slot.id), "participant": [{"actor": {"reference": "Patient/1"}}]}, 422),
    ]
    for body, status in cases:
        response = post(api, token, body)
        assert response.status_code == status, (body, response.text)
        validate(response.json())
        assert response.json()["resourceType"] == "OperationOutcome"
    garbage = api.post("/fhir/Appointment", content=b"{not json",
                       headers={**bearer(token), "Content-Type": FHIR_JSON})
    assert garbage.status_code == 400
    with Session(api.app.state.engine) as db:
        assert db.exec(select(Appointment)).all() == []


def test_malformed_input_never_gets_a_500(api: TestClient, token: str) -> None:
    bodies = [[], 5, "x", {"resourceType": "Appointment", "slot": "Slot/1"},
              {"resourceType": "Appointment", "slot": [{"reference": 5}], "participant": 3},
              {**appointment_body(1), "contained": 7},
              {**appointment_body(1), "contained": [{"resourceType": "Patient", "id": "pat",
                                                     "name": "x", "telecom": 4, "birthDate": 12,
                                                     "communication": "fr"}]},
              {**appointment_body(1), "slot": [{"reference": "Slot/99999999999999999999"}]}]
    for body in bodies:
        response = post(api, token, body)
        assert 400 <= response.status_code < 500, (body, response.text)
        validate(response.json())
    for url in ("/fhir/Slot?start=9999", "/fhir/Slot?start=0000-01-01", "/fhir/Slot?_offset=99999999999",
                "/fhir/Slot?start=ge2026-11-24T10:00:00%2B25:00", "/fhir/Slot?_id=99999999999999999",
                "/fhir/Appointment?date=lt1", "/fhir/Appointment?actor=Location/site-1",
                "/fhir/Slot?schedule.actor=Practitioner/%C2%B2"):
        response = api.get(url, headers=bearer(token))
        assert response.status_code in (200, 400), (url, response.text)
        validate(response.json())
