"""Backups restore everything, on either database, and refuse what would lose data."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from planner.backup import BackupError, make_backup, restore_backup, table_counts
from planner.database import make_engine
from tests.support.databases import fresh_database


@pytest.mark.parametrize("target_backend", ["sqlite", "postgresql"])
def test_backup_restores_every_row_on_either_backend(
        demo_engine: Engine, tmp_path: Path, target_backend: str) -> None:
    before = table_counts(demo_engine)
    report = make_backup(demo_engine, tmp_path / "backup.jsonl.gz")
    assert report.counts == before and report.rows > 500
    with fresh_database(target_backend, tmp_path / "target") as url:
        (tmp_path / "target").mkdir(exist_ok=True)
        target = make_engine(url)
        restored = restore_backup(target, report.path)
        assert restored.counts == {k: v for k, v in before.items() if v}
        assert table_counts(target) == before
        with target.connect() as connection:
            name = connection.execute(text(
                "SELECT family_name FROM staffmember WHERE code = 'DIALLO'")).scalar()
            starts = connection.execute(text(
                "SELECT COUNT(*) FROM consultationsession")).scalar()
        assert name == "Diallo" and starts == before["consultationsession"]
        # new rows get fresh ids after a restore (sequences follow the restored data)
        with target.begin() as connection:
            connection.execute(text("INSERT INTO skill (site_id, code, name) "
                                    "SELECT id, 'new', 'New skill' FROM site"))
        target.dispose()


def test_restore_refuses_a_database_that_holds_data(demo_engine: Engine, tmp_path: Path) -> None:
    backup = make_backup(demo_engine, tmp_path / "b.jsonl.gz").path
    with pytest.raises(BackupError, match="already holds data"):
        restore_backup(demo_engine, backup)


def test_a_truncated_or_foreign_file_is_refused(engine: Engine, tmp_path: Path) -> None:
    backup = make_backup(engine, tmp_path / "b.jsonl.gz").path
    with gzip.open(backup, "rt") as handle:
        lines = handle.read().splitlines()
    truncated = tmp_path / "truncated.jsonl.gz"
    with gzip.open(truncated, "wt") as handle:
        handle.write("\n".join(lines[:-1]) + "\n")
    with pytest.raises(BackupError, match="truncated"):
        restore_backup(engine, truncated)
    foreign = tmp_path / "foreign.gz"
    with gzip.open(foreign, "wt") as handle:
        handle.write('{"hello": 1}\n')
    with pytest.raises(BackupError, match="not a Créneau backup"):
        restore_backup(engine, foreign)


def test_restore_checks_the_audit_hash_chain(demo_engine: Engine, tmp_path: Path) -> None:
    from planner import audit

    for number in range(3):
        audit.record(demo_engine, actor="secretary:1", action="appointment.read",
                     object_type="appointment", object_id=number)
    backup = make_backup(demo_engine, tmp_path / "b.jsonl.gz").path
    intact_target = tmp_path / "intact"
    intact_target.mkdir()
    with fresh_database("sqlite", intact_target) as url:
        assert restore_backup(make_engine(url), backup).counts["auditevent"] == 3
    with gzip.open(backup, "rt", encoding="utf-8") as handle:
        text_ = handle.read()
    tampered = tmp_path / "tampered.jsonl.gz"
    with gzip.open(tampered, "wt", encoding="utf-8") as handle:
        handle.write(text_.replace('"actor": "secretary:1"', '"actor": "secretary:2"', 1))
    tampered_target = tmp_path / "tampered"
    tampered_target.mkdir()
    with fresh_database("sqlite", tampered_target) as url, \
            pytest.raises(BackupError, match="audit trail is broken"):
        restore_backup(make_engine(url), tampered)
