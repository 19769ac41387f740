"""In Chromium: a manager generates the demo roster, watches it, pins a cell, re-solves and
publishes, then re-solves the published version into a new draft (a sick leave); a nurse then
sees the published shifts in her day."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner.auth import totp
from planner.demo import period_start
from tests.conftest import DEMO_TODAY

pytestmark = pytest.mark.browser


def _watch_problems(page) -> list[str]:  # noqa: ANN001
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def test_manager_publishes_and_nurse_sees_the_shifts(server_url: str, browser, tmp_path: Path) -> None:  # noqa: ANN001
    start = period_start(DEMO_TODAY).isoformat()
    manager = browser.new_context(locale="en-GB", viewport={"width": 1440, "height": 1000})
    page = manager.new_page()
    problems = _watch_problems(page)
    page.goto(server_url + "/staff")
    page.get_by_label("E-mail address").fill("valerie.dumas@msp-tilleuls.example")
    page.get_by_label("Password").fill("demo-creneau")
    page.get_by_role("button", name="Sign in").click()
    secret = page.get_attribute("[data-testid=totp-secret]", "data-secret")
    page.locator("#code").fill(totp.totp(secret))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/staff/roster")

    page.get_by_label("First day").fill(start)
    page.get_by_label("Time limit (seconds)").fill("30")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(r".*/staff/roster/\d+$"))
    first_url = page.url
    # live progress arrives over SSE, then the page shows the grid by itself
    page.wait_for_selector("[data-testid=best], .roster-grid", timeout=30000)
    page.wait_for_selector(".roster-grid", timeout=60000)
    assert "Optimal" in page.content()

    # pin Lucas Martin on a night on the third day, then re-solve
    page.locator("a.cell-link[aria-label^=\"Lucas Martin,\"]").nth(2).click()
    page.get_by_label("Shift").select_option(label="N · Nuit")
    page.get_by_role("button", name="Pin", exact=True).click()
    assert page.locator(".pin-mark").count() >= 2  # legend + the cell
    page.get_by_role("button", name="Re-solve around the pins").click()
    page.wait_for_url(lambda url: url != first_url and re.search(r"/staff/roster/\d+$", url) is not None)
    page.wait_for_selector(".roster-grid", timeout=60000)
    page.get_by_role("link", name="Compare with the previous version").click()
    assert "compared with" in page.content()
    page.go_back()
    page.get_by_role("button", name="Publish").click()
    page.wait_for_selector("text=Published: the team sees these shifts")
    page.screenshot(path=str(tmp_path / "roster.png"), full_page=True)

    # later a nurse calls in sick: the published version offers a re-solve into a new draft,
    # which keeps the shifts already worked (the demo's period started before today)
    published = page.url.split("?")[0]
    card = page.locator("#resolve")
    assert card.get_by_role("heading", name="Sick leave or another change").is_visible()
    assert "are in the past" in card.inner_text()
    card.get_by_label("Time limit (seconds)").fill("5")
    card.get_by_role("button", name="Re-solve around the pins").click()
    page.wait_for_url(lambda url: url.split("?")[0] != published
                      and re.search(r"/staff/roster/\d+$", url) is not None)
    page.wait_for_selector(".roster-grid", timeout=60000)
    assert page.locator(".eyebrow .status-draft").count() == 1
    page.screenshot(path=str(tmp_path / "resolved.png"), full_page=True)
    assert not problems, problems
    manager.close()

    nurse = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = nurse.new_page()
    problems = _watch_problems(page)
    page.goto(server_url + "/staff")
    page.get_by_label("Adresse e-mail").fill("lucas.martin@msp-tilleuls.example")
    page.get_by_label("Mot de passe").fill("demo-creneau")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/staff/day")
    page.goto(server_url + f"/staff/day?date={start}")
    shifts = page.locator("[data-testid=my-shifts] li")
    assert shifts.count() > 5
    assert "Nuit" in page.locator("[data-testid=my-shifts]").inner_text()
    page.screenshot(path=str(tmp_path / "day.png"), full_page=True)
    assert not problems, problems
    nurse.close()
