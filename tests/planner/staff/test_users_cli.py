"""``creneau users``: create, list, disable, reset the second factor — every command with --help."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from planner.cli import cli
from planner.models import AuditEvent, Role, StaffSession, UserAccount
from planner.passwords import verify_password
from planner.settings import get_settings


@pytest.fixture
def run(sqlite_demo_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator:  # noqa: ANN201
    monkeypatch.setenv("CRENEAU_DATABASE_URL", str(sqlite_demo_engine.url))
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args, **kw: runner.invoke(cli, ["users", *args], catch_exceptions=False, **kw)
    get_settings.cache_clear()


@pytest.mark.parametrize("command", [[], ["create"], ["list"], ["disable"], ["reset-totp"]])
def test_every_users_command_has_help(command: list[str]) -> None:
    result = CliRunner().invoke(cli, ["users", *command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_create_list_reset_and_disable(run, sqlite_demo_engine: Engine) -> None:  # noqa: ANN001
    created = run("create", "Nouvelle.Secretaire@msp-tilleuls.example", "--role", "secretary",
                  "--staff", "morel", input="a long enough password\na long enough password\n")
    assert created.exit_code == 0, created.output
    assert run("create", "nouvelle.secretaire@msp-tilleuls.example", "--role", "secretary", "--staff",
               "MOREL", "--password-stdin", input="another password\n").exit_code == 1  # exists
    assert "at least" in run("create", "x@msp-tilleuls.example", "--role", "admin", "--password-stdin",
                             input="short\n").output
    mismatch = run("create", "y@msp-tilleuls.example", "--role", "admin", input="first password\nsecond one\n"
                   "first password\nfirst password\n")
    assert mismatch.exit_code == 0 and "do not match" in mismatch.output
    assert "no staff member" in run("create", "z@msp-tilleuls.example", "--role", "nurse", "--staff",
                                    "NOBODY", "--password-stdin", input="a long enough password\n").output
    with Session(sqlite_demo_engine) as db:
        user = db.exec(select(UserAccount).where(
            UserAccount.email == "nouvelle.secretaire@msp-tilleuls.example")).one()
        assert user.role == Role.SECRETARY and verify_password(user.password_hash, "a long enough password")
        manager = db.exec(select(UserAccount).where(UserAccount.role == Role.MANAGER)).first()
        manager.totp_secret = "JBSWY3DPEHPK3PXP"
        db.add(manager)
        db.add(StaffSession(id="x" * 64, user_id=manager.id, csrf_token="t"))
        db.commit()
        manager_email = manager.email
    listing = run("list").output
    assert "nouvelle.secretaire@msp-tilleuls.example\tsecretary\tMOREL" in listing
    assert run("reset-totp", manager_email).exit_code == 0
    assert run("disable", "nouvelle.secretaire@msp-tilleuls.example").exit_code == 0
    assert run("disable", "nobody@msp-tilleuls.example").exit_code == 1
    with Session(sqlite_demo_engine) as db:
        manager = db.exec(select(UserAccount).where(UserAccount.email == manager_email)).one()
        assert manager.totp_secret is None
        assert db.exec(select(StaffSession)).all() == []
        assert not db.exec(select(UserAccount).where(
            UserAccount.email == "nouvelle.secretaire@msp-tilleuls.example")).one().active
        actions = [e.action for e in db.exec(select(AuditEvent))]
    assert {"account.create", "account.reset_totp", "account.disable"} <= set(actions)
