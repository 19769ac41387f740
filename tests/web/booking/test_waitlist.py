"""A freed slot goes to the waiting list: offered by e-mail in order, the first to accept gets it."""

from __future__ import annotations

import datetime as dt
import re

from litestar.testing import TestClient
from sqlmodel import Session, select

from planner.booking.mail.sender import SmtpConfig, deliver_due, mail_tick
from planner.booking.manage_links import Links
from planner.models import WaitlistEntry, WaitlistStatus
from tests.planner.booking.support import NOW, MailBox, text_of

FORM = {"given_name": "X", "family_name": "Test", "birth_date": "1980-01-02", "consent": "on"}


def _book(client: TestClient, link: str, email: str) -> str:
    response = client.post(link, data={**FORM, "email": email}, follow_redirects=False)
    assert response.status_code == 303
    return response.headers["location"].split("?")[0]


def test_a_cancelled_slot_is_filled_from_the_waitlist(
        booking_client: TestClient, smtp_server: MailBox) -> None:
    engine = booking_client.app.state.engine
    config = SmtpConfig(host="127.0.0.1", port=smtp_server.port)
    week = booking_client.get("/book/kine-seance?week=2026-12-07").text
    links = re.findall(r'href="(/book/kine-seance/slot/\d+)"', week)
    anne = _book(booking_client, links[0], "anne@example.org")
    jeanne = _book(booking_client, links[-1], "jeanne@example.org")
    paul = _book(booking_client, links[-2], "paul@example.org")
    for manage in (jeanne, paul):  # Jeanne asks first
        assert "waiting list" in booking_client.post(manage + "/waitlist?lang=en",
                                                     data={"action": "join"}).text
    booking_client.post(anne + "/cancel")
    deliver_due(engine, config, NOW)
    offers = {str(m["To"]): m for m in smtp_server.of_kind("plus tôt")}
    assert set(offers) == {"jeanne@example.org", "paul@example.org"}
    offer_link = {to: re.search(r"http://127\.0\.0\.1(/book/offer/\S+)", text_of(m)).group(1)
                  for to, m in offers.items()}
    page = booking_client.get(offer_link["paul@example.org"])
    assert page.status_code == 200 and "Take this time" in page.text
    taken = booking_client.post(offer_link["paul@example.org"], follow_redirects=False)
    assert taken.status_code == 303
    assert "Your appointment was moved" in booking_client.get(taken.headers["location"]).text
    assert links[0] not in booking_client.get("/book/kine-seance?week=2026-12-07").text
    late = booking_client.post(offer_link["jeanne@example.org"])
    assert late.status_code == 409 and "no longer available" in late.text
    # Paul's old slot is now offered to Jeanne, and that offer expires if she does nothing
    deliver_due(engine, config, NOW)
    with Session(engine) as db:
        entry = db.exec(select(WaitlistEntry).where(WaitlistEntry.status == WaitlistStatus.OFFERED)).one()
        assert entry.offer_expires_at is not None
    assert str(smtp_server.messages[-1]["To"]) == "jeanne@example.org"
    mail_tick(engine, None, Links(b"k", "http://127.0.0.1"), entry.offer_expires_at + dt.timedelta(seconds=1))
    with Session(engine) as db:
        assert db.get(WaitlistEntry, entry.id).status == WaitlistStatus.EXPIRED
    assert "the offer expired" in booking_client.get(jeanne + "?lang=en").text
