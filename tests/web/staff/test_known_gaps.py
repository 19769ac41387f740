"""Security headers on 429 and 500, the idle timeout shown from the setting, expired sessions purged."""

from __future__ import annotations

import datetime as dt

from litestar import get
from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from planner.models import StaffSession, UserAccount
from planner.models.types import utcnow
from planner.settings import Settings
from tests.web.staff.helpers import sign_in

NURSE = "camille.petit@msp-tilleuls.example"


def _assert_security_headers(response) -> None:  # noqa: ANN001 - httpx.Response
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"]


def test_429_answers_carry_the_security_headers(sqlite_demo_engine: Engine, settings: Settings) -> None:
    from web.app import create_app

    app = create_app(settings=settings.model_copy(update={"rate_limit_api": 1}), engine=sqlite_demo_engine)
    with TestClient(app=app, base_url="http://127.0.0.1") as client:
        answers = [client.get("/api/v1/motifs") for _ in range(3)]
        assert answers[-1].status_code == 429
        _assert_security_headers(answers[-1])
        for _ in range(6):
            throttled = sign_in(client, NURSE, "wrong")
        assert throttled.status_code == 429
        _assert_security_headers(throttled)


def test_500_answers_carry_the_security_headers(sqlite_demo_engine: Engine, settings: Settings) -> None:
    from web.app import create_app

    @get("/boom", sync_to_thread=False)
    def boom() -> str:
        raise RuntimeError("broken on purpose")

    app = create_app(settings=settings, engine=sqlite_demo_engine)
    app.register(boom)
    with TestClient(app=app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        for accept in ("text/html", "application/json"):
            response = client.get("/boom", headers={"accept": accept})
            assert response.status_code == 500
            assert "broken on purpose" not in response.text
            _assert_security_headers(response)


def test_sign_in_page_tells_the_configured_idle_timeout(sqlite_demo_engine: Engine,
                                                        settings: Settings) -> None:
    from web.app import create_app

    app = create_app(settings=settings.model_copy(update={"session_idle_minutes": 30}),
                     engine=sqlite_demo_engine)
    with TestClient(app=app, base_url="http://127.0.0.1") as client:
        assert "after 30 minutes" in client.get("/staff/signin?lang=en").text
        assert "après 30 minutes" in client.get("/staff/signin?lang=fr").text


def test_expired_sessions_are_purged_at_sign_in(staff_client: TestClient, sqlite_demo_engine: Engine) -> None:
    with Session(sqlite_demo_engine) as db:
        someone = db.exec(select(UserAccount).where(UserAccount.email != NURSE)).first()
        old = utcnow() - dt.timedelta(hours=2)
        db.add(StaffSession(id="a" * 64, user_id=someone.id, csrf_token="x", created_at=old,
                            last_seen_at=old))
        db.add(StaffSession(id="b" * 64, user_id=someone.id, csrf_token="y"))  # still alive
        db.commit()
    sign_in(staff_client, NURSE)
    with Session(sqlite_demo_engine) as db:
        ids = {row.id for row in db.exec(select(StaffSession))}
    assert "a" * 64 not in ids and "b" * 64 in ids and len(ids) == 2
