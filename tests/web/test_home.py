"""The home page routes each kind of visitor, in French and in English."""

from __future__ import annotations

import html

from litestar.testing import TestClient


def test_home_shows_the_demo_centre_in_french_by_default(client: TestClient) -> None:
    response = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert response.status_code == 200
    html = response.text
    assert "Maison de santé des Tilleuls" in html
    assert "Prendre rendez-vous" in html
    assert "Téléconsultation de médecine générale" in html
    assert 'lang="fr"' in html
    assert "Dr Claire Morel" in html


def test_home_follows_the_browsers_language(client: TestClient) -> None:
    html = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).text
    assert 'lang="en"' in html
    assert "Book an appointment" in html
    assert "General practice video consultation" in html
    assert "Prendre rendez-vous" not in html


def test_an_explicit_language_choice_is_remembered(client: TestClient) -> None:
    response = client.get("/?lang=en", headers={"Accept-Language": "fr"})
    assert "Book an appointment" in response.text
    assert "lang=en" in response.headers["set-cookie"]
    again = client.get("/", headers={"Accept-Language": "fr"})
    assert 'lang="en"' in again.text


def test_home_links_to_patients_staff_and_managers(client: TestClient) -> None:
    html = client.get("/", headers={"Accept-Language": "en"}).text
    for text in ("Patients", "Clinicians", "Managers", 'href="/book"', 'href="/staff"'):
        assert text in html


def test_health_reports_the_database(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_openapi_schema_is_served(client: TestClient) -> None:
    response = client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Créneau API"
    assert "/health" in schema["paths"]


def test_unknown_page_gets_a_finished_error_page_for_people(client: TestClient) -> None:
    response = client.get("/no-such-page", headers={"Accept": "text/html",
                                                    "Accept-Language": "fr"})
    assert response.status_code == 404
    text = html.unescape(response.text)
    assert "Cette page n'existe pas" in text
    assert "Retour à l'accueil" in text


def test_unknown_api_route_gets_json(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json()["status_code"] == 404


def test_security_headers_are_on_every_response(client: TestClient) -> None:
    for response in (client.get("/"), client.get("/missing"), client.post("/health"),
                     client.get("/static/css/app.css")):
        headers = response.headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_pages_have_no_inline_script(client: TestClient) -> None:
    html = client.get("/").text
    assert "<script>" not in html and "onclick=" not in html
