"""A video consultation in two Chromium contexts (fake camera and microphone) through a real server.

Everything stays on 127.0.0.1: the server announces 127.0.0.1 only and accepts only 127.0.0.0/8
candidates; the pages use ``iceServers: []``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from planner.booking.manage_links import manage_token
from planner.database import make_engine, session_scope
from planner.demo import load_demo
from planner.migrate import upgrade
from tests.support.browser import chromium
from tests.support.server import running_server
from tests.support.video import CLINICIAN_EMAIL, appointment_status, make_video_appointment

pytestmark = [pytest.mark.browser, pytest.mark.slow]
KEY = "e2e-video-secret-key-0123456789"


@pytest.fixture(scope="module")
def video_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, int]]:
    """A server on 127.0.0.1 with loopback-only ICE and one video appointment starting now."""
    folder: Path = tmp_path_factory.mktemp("video-server")
    url = f"sqlite:///{folder / 'creneau.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        load_demo(session, dt.date.today())
    appointment = make_video_appointment(engine, starts_in=dt.timedelta(minutes=1))
    engine.dispose()
    env = {"CRENEAU_DATABASE_URL": url, "CRENEAU_DATA_DIR": str(folder), "CRENEAU_SECRET_KEY": KEY,
           "CRENEAU_ICE_HOST_ADDRESSES": "127.0.0.1", "CRENEAU_ICE_ACCEPT_NETWORKS": "127.0.0.0/8",
           "CRENEAU_ICE_SERVERS": ""}
    with running_server(env) as base_url:
        yield base_url, url, appointment


def frames(page) -> int:  # noqa: ANN001
    """Inbound video frames decoded so far, as the page's getStats reported them."""
    value = page.locator("#quality").get_attribute("data-frames-decoded")
    return int(value or 0)


def open_as_clinician(page, base_url: str, appointment: int) -> None:  # noqa: ANN001
    """Sign in as the appointment's clinician and open its consultation page."""
    page.goto(f"{base_url}/staff/signin")
    page.fill("#email", CLINICIAN_EMAIL)
    page.fill("#password", "demo-creneau")
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    page.goto(f"{base_url}/staff/video/{appointment}")


def test_patient_and_clinician_see_each_other(video_server: tuple[str, str, int], tmp_path: Path) -> None:
    base_url, database_url, appointment = video_server
    shots = tmp_path
    with chromium(media=True) as browser:
        patient_context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        clinician_context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        problems: list[str] = []
        try:
            patient = patient_context.new_page()
            clinician = clinician_context.new_page()
            for name, page in (("patient", patient), ("clinician", clinician)):
                page.on("pageerror", lambda error, who=name: problems.append(f"{who}: {error}"))
                page.on("console", lambda message, who=name: problems.append(f"{who}: {message.text}")
                        if message.type == "error" else None)

            # The patient opens the link from the e-mail (the booking manage token).
            patient.goto(f"{base_url}/video/{appointment}/join?t={manage_token(KEY.encode(), appointment)}")
            assert patient.url == f"{base_url}/video/{appointment}"
            patient.wait_for_function("() => document.getElementById('preview').videoWidth > 0",
                                      timeout=10_000)
            assert patient.locator("#camera-select option").count() >= 1
            # Connection test through the server's echo: frame rate and round trip shown.
            patient.click("#test-button")
            patient.wait_for_selector("#test-message[data-result='ok']", timeout=15_000)
            patient.wait_for_function("() => document.getElementById('test-rtt').textContent.includes('ms')",
                                      timeout=5_000)
            patient.screenshot(path=str(shots / "patient-prejoin.png"), full_page=True)
            patient.click("#checkin-button")
            patient.wait_for_selector("#step-waiting:not([hidden])")
            patient.screenshot(path=str(shots / "patient-waiting.png"), full_page=True)

            # The clinician signs in and opens the consultation.
            open_as_clinician(clinician, base_url, appointment)
            clinician.wait_for_selector("#admission[data-state='waiting']", timeout=10_000)
            patient.wait_for_function(
                "() => document.getElementById('waiting-message').textContent.includes('soignant est là')",
                timeout=10_000)
            clinician.click("#admit-button")

            clinician.wait_for_selector("#admit-button", state="hidden", timeout=10_000)
            # Both see the other's video: frames decoded keep increasing on both pages.
            patient.wait_for_selector("#step-call:not([hidden])", timeout=10_000)
            for page in (patient, clinician):
                page.wait_for_function(
                    "() => Number(document.getElementById('quality').dataset.framesDecoded || 0) > 10",
                    timeout=20_000)
            before = (frames(patient), frames(clinician))
            patient.wait_for_timeout(2_000)
            after = (frames(patient), frames(clinician))
            assert after[0] > before[0] and after[1] > before[1], (before, after)

            # Chat over the data channel, not stored. A channel that does not open is replaced by
            # connecting again CHAT_GRACE_MS (8 s) after the media connected: on a loaded machine
            # (the full suite in CI) that may take two attempts.
            for name, page in (("clinician", clinician), ("patient", patient)):
                try:
                    page.wait_for_selector("#chat-input:not([disabled])", timeout=45_000)
                except PlaywrightTimeoutError:
                    raise AssertionError(f"the {name}'s chat never opened; page errors: {problems}") \
                        from None
            clinician.fill("#chat-input", "Bonjour, je vous entends bien.")
            clinician.press("#chat-input", "Enter")
            patient.wait_for_selector(".chat-theirs:has-text('je vous entends bien')", timeout=5_000)
            patient.screenshot(path=str(shots / "patient-call.png"), full_page=True)
            clinician.screenshot(path=str(shots / "clinician-call.png"), full_page=True)

            # The patient's page reloads: the call resumes without a new admission.
            patient.reload()
            patient.wait_for_selector("#step-call:not([hidden])", timeout=15_000)
            patient.wait_for_function(
                "() => Number(document.getElementById('quality').dataset.framesDecoded || 0) > 10",
                timeout=20_000)

            # The clinician ends the consultation: the appointment is attended.
            clinician.on("dialog", lambda dialog: dialog.accept())
            clinician.click("#end-button")
            clinician.wait_for_selector("#step-done:not([hidden])", timeout=10_000)
            patient.wait_for_selector("#step-done:not([hidden])", timeout=10_000)
            patient.screenshot(path=str(shots / "patient-ended.png"), full_page=True)
        finally:
            patient_context.close()
            clinician_context.close()
    engine = make_engine(database_url)
    try:
        assert appointment_status(engine, appointment) == "attended"
    finally:
        engine.dispose()
    assert not problems, problems


# The first chat channel of the page never opens (as when its SCTP association fails to start).
STALLED_FIRST_CHANNEL = """
(() => {
  const original = RTCPeerConnection.prototype.createDataChannel;
  window.chatChannelsCreated = 0;
  RTCPeerConnection.prototype.createDataChannel = function (...args) {
    window.chatChannelsCreated += 1;
    if (window.chatChannelsCreated > 1) { return original.apply(this, args); }
    const stalled = new EventTarget();
    stalled.readyState = "connecting";
    stalled.send = () => { throw new Error("sent on a channel that never opened"); };
    return stalled;
  };
})();
"""


def test_a_chat_channel_that_never_opens_is_replaced_by_connecting_again(
        video_server: tuple[str, str, int]) -> None:
    base_url, database_url, _ = video_server
    engine = make_engine(database_url)
    try:
        appointment = make_video_appointment(engine, starts_in=dt.timedelta(minutes=1))
    finally:
        engine.dispose()
    with chromium(media=True) as browser:
        context = browser.new_context(locale="fr-FR")
        try:
            clinician = context.new_page()
            clinician.add_init_script(STALLED_FIRST_CHANNEL)
            open_as_clinician(clinician, base_url, appointment)
            clinician.wait_for_function("() => window.chatChannelsCreated === 1", timeout=10_000)
            assert clinician.locator("#chat-input").is_disabled()
            # Some seconds after the media connected, the page connects again and the chat opens.
            clinician.wait_for_selector("#chat-input:not([disabled])", timeout=25_000)
            assert clinician.evaluate("window.chatChannelsCreated") == 2
            clinician.wait_for_function(
                "() => document.getElementById('call-status').textContent.trim().length > 0")
            assert clinician.locator("#call-status").inner_text() == clinician.evaluate(
                "window.CreneauVideo.t('in_call')")
        finally:
            context.close()
