"""The booking pages as plain forms (no JavaScript), in French and English."""

from __future__ import annotations

import re

from litestar.testing import TestClient

FORM = {"given_name": "Jeanne", "family_name": "Durand", "birth_date": "1980-01-02",
        "email": "jeanne@example.org", "phone": "", "reason": "", "consent": "on"}


def _slot_links(html: str, prefix: str = "/book/mg-consult/slot/") -> list[str]:
    return re.findall(rf'href="({re.escape(prefix)}\d+)"', html)


def test_choose_motif_then_week_grid_with_htmx_navigation(booking_client: TestClient) -> None:
    home = booking_client.get("/book", headers={"accept-language": "fr"})
    assert home.status_code == 200
    assert "Consultation de médecine générale" in home.text and 'href="/book/mg-consult"' in home.text
    week = booking_client.get("/book/mg-consult")
    assert "Semaine du 23 nov. au 29 nov." in week.text
    assert len(_slot_links(week.text)) > 50
    assert 'hx-get="/book/mg-consult?week=2026-11-30"' in week.text
    partial = booking_client.get("/book/mg-consult?week=2026-11-30", headers={"hx-request": "true"})
    assert partial.text.lstrip().startswith('<section id="week-grid"') and "<html" not in partial.text
    assert "30 nov." in partial.text
    english = booking_client.get("/book/mg-consult?lang=en&week=2026-11-30")
    assert "Week of 30 Nov to 6 Dec" in english.text and "Next week" in english.text


def test_field_errors_then_booking_then_cancel_without_javascript(booking_client: TestClient) -> None:
    week = booking_client.get("/book/mg-consult?week=2026-11-30&lang=en")
    link = _slot_links(week.text)[0]
    form = booking_client.get(link)
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', form.text).group(1)
    invalid = booking_client.post(link, data={"given_name": "", "email": "nope", "idempotency_key": key})
    assert invalid.status_code == 422
    assert 'id="given_name-error"' in invalid.text and 'aria-invalid="true"' in invalid.text
    assert "Enter an e-mail address such as name@example.org." in invalid.text
    assert "Please accept the privacy notice to book." in invalid.text
    booked = booking_client.post(link, data={**FORM, "idempotency_key": key}, follow_redirects=False)
    assert booked.status_code == 303 and "/book/manage/" in booked.headers["location"]
    double_click = booking_client.post(link, data={**FORM, "idempotency_key": key}, follow_redirects=False)
    assert double_click.headers["location"] == booked.headers["location"]
    manage = booking_client.get(booked.headers["location"])
    assert "Your appointment is booked" in manage.text and "Add to my calendar (.ics)" in manage.text
    manage_path = booked.headers["location"].split("?")[0]
    ics = booking_client.get(manage_path + "/appointment.ics")
    assert ics.headers["content-type"].startswith("text/calendar") and "BEGIN:VEVENT" in ics.text
    taken = booking_client.post(link, data={**FORM, "idempotency_key": "another"})
    assert taken.status_code == 409 and "This time is no longer free." in taken.text
    cancelled = booking_client.post(manage_path + "/cancel")
    assert cancelled.status_code == 200 and "Your appointment is cancelled" in cancelled.text
    assert link in booking_client.get("/book/mg-consult?week=2026-11-30").text


def test_move_through_the_manage_link(booking_client: TestClient) -> None:
    links = _slot_links(booking_client.get("/book/kine-seance?week=2026-12-07").text,
                       "/book/kine-seance/slot/")
    booked = booking_client.post(links[0], data=FORM, follow_redirects=False)
    manage_path = booked.headers["location"].split("?")[0]
    grid = booking_client.get(manage_path + "/move?week=2026-12-07")
    targets = _slot_links(grid.text, manage_path + "/move/")
    assert targets and links[0].rsplit("/", 1)[1] not in {t.rsplit("/", 1)[1] for t in targets}
    moved = booking_client.post(targets[3])
    assert moved.status_code == 200 and "Votre rendez-vous a été déplacé" in moved.text
    assert links[0] in booking_client.get("/book/kine-seance?week=2026-12-07").text


def test_after_the_cutoff_the_page_says_whom_to_call(booking_client: TestClient) -> None:
    links = _slot_links(booking_client.get("/book/kine-seance").text, "/book/kine-seance/slot/")
    booked = booking_client.post(links[0], data=FORM, follow_redirects=False)  # Monday: < 24 h away
    page = booking_client.get(booked.headers["location"].split("?")[0] + "?lang=en")
    assert "it can no longer be changed online" in page.text and "04 78 00 12 34" in page.text
    assert "Cancel this appointment" not in page.text


def test_a_forged_manage_link_is_not_found(booking_client: TestClient) -> None:
    assert booking_client.get("/book/manage/1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert booking_client.post("/book/manage/1.x/cancel").status_code == 404
