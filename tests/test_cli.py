"""The ``creneau`` command: help everywhere, one clear line on bad configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CRENEAU = str(Path(sys.executable).with_name("creneau"))


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CRENEAU_")}
    return subprocess.run([CRENEAU, *args], capture_output=True, text=True, timeout=120,
                          env={**base, **(env or {})})


@pytest.mark.parametrize("command", [[], ["serve"], ["db"], ["db", "upgrade"], ["db", "backup"],
                                     ["db", "restore"], ["demo"], ["demo", "load"],
                                     ["privacy", "retention"], ["roster", "solve"],
                                     ["roster", "check"], ["bench", "roster"], ["slots"],
                                     ["tokens"], ["users"]])
def test_every_command_has_help(command: list[str]) -> None:
    from click.testing import CliRunner

    from web.cli import cli

    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and len(result.output.splitlines()) > 3


def test_the_installed_command_starts() -> None:
    result = run("--help")
    assert result.returncode == 0 and "serve" in result.stdout


def test_unreachable_database_gives_one_line(tmp_path: Path) -> None:
    result = run("db", "upgrade", env={
        "CRENEAU_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Cannot reach the database" in lines[0] and "Traceback" not in result.stderr


def test_bad_value_gives_one_line() -> None:
    result = run("db", "upgrade", env={"CRENEAU_PORT": "not-a-port"})
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "CRENEAU_PORT" in result.stderr


def test_upgrade_then_demo_load_is_idempotent(tmp_path: Path) -> None:
    env = {"CRENEAU_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
           "CRENEAU_DATA_DIR": str(tmp_path)}
    assert run("db", "upgrade", env=env).returncode == 0
    first = run("demo", "load", "--if-empty", env=env)
    assert first.returncode == 0 and "Maison de santé des Tilleuls" in first.stdout
    second = run("demo", "load", "--if-empty", env=env)
    assert second.returncode == 0 and "already holds" in second.stdout
    third = run("demo", "load", env=env)
    assert third.returncode != 0 and "already holds" in third.stderr


def test_backup_then_restore_into_a_new_database(tmp_path: Path) -> None:
    source = {"CRENEAU_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
              "CRENEAU_DATA_DIR": str(tmp_path)}
    assert run("db", "upgrade", env=source).returncode == 0
    assert run("demo", "load", env=source).returncode == 0
    backup = tmp_path / "centre.jsonl.gz"
    made = run("db", "backup", "--out", str(backup), env=source)
    assert made.returncode == 0 and backup.exists(), made.stderr
    target = {**source, "CRENEAU_DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}"}
    restored = run("db", "restore", str(backup), env=target)
    assert restored.returncode == 0, restored.stderr
    assert "integrity and counts checked" in restored.stdout
    again = run("db", "restore", str(backup), env=target)
    assert again.returncode == 1 and "already holds data" in again.stderr
