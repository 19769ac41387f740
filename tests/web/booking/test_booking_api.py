"""The booking JSON API: motifs, free slots, bookings (201/409/422, idempotent), cancellation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from litestar.testing import TestClient

BODY = {"patient": {"given_name": "Jeanne", "family_name": "Durand", "birth_date": "1980-01-02",
                    "email": "jeanne@example.org", "phone": "06 12 34 56 78"}, "consent": True}


def _slots(client: TestClient, **params: str) -> list[dict]:
    response = client.get("/api/v1/slots", params={"motif": "mg-consult", **params})
    assert response.status_code == 200, response.text
    return response.json()["slots"]


def test_motifs_and_free_slots_in_local_time_with_offset(booking_client: TestClient) -> None:
    motifs = booking_client.get("/api/v1/motifs").json()
    assert {"mg-consult", "mg-video", "kine-seance"} <= {m["code"] for m in motifs}
    slots = _slots(booking_client, **{"from": "2026-11-24", "to": "2026-11-25"})
    assert slots and all(s["start"].startswith("2026-11-24T") for s in slots)
    first = slots[0]
    assert first["start"].endswith("+01:00") and first["mode"] == "in_person"
    assert set(first["clinician"]) == {"id", "name", "profession"}
    assert dt.datetime.fromisoformat(first["end"]) - dt.datetime.fromisoformat(first["start"]) \
        == dt.timedelta(minutes=20)
    video = booking_client.get("/api/v1/slots", params={"mode": "video"}).json()["slots"]
    assert video and {s["mode"] for s in video} == {"video"}
    one = _slots(booking_client, clinician=str(first["clinician"]["id"]))
    assert {s["clinician"]["id"] for s in one} == {first["clinician"]["id"]}


def test_booking_201_then_409_and_an_idempotent_retry(booking_client: TestClient) -> None:
    slot = _slots(booking_client)[10]
    body = {**BODY, "slot_id": slot["id"]}
    created = booking_client.post("/api/v1/bookings", json=body, headers={"Idempotency-Key": "k-1"})
    assert created.status_code == 201, created.text
    booking = created.json()
    assert booking["start"] == slot["start"] and booking["status"] == "booked"
    assert booking["manage_url"].startswith("http://127.0.0.1/book/manage/")
    retry = booking_client.post("/api/v1/bookings", json=body, headers={"Idempotency-Key": "k-1"})
    assert retry.status_code == 201 and retry.json()["id"] == booking["id"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    other = booking_client.post("/api/v1/bookings", json=body, headers={"Idempotency-Key": "k-2"})
    assert other.status_code == 409
    assert slot["id"] not in {s["id"] for s in _slots(booking_client)}
    page = booking_client.get(booking["manage_url"].removeprefix("http://127.0.0.1"))
    assert page.status_code == 200 and "Durand" in page.text


def test_bad_input_gives_422_with_field_errors(booking_client: TestClient) -> None:
    slot = _slots(booking_client)[0]
    bad = {"slot_id": slot["id"], "consent": False,
           "patient": {"given_name": "", "family_name": "Durand", "birth_date": "2999-01-01",
                       "email": "not-an-address"}}
    response = booking_client.post("/api/v1/bookings", json=bad)
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"patient.given_name", "patient.birth_date", "patient.email", "consent"} <= fields
    malformed = booking_client.post("/api/v1/bookings", json={"slot_id": "x", "patient": {}})
    assert malformed.status_code == 422 and malformed.json()["errors"]
    missing = booking_client.post("/api/v1/bookings", json={**BODY, "slot_id": 999999})
    assert missing.status_code == 404


def test_cancel_needs_the_manage_token_and_frees_the_slot(booking_client: TestClient) -> None:
    slot = _slots(booking_client)[-1]
    booking = booking_client.post("/api/v1/bookings", json={**BODY, "slot_id": slot["id"]}).json()
    wrong = booking_client.post(f"/api/v1/bookings/{booking['id']}/cancel", json={"token": "1.abc"})
    assert wrong.status_code == 403
    done = booking_client.post(f"/api/v1/bookings/{booking['id']}/cancel",
                               json={"token": booking["manage_token"]})
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    assert slot["id"] in {s["id"] for s in _slots(booking_client)}
    again = booking_client.post(f"/api/v1/bookings/{booking['id']}/cancel",
                                json={"token": booking["manage_token"]})
    assert again.status_code == 409


def test_rate_limit_is_configurable(client_factory: Callable[..., TestClient]) -> None:
    with client_factory(rate_limit_api=3) as client:
        codes = [client.get("/api/v1/motifs").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert client.get("/book").status_code == 200  # pages are not limited
    with client_factory(rate_limit_api=0) as client:
        assert {client.get("/api/v1/motifs").status_code for _ in range(10)} == {200}


def test_with_redis_the_rate_limit_counts_across_workers(client_factory: Callable[..., TestClient]) -> None:
    import redis

    from tests.support.redis_server import redis_url

    url = redis_url()
    with redis.Redis.from_url(url) as server:  # start from a clean count
        for key in server.scan_iter("creneau_rate_limit*"):
            server.delete(key)
    shared = {"rate_limit_api": 3, "channels_backend": "redis", "redis_url": url}
    with client_factory(**shared) as first, client_factory(**shared) as second:  # two workers
        assert [first.get("/api/v1/motifs").status_code for _ in range(2)] == [200, 200]
        assert [second.get("/api/v1/motifs").status_code for _ in range(2)] == [200, 429]
        assert first.get("/api/v1/motifs").status_code == 429


def test_the_api_is_documented_in_the_openapi_schema(booking_client: TestClient) -> None:
    schema = booking_client.get("/schema/openapi.json").json()
    paths = schema["paths"]
    assert {"/api/v1/motifs", "/api/v1/slots", "/api/v1/bookings",
            "/api/v1/bookings/{booking_id}/cancel"} <= set(paths)
    parameters = {p["name"] for p in paths["/api/v1/bookings"]["post"]["parameters"]}
    assert "Idempotency-Key" in parameters
    assert {"from", "to", "motif", "mode"} <= {p["name"] for p in paths["/api/v1/slots"]["get"]["parameters"]}
