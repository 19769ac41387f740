"""Sign-in, sessions, CSRF, throttling, security headers and the audit trail, as users notice them."""

from __future__ import annotations

import datetime as dt
import re

from litestar.testing import TestClient
from sqlmodel import Session, select

from planner.audit import verify_chain
from planner.models import AuditEvent, StaffSession
from tests.web.staff.helpers import MANAGER, csrf_of, email_of, sign_in

NURSE = "camille.petit@msp-tilleuls.example"


def test_staff_entry_sends_visitors_to_sign_in_and_each_role_to_its_page(staff_client: TestClient) -> None:
    assert staff_client.get("/staff", follow_redirects=False).headers["location"] == "/staff/signin"
    assert sign_in(staff_client, NURSE).headers["location"] == "/staff/day"
    assert staff_client.get("/staff", follow_redirects=False).headers["location"] == "/staff/day"


def test_manager_needs_the_second_factor(staff_client: TestClient) -> None:
    form = staff_client.get("/staff/signin")
    nonce = re.search(r'name="nonce" value="([^"]+)"', form.text).group(1)
    response = staff_client.post("/staff/signin", data={"email": MANAGER, "password": "demo-creneau",
                                                        "nonce": nonce}, follow_redirects=False)
    assert response.headers["location"] == "/staff/signin/code"
    # half signed in: the roster stays closed
    assert staff_client.get("/staff/roster", follow_redirects=False).status_code in (302, 303, 401)
    page = staff_client.get("/staff/signin/code")
    wrong = staff_client.post("/staff/signin/code", data={"_csrf": csrf_of(page.text), "code": "000000"},
                              follow_redirects=False)
    assert wrong.status_code == 401 and "pas bon" in wrong.text


def test_session_id_changes_at_sign_in_and_cookie_flags(staff_client: TestClient) -> None:
    staff_client.cookies.set("creneau_staff", "planted-by-an-attacker")
    response = sign_in(staff_client, NURSE)
    cookie = response.headers["set-cookie"]
    assert "creneau_staff=" in cookie and "planted-by-an-attacker" not in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_cookie_is_secure_over_https(staff_app) -> None:  # noqa: ANN001
    with TestClient(app=staff_app, base_url="https://localhost") as client:
        response = sign_in(client, NURSE)
        assert "Secure" in response.headers["set-cookie"]
        assert "max-age=" in client.get("/staff/day").headers["strict-transport-security"]


def test_sign_out_really_ends_the_session(staff_client: TestClient, sqlite_demo_engine) -> None:  # noqa: ANN001
    sign_in(staff_client, NURSE)
    token = staff_client.cookies.get("creneau_staff")
    page = staff_client.get("/staff/day")
    staff_client.post("/staff/signout", data={"_csrf": csrf_of(page.text)})
    with Session(sqlite_demo_engine) as db:
        assert db.exec(select(StaffSession)).all() == []
    staff_client.cookies.set("creneau_staff", token)  # replaying the old cookie does not help
    assert staff_client.get("/staff/day", follow_redirects=False).status_code in (302, 303, 401)


def test_idle_and_absolute_timeouts(staff_client: TestClient, sqlite_demo_engine) -> None:  # noqa: ANN001
    sign_in(staff_client, NURSE)
    with Session(sqlite_demo_engine) as db:
        row = db.exec(select(StaffSession)).one()
        row.last_seen_at = row.last_seen_at - dt.timedelta(minutes=16)
        db.add(row)
        db.commit()
    assert staff_client.get("/staff/day", follow_redirects=False).status_code in (302, 303, 401)
    sign_in(staff_client, NURSE)
    with Session(sqlite_demo_engine) as db:
        row = db.exec(select(StaffSession)).one()
        row.created_at = row.created_at - dt.timedelta(hours=11)
        db.add(row)
        db.commit()
    assert staff_client.get("/staff/day", follow_redirects=False).status_code in (302, 303, 401)


def test_known_and_unknown_accounts_get_the_same_answer(staff_client: TestClient) -> None:
    answers = []
    for email in (NURSE, "nobody@msp-tilleuls.example"):
        form = staff_client.get("/staff/signin")
        nonce = re.search(r'name="nonce" value="([^"]+)"', form.text).group(1)
        response = staff_client.post("/staff/signin", data={"email": email, "password": "wrong",
                                                            "nonce": nonce})
        answers.append((response.status_code, response.text.replace(nonce, "").replace(email, "")))
    assert answers[0][0] == answers[1][0] == 401
    body = [re.sub(r'name="nonce" value="[^"]*"|[0-9a-f]{32}', "", text) for _status, text in answers]
    assert body[0] == body[1]


def test_sign_in_is_throttled_per_account(staff_client: TestClient) -> None:
    for _ in range(5):
        assert sign_in(staff_client, NURSE, "wrong").status_code == 401
    assert sign_in(staff_client, NURSE, "wrong").status_code == 429
    assert sign_in(staff_client, NURSE).status_code == 429  # even the right password waits


def test_csrf_token_is_required_and_tied_to_the_session(staff_client: TestClient) -> None:
    sign_in(staff_client, NURSE)
    assert staff_client.post("/staff/wishes/leave", data={"start_date": "2030-01-01",
                                                          "end_date": "2030-01-02"}).status_code == 403
    assert staff_client.post("/staff/wishes/leave", data={"_csrf": "forged", "start_date": "2030-01-01",
                                                          "end_date": "2030-01-02"}).status_code == 403
    token = csrf_of(staff_client.get("/staff/wishes").text)
    ok = staff_client.post("/staff/wishes/leave", data={"_csrf": token, "start_date": "2030-01-01",
                                                        "end_date": "2030-01-02"}, follow_redirects=False)
    assert ok.status_code == 303


def test_cross_origin_posts_are_refused(staff_client: TestClient) -> None:
    sign_in(staff_client, NURSE)
    token = csrf_of(staff_client.get("/staff/wishes").text)
    response = staff_client.post("/staff/wishes/leave", headers={"origin": "https://evil.example"},
                                 data={"_csrf": token, "start_date": "2030-01-01", "end_date": "2030-01-02"})
    assert response.status_code == 403


def test_unknown_hosts_are_refused(staff_app) -> None:  # noqa: ANN001
    with TestClient(app=staff_app, base_url="http://evil.example") as client:
        assert client.get("/").status_code == 400


def test_security_headers_on_errors_and_no_store_on_staff_pages(staff_client: TestClient) -> None:
    responses = [staff_client.get("/nowhere"), staff_client.delete("/"),
                 staff_client.get("/staff/roster", headers={"accept": "application/json"})]
    sign_in(staff_client, NURSE)
    responses.append(staff_client.get("/staff/roster"))
    assert [r.status_code for r in responses] == [404, 405, 401, 403]
    for response in responses:
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"]
    assert staff_client.get("/staff/day").headers["cache-control"] == "no-store"


def test_audit_rows_are_chained_and_immutable(staff_client: TestClient, sqlite_demo_engine) -> None:  # noqa: ANN001
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    from planner.audit import AuditTamperingError

    sign_in(staff_client, NURSE, "wrong")
    sign_in(staff_client, NURSE)
    staff_client.get("/staff/roster")  # refused: a nurse is no manager
    with Session(sqlite_demo_engine) as db:
        rows = db.exec(select(AuditEvent)).all()
        outcomes = {(r.action, r.outcome) for r in rows}
        assert ("signin", "refused") in outcomes and ("access", "refused") in outcomes
        assert all(r.request_id for r in rows)
        assert verify_chain(db).intact
        row = rows[0]
        row.outcome = "ok"
        db.add(row)
        with pytest.raises(AuditTamperingError):
            db.commit()
    with sqlite_demo_engine.begin() as connection, pytest.raises(DatabaseError):
        connection.execute(text("DELETE FROM auditevent"))
    with sqlite_demo_engine.begin() as connection, pytest.raises(DatabaseError):
        connection.execute(text("UPDATE auditevent SET actor = 'x'"))


def test_manager_searches_the_audit_trail(staff_client: TestClient) -> None:
    sign_in(staff_client, NURSE, "wrong")
    sign_in(staff_client, MANAGER)
    page = staff_client.get("/staff/audit", params={"outcome": "refused"})
    assert page.status_code == 200
    assert NURSE in page.text and "refused" in page.text


def test_pages_in_french_and_english(staff_client: TestClient, sqlite_demo_engine) -> None:  # noqa: ANN001
    assert "Se connecter" in staff_client.get("/staff/signin").text
    assert "Sign in" in staff_client.get("/staff/signin?lang=en").text
    sign_in(staff_client, email_of(sqlite_demo_engine, "MOREL"))
    assert "My day" in staff_client.get("/staff/day").text
