"""The home page in a real browser: content, language, no console errors (so no CSP breach)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("locale", "expected", "absent"), [
    ("fr-FR", "Prendre rendez-vous", "Book an appointment"),
    ("en-GB", "Book an appointment", "Prendre rendez-vous"),
])
def test_home_page_renders_in_the_browsers_language(
        server_url: str, browser, tmp_path: Path, locale: str, expected: str, absent: str) -> None:  # noqa: ANN001
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    response = page.goto(server_url + "/")
    assert response is not None and response.status == 200
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Maison de santé des Tilleuls"
    assert page.get_by_role("link", name=expected).first.is_visible()
    assert absent not in page.content()
    # htmx loaded from our own server and initialised (no CDN, CSP satisfied)
    assert page.evaluate("typeof window.htmx === 'object' && window.htmx.version.startsWith('2')")
    # the stylesheet applied: the primary button is filled with the brand colour
    colour = page.locator(".button-primary").first.evaluate(
        "element => getComputedStyle(element).backgroundColor")
    assert colour == "rgb(11, 114, 133)"
    page.screenshot(path=str(tmp_path / f"home-{locale}.png"), full_page=True)
    assert not problems, problems
    context.close()


def test_language_switch_is_reachable_by_keyboard(server_url: str, browser) -> None:  # noqa: ANN001
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(server_url + "/")
    page.get_by_role("link", name="EN", exact=True).focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(server_url + "/")
    assert page.locator("html").get_attribute("lang") == "en"  # remembered by cookie
    context.close()
