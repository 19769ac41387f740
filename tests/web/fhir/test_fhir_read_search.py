"""Reads and searches of every resource type validate against the FHIR R4B models."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from planner.models import Motif, Slot, StaffMember
from tests.support.fhir import PARIS, bearer, slot_ids, validate, validate_bundle

FHIR_JSON = "application/fhir+json"


def _book(api: TestClient, token: str, slot_id: str, key: str | None = None):  # noqa: ANN202
    body = {
        "resourceType": "Appointment", "status": "booked",
        "contained": [{"resourceType": "Patient", "id": "p",
                       "name": [{"family": "Durand", "given": ["Léa"]}], "birthDate": "1990-04-12",
                       "telecom": [{"system": "email", "value": "lea.durand@example.org"},
                                   {"system": "phone", "value": "+33 6 12 34 56 78"}]}],
        "slot": [{"reference": f"Slot/{slot_id}"}],
        "participant": [{"actor": {"reference": "#p"}, "status": "accepted"}],
    }
    headers = {**bearer(token), "Content-Type": FHIR_JSON}
    if key:
        headers["Idempotency-Key"] = key
    return api.post("/fhir/Appointment", json=body, headers=headers)


def test_metadata_is_a_valid_capability_statement_listing_what_is_served(api: TestClient) -> None:
    response = api.get("/fhir/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(FHIR_JSON)
    statement = response.json()
    validate(statement)
    resources = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(resources) == {"Practitioner", "PractitionerRole", "Location", "HealthcareService",
                              "Schedule", "Slot", "Appointment", "Patient"}
    assert [i["code"] for i in resources["Patient"]["interaction"]] == ["read"]
    assert [i["code"] for i in resources["Appointment"]["interaction"]] == [
        "read", "search-type", "create"]
    slot_params = {p["name"] for p in resources["Slot"]["searchParam"]}
    assert slot_params == {"_id", "start", "service-type", "specialty", "schedule",
                           "schedule.actor", "status"}


def test_every_type_reads_and_searches_into_valid_resources(api: TestClient, token: str) -> None:
    with Session(api.app.state.engine) as db:
        first_slot = db.exec(select(Slot).order_by(col(Slot.id))).first()
    assert first_slot is not None
    booked = _book(api, token, str(first_slot.id))
    assert booked.status_code == 201, booked.text
    for resource_type in ("Practitioner", "PractitionerRole", "Location", "HealthcareService",
                          "Schedule", "Slot", "Appointment"):
        response = api.get(f"/fhir/{resource_type}", headers=bearer(token))
        assert response.status_code == 200, (resource_type, response.text)
        bundle = response.json()
        resources = validate_bundle(bundle)
        assert bundle["total"] >= len(resources) >= 1, resource_type
        assert all(r["resourceType"] == resource_type for r in resources)
        assert bundle["link"][0]["relation"] == "self"
        first = resources[0]
        read = api.get(f"/fhir/{resource_type}/{first['id']}", headers=bearer(token))
        assert read.status_code == 200 and read.json() == first, resource_type
    patient_ref = booked.json()["participant"][0]["actor"]["reference"]
    patient = api.get(f"/fhir/{patient_ref}", headers=bearer(token))
    assert patient.status_code == 200
    assert validate(patient.json()).birthDate == dt.date(1990, 4, 12)


def test_directory_content(api: TestClient, token: str) -> None:
    engine: Engine = api.app.state.engine
    with Session(engine) as db:
        morel = db.exec(select(StaffMember).where(StaffMember.code == "MOREL")).one()
        staff = db.exec(select(StaffMember)).all()
    clinical = [m for m in staff if m.profession not in ("secretary", "manager")]
    practitioners = api.get("/fhir/Practitioner?_count=200", headers=bearer(token)).json()
    assert practitioners["total"] == len(clinical)
    found = api.get("/fhir/Practitioner?name=morel", headers=bearer(token)).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [str(morel.id)]
    role = api.get(f"/fhir/PractitionerRole/{morel.id}", headers=bearer(token)).json()
    assert role["healthcareService"] == [{"reference": "HealthcareService/1-general-practitioner"}]
    services = api.get("/fhir/HealthcareService?service-type=mg-video",
                       headers=bearer(token)).json()
    assert [e["resource"]["id"] for e in services["entry"]] == ["1-general-practitioner"]
    rooms = api.get("/fhir/Location?partof=Location/site-1", headers=bearer(token)).json()
    assert rooms["total"] == 7 and all(e["resource"]["id"].startswith("room-") for e in rooms["entry"])
    schedules = api.get(f"/fhir/Schedule?actor=Practitioner/{morel.id}", headers=bearer(token)).json()
    assert [e["resource"]["id"] for e in schedules["entry"]] == [str(morel.id)]


def _all_pages(api: TestClient, token: str, url: str) -> tuple[int, list[str]]:
    ids: list[str] = []
    total = None
    while url:
        bundle = api.get(url, headers=bearer(token)).json()
        validate_bundle(bundle)
        total = bundle["total"] if total is None else total
        ids += [entry["resource"]["id"] for entry in bundle.get("entry", [])]
        following = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        url = ""
        if following:
            parts = urlsplit(following[0])
            assert parts.netloc == "127.0.0.1" and parts.path.startswith("/fhir/")
            url = f"{parts.path}?{parts.query}"
    assert total is not None
    return total, ids


def test_slot_search_by_date_range_pages_through_exactly_the_expected_slots(
        api: TestClient, token: str) -> None:
    tuesday = dt.datetime(2026, 11, 24, tzinfo=PARIS)
    with Session(api.app.state.engine) as db:
        expected = slot_ids(db, select(Slot).where(
            Slot.starts_at >= tuesday, Slot.starts_at < tuesday + dt.timedelta(days=1)))
        afternoon = slot_ids(db, select(Slot).where(
            Slot.starts_at > tuesday.replace(hour=14), Slot.starts_at <= tuesday.replace(hour=16)))
    assert 30 < len(expected) < 200
    total, ids = _all_pages(api, token, "/fhir/Slot?start=ge2026-11-24&start=lt2026-11-25&_count=25")
    assert total == len(expected) and ids == expected
    total, ids = _all_pages(api, token, "/fhir/Slot?start=2026-11-24")
    assert ids == expected
    total, ids = _all_pages(
        api, token, "/fhir/Slot?start=gt2026-11-24T14:00:00%2B01:00&start=le2026-11-24T15:00:00Z")
    assert ids == afternoon and afternoon


def test_slot_search_by_service_type_practitioner_and_status(api: TestClient, token: str) -> None:
    with Session(api.app.state.engine) as db:
        video = db.exec(select(Motif).where(Motif.code == "mg-video")).one()
        morel = db.exec(select(StaffMember).where(StaffMember.code == "MOREL")).one()
        video_ids = slot_ids(db, select(Slot).where(Slot.motif_id == video.id))
        morel_ids = slot_ids(db, select(Slot).where(Slot.staff_id == morel.id))
    assert video_ids and morel_ids
    system = "urn:creneau:fhir:motif"
    for url in ("/fhir/Slot?service-type=mg-video", f"/fhir/Slot?service-type={system}|mg-video"):
        assert _all_pages(api, token, url)[1] == video_ids
    assert _all_pages(api, token, "/fhir/Slot?service-type=other|mg-video")[1] == []
    for url in (f"/fhir/Slot?schedule.actor=Practitioner/{morel.id}",
                f"/fhir/Slot?schedule=Schedule/{morel.id}", f"/fhir/Slot?schedule={morel.id}"):
        assert _all_pages(api, token, url)[1] == morel_ids
    assert _book(api, token, morel_ids[0]).status_code == 201
    free = _all_pages(api, token, f"/fhir/Slot?schedule.actor=Practitioner/{morel.id}&status=free")
    busy = _all_pages(api, token, f"/fhir/Slot?schedule.actor=Practitioner/{morel.id}&status=busy")
    assert free[1] == morel_ids[1:] and busy[1] == morel_ids[:1]
    slot = api.get(f"/fhir/Slot/{morel_ids[0]}", headers=bearer(token)).json()
    assert slot["status"] == "busy"


def test_bad_requests_are_operation_outcomes(api: TestClient, token: str) -> None:
    cases = {
        "/fhir/Slot?colour=blue": 400, "/fhir/Slot?start=2026-13-01": 400,
        "/fhir/Slot?start=ap2026-11-24": 400, "/fhir/Slot?service-type:text=x": 400,
        "/fhir/Slot?_count=lots": 400, "/fhir/Slot?status=maybe": 400,
        "/fhir/Slot?schedule=Patient/1": 400,
        "/fhir/Slot/999999": 404, "/fhir/Slot/not_an_id!": 404, "/fhir/Practitioner/999": 404,
        "/fhir/Location/site-99": 404, "/fhir/Observation/1": 404, "/fhir/Observation": 404,
        "/fhir/Patient": 405,
    }
    for url, status in cases.items():
        response = api.get(url, headers=bearer(token))
        assert response.status_code == status, (url, response.text)
        assert response.headers["content-type"].startswith(FHIR_JSON)
        validate(response.json())
        assert response.json()["resourceType"] == "OperationOutcome"
    for method, url in (("PUT", "/fhir/Slot/1"), ("DELETE", "/fhir/Slot"), ("POST", "/fhir/Slot")):
        response = api.request(method, url, headers=bearer(token))
        assert response.status_code == 405, (method, url)
        validate(response.json())
    count = api.get("/fhir/Slot?_count=0", headers=bearer(token)).json()
    assert count["total"] > 0 and "entry" not in count
    capped = api.get("/fhir/Slot?_count=5000", headers=bearer(token)).json()
    assert len(capped["entry"]) == 200


def test_openapi_lists_the_fhir_routes_with_tags(api: TestClient) -> None:
    paths = api.get("/schema/openapi.json").json()["paths"]
    assert paths["/fhir/Slot"]["get"]["tags"] == ["FHIR scheduling"]
    assert paths["/fhir/Appointment"]["post"]["tags"] == ["FHIR appointments"]
    assert "/fhir/metadata" in paths and "/fhir/{resource_type}" not in paths

