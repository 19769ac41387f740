"""API tokens: shown once, stored as a SHA-256, scoped, revocable; and the ``creneau tokens`` command."""

from __future__ import annotations

import hashlib

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from planner.database import session_scope
from planner.fhir.errors import FhirError
from planner.fhir.tokens import (
    APPOINTMENT_WRITE,
    READ,
    UnknownScopeError,
    authenticate,
    create_token,
    list_tokens,
    require,
    revoke_token,
)
from planner.models import ApiToken, AuditEvent


def test_a_token_is_stored_as_its_hash_and_authenticates_until_revoked(engine: Engine) -> None:
    with session_scope(engine) as db:
        row, token = create_token(db, "Partner", [READ, READ, APPOINTMENT_WRITE])
    assert token.startswith("crn_") and len(token) > 40
    with Session(engine) as db:
        stored = db.exec(select(ApiToken)).one()
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert token not in {str(value) for value in stored.model_dump().values()}
        assert stored.scopes == f"{APPOINTMENT_WRITE} {READ}"
        access = authenticate(db, f"Bearer {token}")
        assert access.actor == f"api-token:{row.id}:Partner" and access.allows(READ)
        require(access, READ)
        with pytest.raises(FhirError) as refused:
            require(access, "fhir/patient.read")
        assert refused.value.status == 403
    with session_scope(engine) as db:
        assert revoke_token(db, row.id).revoked_at is not None
        assert revoke_token(db, 999) is None
    with Session(engine) as db, pytest.raises(FhirError) as unknown:
        authenticate(db, f"Bearer {token}")
    assert unknown.value.status == 401
    with Session(engine) as db:
        assert [t.name for t in list_tokens(db)] == ["Partner"]


def test_scopes_and_names_are_checked(engine: Engine) -> None:
    with session_scope(engine) as db:
        with pytest.raises(UnknownScopeError):
            create_token(db, "x", ["fhir/everything"])
        with pytest.raises(UnknownScopeError):
            create_token(db, "x", [])
        with pytest.raises(ValueError):
            create_token(db, "  ", [READ])


def test_the_tokens_command_creates_lists_and_revokes(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from planner.cli import cli
    from planner.settings import get_settings

    monkeypatch.setenv("CRENEAU_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
        created = runner.invoke(cli, ["tokens", "create", "Agenda sync", "--scope", READ])
        assert created.exit_code == 0, created.output
        token = created.stdout.strip().splitlines()[1]
        assert token.startswith("crn_")
        listed = runner.invoke(cli, ["tokens", "list"])
        assert "Agenda sync" in listed.output and "active" in listed.output
        assert token not in listed.output
        assert runner.invoke(cli, ["tokens", "create", "x", "--scope", "nope"]).exit_code == 2
        assert runner.invoke(cli, ["tokens", "revoke", "1"]).exit_code == 0
        assert "revoked" in runner.invoke(cli, ["tokens", "list"]).output
        assert runner.invoke(cli, ["tokens", "revoke", "42"]).exit_code == 1
        from planner.database import make_engine

        engine = make_engine(get_settings().database_url)
        with Session(engine) as db:
            actions = [e.action for e in db.exec(select(AuditEvent))]
        engine.dispose()
        assert actions == ["api_token.create", "api_token.revoke"]
    finally:
        get_settings.cache_clear()
