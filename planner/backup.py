"""Portable logical backups: every table as JSON lines in one gzip file.

A backup made on SQLite restores on PostgreSQL and the other way round, so it is also the way
to move a centre from the embedded database to a server. Restoring only ever fills an empty,
freshly migrated database; it then checks integrity and row counts.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Table, func, insert, inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, SQLModel

import planner.models  # noqa: F401 - registers the tables
from planner import audit
from planner.migrate import current_revision, upgrade

FORMAT = "creneau-backup"
FORMAT_VERSION = 1
BATCH = 1000


class BackupError(Exception):
    """The backup cannot be made or restored; the message says why in one sentence."""


@dataclass
class BackupReport:
    """What a backup or a restore did."""

    path: Path
    revision: str | None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Rows in every table together."""
        return sum(self.counts.values())


def _tables() -> list[Table]:
    """Tables in an order where every row's foreign keys point to rows already restored."""
    return list(SQLModel.metadata.sorted_tables)


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _decoder(table: Table) -> dict[str, type]:
    """Columns whose JSON strings must become dates or datetimes again."""
    kinds: dict[str, type] = {}
    for column in table.columns:
        base = getattr(column.type, "impl", column.type)
        if isinstance(base, DateTime):
            kinds[column.name] = dt.datetime
        elif isinstance(base, Date):
            kinds[column.name] = dt.date
    return kinds


def _decode(row: dict[str, Any], kinds: dict[str, type]) -> dict[str, Any]:
    for name, kind in kinds.items():
        value = row.get(name)
        if isinstance(value, str):
            parsed = dt.datetime.fromisoformat(value) if kind is dt.datetime \
                else dt.date.fromisoformat(value)
            if isinstance(parsed, dt.datetime) and parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=dt.UTC)
            row[name] = parsed
    return row


def _rows(connection: Connection, table: Table) -> Iterator[dict[str, Any]]:
    primary = list(table.primary_key.columns)
    result = connection.execute(select(table).order_by(*primary))
    for row in result.mappings():
        yield {key: _encode(value) for key, value in row.items()}


def make_backup(engine: Engine, path: Path) -> BackupReport:
    """Write every row of every table to ``path`` (gzip JSON lines) in one consistent read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    report = BackupReport(path=path, revision=current_revision(engine))
    partial = path.with_suffix(path.suffix + ".partial")
    with engine.connect() as connection, gzip.open(partial, "wt", encoding="utf-8") as out:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
        header = {"format": FORMAT, "version": FORMAT_VERSION, "revision": report.revision,
                  "created_at": dt.datetime.now(dt.UTC).isoformat(),
                  "tables": [table.name for table in _tables()]}
        out.write(json.dumps(header) + "\n")
        for table in _tables():
            count = 0
            for row in _rows(connection, table):
                out.write(json.dumps({"t": table.name, "r": row}, ensure_ascii=False) + "\n")
                count += 1
            report.counts[table.name] = count
        out.write(json.dumps({"end": report.counts}) + "\n")
    partial.replace(path)  # a crash never leaves a truncated file under the final name
    return report


def _read_header(path: Path) -> dict[str, Any]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            header = json.loads(handle.readline())
    except (OSError, ValueError) as error:
        raise BackupError(f"{path} is not a Créneau backup ({error}).") from None
    if header.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Créneau backup.")
    if header.get("version") != FORMAT_VERSION:
        raise BackupError(f"{path} uses backup format {header.get('version')}, "
                          f"this version reads format {FORMAT_VERSION}.")
    return header


def _is_empty(engine: Engine) -> bool:
    names = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        for table in _tables():
            if table.name in names and connection.execute(
                    select(func.count()).select_from(table)).scalar():
                return False
    return True


def _reset_sequences(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    for table in _tables():
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto"
                                                and column.type.python_type is int):
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'), "
                    f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"))


def restore_backup(engine: Engine, path: Path) -> BackupReport:
    """Fill an empty database from ``path``; refuse a database that holds data."""
    header = _read_header(path)
    upgrade(engine)
    if not _is_empty(engine):
        raise BackupError("The target database already holds data; restore into an empty database.")
    tables = {table.name: table for table in _tables()}
    kinds = {name: _decoder(table) for name, table in tables.items()}
    report = BackupReport(path=path, revision=header.get("revision"))
    expected: dict[str, int] | None = None
    with engine.begin() as connection, gzip.open(path, "rt", encoding="utf-8") as handle:
        handle.readline()
        batch: list[dict[str, Any]] = []
        batch_table: str | None = None

        def flush() -> None:
            if batch and batch_table:
                connection.execute(insert(tables[batch_table]), batch)
                report.counts[batch_table] = report.counts.get(batch_table, 0) + len(batch)
                batch.clear()

        for line_number, line in enumerate(handle, start=2):
            record = json.loads(line)
            if "end" in record:
                expected = record["end"]
                break
            name = record["t"]
            if name not in tables:
                raise BackupError(f"{path} line {line_number}: unknown table {name!r}.")
            if name != batch_table or len(batch) >= BATCH:
                flush()
                batch_table = name
            batch.append(_decode(record["r"], kinds[name]))
        flush()
        if expected is None:
            raise BackupError(f"{path} is truncated: its closing line is missing.")
        _reset_sequences(connection)
    for name, count in expected.items():
        if report.counts.get(name, 0) != count:
            raise BackupError(f"Table {name}: {report.counts.get(name, 0)} rows restored, "
                              f"the backup holds {count}.")
    check_integrity(engine)
    with Session(engine) as session:
        chain = audit.verify_chain(session)
    if not chain.intact:
        raise BackupError(f"The restored audit trail is broken at row {chain.first_broken_id}.")
    return report


def table_counts(engine: Engine) -> dict[str, int]:
    """Number of rows of every table."""
    with engine.connect() as connection:
        return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in _tables()}


def check_integrity(engine: Engine) -> None:
    """Raise :class:`BackupError` when the database's own integrity checks fail."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            result = connection.execute(text("PRAGMA integrity_check")).scalar()
            if result != "ok":
                raise BackupError(f"SQLite integrity check failed: {result}")
            broken = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
            if broken:
                raise BackupError(f"{len(broken)} rows point to rows that do not exist.")
