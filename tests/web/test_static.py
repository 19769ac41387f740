"""htmx and its SSE extension are vendored unmodified and served locally."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from litestar.testing import TestClient

VENDOR = Path(__file__).resolve().parents[2] / "web" / "static" / "vendor"


def _recorded_checksums() -> dict[str, str]:
    table = (VENDOR / "README.md").read_text(encoding="utf-8")
    return dict(re.findall(r"\| `([^`]+)` \|[^\n]*\| ([0-9a-f]{64}) \|", table))


def test_vendored_files_match_their_recorded_checksums() -> None:
    recorded = _recorded_checksums()
    assert set(recorded) == {"htmx/htmx.min.js", "htmx-ext-sse/sse.min.js"}
    for name, digest in recorded.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest
        assert (VENDOR / name).parent.joinpath("LICENSE").exists()


def test_htmx_is_served_without_a_cdn(client: TestClient) -> None:
    html = client.get("/").text
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert "/static/vendor/htmx-ext-sse/sse.min.js" in html
    assert "unpkg" not in html and "cdn" not in html.lower()
    response = client.get("/static/vendor/htmx/htmx.min.js")
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
