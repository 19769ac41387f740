"""The clinician's day leads to today's video consultations."""

from __future__ import annotations

import html

from litestar.testing import TestClient
from sqlalchemy.engine import Engine

from tests.support.video import CLINICIAN_EMAIL, make_video_appointment

from .conftest import staff_cookie


def test_the_day_page_links_each_video_appointment_to_its_call(
        web: TestClient, sqlite_demo_engine: Engine) -> None:
    appointment_id = make_video_appointment(sqlite_demo_engine)
    web.cookies.set("creneau_staff", staff_cookie(sqlite_demo_engine, CLINICIAN_EMAIL))
    page = web.get("/staff/day", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert f'href="/staff/video/{appointment_id}"' in text
    assert "Ouvrir la téléconsultation" in text
    call = web.get(f"/staff/video/{appointment_id}")
    assert call.status_code == 200
