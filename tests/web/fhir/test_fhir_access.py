"""API tokens and scopes: refusals get 401/403 and every access is in the audit trail."""

from __future__ import annotations

from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from planner.audit import verify_chain
from planner.database import session_scope
from planner.fhir.tokens import APPOINTMENT_READ, PATIENT_READ, READ, revoke_token
from planner.models import ApiToken, AuditEvent
from tests.support.fhir import bearer, new_token, validate


def _audit(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as db:
        return list(db.exec(select(AuditEvent).where(col(AuditEvent.action).startswith("fhir."))
                            .order_by(col(AuditEvent.id))))


def test_missing_revoked_and_insufficient_tokens_are_refused_and_audited(
        api: TestClient, fhir_engine: Engine) -> None:
    reader = new_token(fhir_engine, READ, name="directory reader")
    revoked = new_token(fhir_engine, READ, name="old partner")
    with session_scope(fhir_engine) as db:
        row = db.exec(select(ApiToken).where(ApiToken.name == "old partner")).one()
        revoke_token(db, row.id)

    missing = api.get("/fhir/Slot")
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    assert api.get("/fhir/Slot", headers={"Authorization": "Basic abc"}).status_code == 401
    assert api.get("/fhir/Slot", headers=bearer("crn_made-up")).status_code == 401
    assert api.get("/fhir/Slot", headers=bearer(revoked)).status_code == 401
    assert api.get("/fhir/Slot?_count=1", headers=bearer(reader)).status_code == 200
    forbidden = api.get("/fhir/Appointment", headers=bearer(reader))
    assert forbidden.status_code == 403 and "insufficient_scope" in forbidden.headers["www-authenticate"]
    validate(forbidden.json())
    assert api.post("/fhir/Appointment", json={}, headers=bearer(reader)).status_code == 403
    assert api.get("/fhir/Patient/1", headers=bearer(reader)).status_code == 403

    rows = [(e.actor.split(":")[0], e.action, e.object_type, e.outcome) for e in _audit(fhir_engine)]
    assert rows == [
        ("anonymous", "fhir.search", "Slot", "unauthenticated"),
        ("anonymous", "fhir.search", "Slot", "unauthenticated"),
        ("anonymous", "fhir.search", "Slot", "unauthenticated"),
        ("anonymous", "fhir.search", "Slot", "unauthenticated"),
        ("api-token", "fhir.search", "Slot", "ok"),
        ("api-token", "fhir.search", "Appointment", "forbidden"),
        ("api-token", "fhir.create", "Appointment", "forbidden"),
        ("api-token", "fhir.read", "Patient", "forbidden"),
    ]
    assert all(e.role == "api" and e.request_id for e in _audit(fhir_engine))
    with Session(fhir_engine) as db:
        assert verify_chain(db).intact
        used = db.exec(select(ApiToken).where(ApiToken.name == "directory reader")).one()
        assert used.last_used_at is not None


def test_patient_read_needs_the_patient_scope(api: TestClient, fhir_engine: Engine, token: str) -> None:
    from tests.web.fhir.test_fhir_booking import appointment_body, post

    appointments_only = new_token(fhir_engine, APPOINTMENT_READ)
    with_patients = new_token(fhir_engine, APPOINTMENT_READ, PATIENT_READ)
    booked = post(api, token, appointment_body(1))
    assert booked.status_code == 201, booked.text
    patient_ref = booked.json()["participant"][0]["actor"]["reference"]
    appointment = api.get(f"/fhir/Appointment/{booked.json()['id']}",
                          headers=bearer(appointments_only)).json()
    assert "Martin" not in str(appointment)  # the appointment names no one
    assert api.get(f"/fhir/{patient_ref}", headers=bearer(appointments_only)).status_code == 403
    patient = api.get(f"/fhir/{patient_ref}", headers=bearer(with_patients))
    assert patient.status_code == 200
    assert validate(patient.json()).name[0].family == "Martin"
    reads = [(e.object_type, e.object_id, e.outcome) for e in _audit(fhir_engine)
             if e.action == "fhir.read"]
    patient_id = patient_ref.split("/")[1]
    assert reads[-2:] == [("Patient", patient_id, "forbidden"), ("Patient", patient_id, "ok")]
