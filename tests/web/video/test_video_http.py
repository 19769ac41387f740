"""Join links, pages and the signalling API through Litestar's test client: who is refused, how."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from planner.booking.manage_links import manage_token
from planner.errors import ConfigError
from planner.models import AppointmentStatus, AuditEvent, Mode
from planner.settings import Settings
from telecon.tokens import issue_token
from tests.support.video import (
    OTHER_CLINICIAN_EMAIL,
    PHARMACIST_EMAIL,
    make_video_appointment,
)
from web.video_runtime import join_secret, telecon_config

from .conftest import SECRET_KEY, staff_cookie

KEY = SECRET_KEY.encode()
JOIN = join_secret(KEY)
API = "/api/v1/video"
FAKE_SDP = (
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 127.0.0.1\r\na=mid:0\r\na=sendrecv\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=rtcp-mux\r\n"
    "a=rtpmap:111 opus/48000/2\r\na=setup:actpass\r\n"
)


def patient_id_of(engine: Engine, appointment_id: int) -> int:
    from planner.models import Appointment

    with Session(engine) as db:
        row = db.get(Appointment, appointment_id)
        assert row is not None
        return row.patient_id


def staff_id_of(engine: Engine, appointment_id: int) -> int:
    from planner.video import video_appointment

    with Session(engine) as db:
        found = video_appointment(db, appointment_id)
        assert found is not None
        return found.staff_id


def patient_token(engine: Engine, appointment_id: int) -> str:
    return issue_token(JOIN, str(appointment_id), "patient", str(patient_id_of(engine, appointment_id)))


def clinician_token(engine: Engine, appointment_id: int) -> str:
    return issue_token(JOIN, str(appointment_id), "clinician", str(staff_id_of(engine, appointment_id)))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_join_link_mints_a_token_kept_out_of_the_address(web: TestClient, sqlite_demo_engine: Engine) -> None:
    appointment = make_video_appointment(sqlite_demo_engine)
    response = web.get(f"/video/{appointment}/join", params={"t": manage_token(KEY, appointment)},
                       follow_redirects=False)
    assert response.status_code in (302, 303, 307)
    assert response.headers["location"] == f"/video/{appointment}"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and f"Path=/video/{appointment}" in cookie
    page = web.get(f"/video/{appointment}")
    assert page.status_code == 200
    assert 'data-role="patient"' in page.text and "Claire Morel" in page.text
    assert "Toux" not in page.text  # never the reason for the visit
    assert "<script>" not in page.text  # CSP: scripts come from files
    assert page.headers["cache-control"] == "no-store"
    # the token of the page works for the API (check-in)
    token = re.search(r'data-token="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    checked = web.post(f"{API}/{appointment}/check-in", headers=bearer(token))
    assert checked.status_code == 200, checked.text
    assert checked.json() == {"state": "waiting", "clinician_present": False, "admitted": False}


@pytest.mark.parametrize("token", ["", "12.abc", "999.xyz"])
def test_bad_manage_links_are_refused(web: TestClient, sqlite_demo_engine: Engine, token: str) -> None:
    appointment = make_video_appointment(sqlite_demo_engine)
    other = make_video_appointment(sqlite_demo_engine)
    tokens = {"": "", "12.abc": "12.abc", "999.xyz": manage_token(KEY, other)}  # another appointment's
    response = web.get(f"/video/{appointment}/join", params={"t": tokens[token]}, follow_redirects=False)
    assert response.status_code == 403
    assert "set-cookie" not in response.headers or "creneau_video" not in response.headers["set-cookie"]


def test_cancelled_and_in_person_appointments(web: TestClient, sqlite_demo_engine: Engine) -> None:
    cancelled = make_video_appointment(sqlite_demo_engine, status=AppointmentStatus.CANCELLED)
    response = web.get(f"/video/{cancelled}/join", params={"t": manage_token(KEY, cancelled)},
                       follow_redirects=False)
    assert response.status_code == 410
    token = patient_token(sqlite_demo_engine, cancelled)
    refused = web.post(f"{API}/{cancelled}/check-in", headers=bearer(token))
    assert refused.status_code == 410 and refused.json()["extra"]["reason"] == "cancelled"
    in_person = make_video_appointment(sqlite_demo_engine, mode=Mode.IN_PERSON)
    response = web.get(f"/video/{in_person}/join", params={"t": manage_token(KEY, in_person)},
                       follow_redirects=False)
    assert response.status_code == 404


def test_page_without_a_valid_token(web: TestClient, sqlite_demo_engine: Engine) -> None:
    appointment = make_video_appointment(sqlite_demo_engine)
    assert web.get(f"/video/{appointment}").status_code == 401
    expired = issue_token(JOIN, str(appointment), "patient", "1", ttl_seconds=60, now=time.time() - 120)
    assert web.get(f"/video/{appointment}", params={"token": expired}).status_code == 401
    clinician = clinician_token(sqlite_demo_engine, appointment)
    assert web.get(f"/video/{appointment}", params={"token": clinician}).status_code == 403


def test_api_token_refusals(web: TestClient, sqlite_demo_engine: Engine) -> None:
    appointment = make_video_appointment(sqlite_demo_engine)
    other = make_video_appointment(sqlite_demo_engine)
    patient = str(patient_id_of(sqlite_demo_engine, appointment))
    good = issue_token(JOIN, str(appointment), "patient", patient)
    url = f"{API}/{appointment}/check-in"

    def reason(response) -> tuple[int, str]:  # noqa: ANN001
        return response.status_code, response.json().get("extra", {}).get("reason", "")

    assert reason(web.post(url)) == (401, "missing")
    assert reason(web.post(url, headers=bearer("not-a-token"))) == (401, "malformed")
    payload, signature = good.split(".")
    tampered = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    assert reason(web.post(url, headers=bearer(tampered))) == (401, "bad_signature")
    expired = issue_token(JOIN, str(appointment), "patient", patient, ttl_seconds=60, now=time.time() - 120)
    assert reason(web.post(url, headers=bearer(expired))) == (401, "expired")
    other_room = issue_token(JOIN, str(other), "patient", patient)
    assert reason(web.post(url, headers=bearer(other_room))) == (403, "wrong_room")
    # signed with the link key rather than the join key: refused
    wrong_key = issue_token(KEY, str(appointment), "patient", patient)
    assert reason(web.post(url, headers=bearer(wrong_key))) == (401, "bad_signature")
    stranger = issue_token(JOIN, str(appointment), "patient", "999999")
    assert reason(web.post(url, headers=bearer(stranger))) == (403, "not_allowed")
    unknown = issue_token(JOIN, "99999", "patient", patient)
    assert reason(web.post(f"{API}/99999/check-in", headers=bearer(unknown))) == (404, "unknown_room")
    # the token may also come in the JSON body
    assert web.post(url, json={"token": good}).status_code == 200


def test_patient_cannot_admit_or_end_and_waits_before_admission(
        web: TestClient, sqlite_demo_engine: Engine) -> None:
    appointment = make_video_appointment(sqlite_demo_engine)
    patient = patient_token(sqlite_demo_engine, appointment)
    headers = bearer(patient)
    assert web.post(f"{API}/{appointment}/check-in", headers=headers).status_code == 200
    admitted = web.post(f"{API}/{appointment}/admit", headers=headers)
    assert admitted.status_code == 403 and admitted.json()["extra"]["reason"] == "not_allowed"
    assert web.post(f"{API}/{appointment}/end", headers=headers).status_code == 403
    # a well-formed offer before admission: 409, and no answer
    sdp = FAKE_SDP + "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\n"
    refused = web.post(f"{API}/{appointment}/offer", headers=headers, json={"sdp": sdp, "type": "offer"})
    assert refused.status_code == 409 and refused.json()["extra"]["reason"] == "not_admitted"
    assert "sdp" not in refused.json()


def test_bad_and_oversized_sdp(web: TestClient, sqlite_demo_engine: Engine) -> None:
    appointment = make_video_appointment(sqlite_demo_engine)
    clinician = clinician_token(sqlite_demo_engine, appointment)
    url = f"{API}/{appointment}/offer"
    no_fingerprint = web.post(url, headers=bearer(clinician), json={"sdp": FAKE_SDP, "type": "offer"})
    assert no_fingerprint.status_code == 400, no_fingerprint.text
    assert no_fingerprint.json()["extra"]["reason"] == "no_fingerprint"
    answer_type = web.post(url, headers=bearer(clinician), json={"sdp": FAKE_SDP, "type": "answer"})
    assert answer_type.status_code == 400
    padded = FAKE_SDP + "a=x:" + "y" * 20_000 + "\r\n"
    too_large = web.post(url, headers=bearer(clinician), json={"sdp": padded})
    assert too_large.status_code == 413
    huge_body = web.post(url, headers=bearer(clinician), json={"sdp": "y" * 100_000})
    assert huge_body.status_code == 413
    not_json = web.post(url, headers={**bearer(clinician), "content-type": "application/json"}, content=b"{")
    assert not_json.status_code == 400
    wrong_shape = web.post(url, headers=bearer(clinician), json={"sdp": 12})
    assert wrong_shape.status_code == 400


def test_clinician_page_is_for_the_owner_only(web: TestClient, sqlite_demo_engine: Engine) -> None:
    appointment = make_video_appointment(sqlite_demo_engine)
    anonymous = web.get(f"/staff/video/{appointment}", follow_redirects=False)
    assert anonymous.status_code in (302, 303, 401)
    web.cookies.set("creneau_staff", staff_cookie(sqlite_demo_engine, OTHER_CLINICIAN_EMAIL))
    assert web.get(f"/staff/video/{appointment}").status_code == 403
    web.cookies.set("creneau_staff", staff_cookie(sqlite_demo_engine, "claire.morel@msp-tilleuls.example"))
    page = web.get(f"/staff/video/{appointment}")
    assert page.status_code == 200
    assert 'data-role="clinician"' in page.text and "Jeanne Martin" in page.text
    token = re.search(r'data-token="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    # the API works with the staff cookie present and no CSRF token: it uses the bearer token
    checked = web.post(f"{API}/{appointment}/check-in", headers=bearer(token))
    assert checked.status_code == 200, checked.text
    assert checked.json()["clinician_present"] is True
    # nobody waiting: nothing to admit
    assert web.post(f"{API}/{appointment}/admit", headers=bearer(token)).status_code == 403
    # the waiting room lists today's video consultations
    if dt.datetime.now().hour < 23:
        listing = web.get("/staff/video/waiting-room")
        assert listing.status_code == 200 and "Jeanne Martin" in listing.text


def test_end_marks_attended_and_closes_the_room(web: TestClient, sqlite_demo_engine: Engine) -> None:
    appointment = make_video_appointment(sqlite_demo_engine)
    clinician = bearer(clinician_token(sqlite_demo_engine, appointment))
    patient = bearer(patient_token(sqlite_demo_engine, appointment))
    assert web.post(f"{API}/{appointment}/check-in", headers=patient).status_code == 200
    assert web.post(f"{API}/{appointment}/admit", headers=clinician).json()["state"] == "in_call"
    ended = web.post(f"{API}/{appointment}/end", headers=clinician)
    assert ended.status_code == 200 and ended.json()["state"] == "ended"
    from tests.support.video import appointment_status

    assert appointment_status(sqlite_demo_engine, appointment) == "attended"
    with Session(sqlite_demo_engine) as db:
        rows = db.exec(select(AuditEvent).where(AuditEvent.action == "video_consultation_ended")
                       .order_by(col(AuditEvent.id).desc())).all()
        assert rows and rows[0].object_id == str(appointment)
    again = web.post(f"{API}/{appointment}/check-in", headers=patient)
    assert again.status_code == 410 and again.json()["extra"]["reason"] == "ended"


def test_pharmacist_assists_only_counter_bookings(web: TestClient, sqlite_demo_engine: Engine) -> None:
    online = make_video_appointment(sqlite_demo_engine)
    counter = make_video_appointment(sqlite_demo_engine, booked_by_email=PHARMACIST_EMAIL)
    web.cookies.set("creneau_staff", staff_cookie(sqlite_demo_engine, PHARMACIST_EMAIL))
    assert web.get(f"/staff/video/{online}/assist").status_code == 403
    page = web.get(f"/staff/video/{counter}/assist")
    assert page.status_code == 200 and 'data-role="pharmacist"' in page.text
    assert web.get(f"/staff/video/{counter}").status_code == 403  # not a clinician page for them


def test_signalling_is_in_the_openapi_schema(web: TestClient) -> None:
    schema = web.get("/schema/openapi.json").json()
    paths = schema["paths"]
    for action in ("offer", "echo", "check-in", "admit", "leave", "end", "events"):
        assert f"/api/v1/video/{{room}}/{action}" in paths


def test_ice_settings() -> None:
    default = telecon_config(Settings(secret_key="x" * 20))
    assert default.ice.servers == () and default.ice.host_addresses == ()
    listed = telecon_config(Settings(secret_key="x" * 20, ice_username="u", ice_credential="p",
                                     ice_servers="stun:stun.example.org, turn:turn.example.org"))
    assert [s.urls for s in listed.ice.servers] == [("stun:stun.example.org",), ("turn:turn.example.org",)]
    assert listed.ice.servers[1].username == "u" and listed.ice.servers[0].username is None
    as_json = telecon_config(Settings(secret_key="x" * 20, ice_servers='[{"urls": ["turn:t.example.org"], '
                                      '"username": "a", "credential": "b"}]'))
    assert as_json.ice.servers[0].credential == "b"
    for bad in ("http://example.org", "[oops"):
        with pytest.raises(ConfigError):
            telecon_config(Settings(secret_key="x" * 20, ice_servers=bad))
    with pytest.raises(ConfigError):
        telecon_config(Settings(secret_key="x" * 20, ice_accept_networks="not-a-network"))
