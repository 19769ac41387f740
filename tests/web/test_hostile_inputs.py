"""Hostile input on every form a visitor can reach: a 4xx or a normal page, never a 5xx,
and whatever comes back is escaped."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient

from tests.support.crawl import crawl

SCRIPT = '<script>alert("créneau")</script>'
HOSTILE = [
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}{% raw %}${7*7}#{7*7}",
    "'; DROP TABLE patient; --",
    "\u202eevil\u200b\ufeff😷 é\u0301",
    "\x00\x01\x1b[31m",
    "9" * 400,
    "A" * 100_000,
    "-1",
    "2026-02-30",
    "",
]


def _submit(client: TestClient, form, field: str, value: str):  # noqa: ANN001, ANN202
    data = {name: default for name, (default, _) in form.fields.items()}
    data[field] = value
    path = urlsplit(form.action).path
    if form.method == "post":
        return client.post(path, data=data, headers={"Accept": "text/html",
                                                     "Origin": "http://127.0.0.1"})
    data[field] = value[:4000]  # browsers and proxies cap the length of an address
    return client.get(path, params=data, headers={"Accept": "text/html"})


def test_hostile_values_in_every_public_form_never_break_the_server(client: TestClient) -> None:
    pages, forms = crawl(lambda path: client.get(path, headers={"Accept": "text/html"}),
                         "http://127.0.0.1/")
    assert "http://127.0.0.1/" in pages
    actions = {urlsplit(form.action).path for form in forms}
    assert "/staff/signin" in actions and "/book/mg-consult" in actions, actions
    failures = []
    for form in forms:
        for field in form.visible_fields():
            for value in HOSTILE:
                response = _submit(client, form, field, value)
                if response.status_code >= 500:
                    failures.append(f"{form.method.upper()} {form.action} {field}={value[:30]!r}"
                                    f" -> {response.status_code}")
                elif SCRIPT in response.text:
                    failures.append(f"{form.action} {field}: script echoed unescaped")
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("path", ["/?lang=%00", "/?lang=" + "x" * 5000, "/%ff%fe",
                                  "/static/../pyproject.toml", "/health?x=" + SCRIPT])
def test_odd_urls_get_a_clean_answer(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code < 500
    assert SCRIPT not in response.text
    assert "build-backend" not in response.text


@pytest.mark.parametrize("path", ["/book/mg-consult?clinician=99999999999999999999",
                                  "/api/v1/slots?motif=mg-consult&clinician=99999999999999999999"])
def test_numbers_too_large_for_the_database_get_a_400(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code in (400, 422), response.text
