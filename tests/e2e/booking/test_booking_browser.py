"""Chromium books through the pages, opens the manage link, cancels, and the slot is free again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.booking.servers import Server, prepare_database, server_env

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def booking_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server holding the demo centre with two weeks of slots from today."""
    folder = tmp_path_factory.mktemp("booking-e2e")
    url = f"sqlite:///{folder / 'creneau.db'}"
    prepare_database(url, days=14)
    server = Server(server_env(url, folder))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def test_book_manage_and_cancel_in_chromium(booking_server: str, browser, tmp_path: Path) -> None:  # noqa: ANN001
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(booking_server + "/")
    page.get_by_role("link", name="Book an appointment").first.click()
    page.get_by_role("link", name="Physiotherapy session").click()
    first_week = page.locator("#week-title").inner_text()
    page.get_by_role("link", name="Next week →").click()  # htmx swaps the grid, no full reload
    page.wait_for_function("t => document.querySelector('#week-title').innerText !== t", arg=first_week)
    assert "week=" in page.url
    week_url = page.url
    slot = page.locator(".bk-slot").first
    slot_href = slot.get_attribute("href")
    slot.click()
    page.get_by_role("button", name="Confirm the appointment").click()
    assert page.locator("#given_name-error").is_visible()  # field-level errors
    page.get_by_label("First name").fill("Jeanne")
    page.get_by_label("Last name").fill("Durand")
    page.get_by_label("Date of birth").fill("1980-01-02")
    page.get_by_label("E-mail").fill("jeanne@example.org")
    page.get_by_label("I have read the privacy notice", exact=False).check()
    page.get_by_role("button", name="Confirm the appointment").click()
    assert page.get_by_role("heading", name="Your appointment is booked").is_visible()
    page.screenshot(path=str(tmp_path / "confirmed.png"), full_page=True)
    manage_url = page.locator("#manage-link").input_value()
    ics = page.get_by_role("link", name="Add to my calendar (.ics)")
    assert ics.get_attribute("href").endswith("/appointment.ics")

    other = browser.new_context(locale="en-GB")  # the link works from anywhere
    manage = other.new_page()
    manage.goto(manage_url)
    assert manage.get_by_text("Jeanne Durand").is_visible()
    manage.get_by_role("button", name="Cancel this appointment").click()
    assert manage.get_by_text("Your appointment is cancelled").first.is_visible()
    manage.goto(week_url)
    assert manage.locator(f'a[href="{slot_href}"]').count() == 1, "the slot is free again"
    # the identity form answered 422 on purpose (field errors); anything else is a problem
    assert [p for p in problems if "status of 422" not in p] == [], problems
    context.close()
    other.close()

