"""Chromium from the system (never downloaded), driven by Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.support.databases import services_required

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run",
]
MEDIA_FLAGS = [
    "--allow-loopback-in-peer-connection", "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


def chromium_path() -> str:
    """The system Chromium, or skip (fail in CI) when it is missing."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        if services_required():
            pytest.fail("Chromium is required in CI but /usr/bin/chromium is missing")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return path


@contextmanager
def chromium(media: bool = False) -> Iterator[object]:
    """A Playwright Chromium browser; ``media`` adds fake camera and microphone."""
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, args=CHROMIUM_FLAGS + (MEDIA_FLAGS if media else []))
        try:
            yield browser
        finally:
            browser.close()
