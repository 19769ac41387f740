"""A patient who booked a video consultation finds the way into it on their appointment page."""

from __future__ import annotations

import html
import re

from litestar.testing import TestClient

from tests.web.booking.test_booking_api import BODY


def test_manage_page_of_a_video_booking_leads_to_the_video_room(booking_client: TestClient) -> None:
    slot = booking_client.get("/api/v1/slots", params={"mode": "video"}).json()["slots"][0]
    booking = booking_client.post("/api/v1/bookings", json={**BODY, "slot_id": slot["id"]},
                                  headers={"Idempotency-Key": "video-1"}).json()
    page = booking_client.get(booking["manage_url"].removeprefix("http://127.0.0.1"),
                              headers={"Accept-Language": "fr"})
    text = html.unescape(page.text)
    assert "Rejoindre la téléconsultation" in text
    join = re.search(r'href="(/video/\d+/join\?t=[^"]+)"', text)
    assert join, "no join link on the manage page"
    opened = booking_client.get(join.group(1), follow_redirects=False)
    assert opened.status_code in (302, 303)
    assert opened.headers["location"].startswith(f"/video/{booking['id']}")


def test_in_person_bookings_have_no_video_link(booking_client: TestClient) -> None:
    slot = booking_client.get("/api/v1/slots", params={"motif": "mg-consult"}).json()["slots"][3]
    booking = booking_client.post("/api/v1/bookings", json={**BODY, "slot_id": slot["id"]},
                                  headers={"Idempotency-Key": "in-person-1"}).json()
    page = booking_client.get(booking["manage_url"].removeprefix("http://127.0.0.1"))
    assert "/join?t=" not in page.text
