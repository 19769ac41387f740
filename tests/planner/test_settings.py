"""Configuration: every variable documented, bad values explained in one sentence."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from planner.errors import ConfigError
from planner.settings import Settings, load_settings

README = Path(__file__).resolve().parents[2] / "README.md"


def test_defaults_are_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("CRENEAU_"):
            monkeypatch.delenv(name)
    settings = load_settings()
    assert settings.is_sqlite
    assert settings.port == 8000


def test_a_bad_value_gives_one_sentence_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRENEAU_PORT", "eighty")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "CRENEAU_PORT='eighty'" in message and "\n" not in message


def test_an_unknown_database_scheme_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRENEAU_DATABASE_URL", "mysql://localhost/x")
    with pytest.raises(ConfigError, match="CRENEAU_DATABASE_URL"):
        load_settings()


def test_a_misspelt_variable_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRENEAU_DATABSE_URL", "sqlite:///x.db")
    with pytest.raises(ConfigError, match="CRENEAU_DATABSE_URL"):
        load_settings()


def test_readme_documents_every_setting() -> None:
    documented = set(re.findall(r"`(CRENEAU_[A-Z0-9_]+)`", README.read_text(encoding="utf-8")))
    expected = {f"CRENEAU_{name.upper()}" for name in Settings.model_fields}
    assert expected <= documented, f"undocumented: {sorted(expected - documented)}"


def test_signing_key_is_created_once_and_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = settings.signing_key()
    assert len(first) >= 32
    assert Settings(data_dir=tmp_path).signing_key() == first
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
