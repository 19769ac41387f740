"""Fresh databases for tests: a SQLite file, and a throw-away PostgreSQL database when one is set.

``CRENEAU_TEST_DATABASE_URL`` names a PostgreSQL database the tests may use to create and drop
their own databases. When it is unset or unreachable, PostgreSQL tests are skipped — unless
``CRENEAU_REQUIRE_SERVICES=1`` (CI), where a missing server fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine, make_url

from planner.database import make_engine, normalise_url

BACKENDS = ("sqlite", "postgresql")


def services_required() -> bool:
    """Whether missing services must fail the run instead of skipping (CI)."""
    return os.environ.get("CRENEAU_REQUIRE_SERVICES") == "1"


def postgres_admin_url() -> str | None:
    """The PostgreSQL URL the tests may use, or ``None`` (then the test is skipped or failed)."""
    url = os.environ.get("CRENEAU_TEST_DATABASE_URL")
    if not url:
        if services_required():
            pytest.fail("CRENEAU_REQUIRE_SERVICES=1 but CRENEAU_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL not configured (set CRENEAU_TEST_DATABASE_URL)")
    return url


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create an empty PostgreSQL database and drop it afterwards; yield its URL."""
    admin_url = postgres_admin_url()
    assert admin_url is not None
    admin = create_engine(normalise_url(admin_url), isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 5})
    name = f"creneau_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any failure to reach the server
        admin.dispose()
        if services_required():
            pytest.fail(f"PostgreSQL unreachable at {admin_url}: {error}")
        pytest.skip(f"PostgreSQL unreachable: {error}")
    url = make_url(normalise_url(admin_url)).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


_SQLITE_TEMPLATES: dict[str, Path] = {}


def sqlite_copy(name: str, build: Callable[[Engine], None], url: str,
                tmp_factory: pytest.TempPathFactory) -> None:
    """Make the SQLite database at ``url`` (not created yet) a copy of the template ``name``, which
    ``build`` fills the first time it is asked for in this run.

    A file copy takes a millisecond; the migrations and the demo centre take a few tenths of a
    second, for every test that needs them.
    """
    target = Path(make_url(url).database or "")
    assert not target.exists(), f"{target} already holds a database (two fixtures on one database?)"
    if name not in _SQLITE_TEMPLATES:
        path = tmp_factory.mktemp("template") / f"{name}.db"
        engine = make_engine(f"sqlite:///{path}")
        try:
            build(engine)
            with engine.connect() as db:
                db.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))  # everything in the one file
        finally:
            engine.dispose()
        _SQLITE_TEMPLATES[name] = path
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_SQLITE_TEMPLATES[name], target)


@contextmanager
def fresh_database(backend: str, tmp_path) -> Iterator[str]:  # noqa: ANN001 - pathlib.Path
    """An empty database of ``backend``; yields its URL."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'creneau.db'}"
    else:
        with fresh_postgres_database() as url:
            yield url


class PostgresSnapshot:
    """The data of a PostgreSQL database saved once and put back on demand, in place.

    Putting back (one transaction: empty every table, copy the saved rows back, reset every
    sequence to its saved value) takes a few hundredths of a second, ten times less than
    ``CREATE DATABASE … TEMPLATE`` plus ``DROP DATABASE`` for each run, which copy and sync files.
    Only rows and sequences change; the schema stays (the application's own triggers, such as the
    append-only audit trail's, are set aside inside that transaction only).
    """

    SCHEMA = "test_snapshot"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with engine.begin() as db:
            ordered = inspect(db).get_sorted_table_and_fkc_names()
            # (None, cycles) comes last: copying rows back in this order must satisfy every key
            assert not ordered[-1][1], f"foreign keys in a cycle: {ordered[-1][1]}"
            self.tables = [name for name, _ in ordered if name is not None]
            db.execute(text(f'CREATE SCHEMA "{self.SCHEMA}"'))
            for table in self.tables:
                db.execute(text(f'CREATE TABLE "{self.SCHEMA}"."{table}" AS TABLE public."{table}"'))
            self.sequences = [tuple(row) for row in db.execute(text(
                "SELECT sequencename, coalesce(last_value, start_value), last_value IS NOT NULL "
                "FROM pg_sequences WHERE schemaname = 'public'"))]
            self.triggers = [tuple(row) for row in db.execute(text(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND NOT t.tgisinternal AND t.tgenabled <> 'D'"))]

    def restore(self) -> None:
        """Put the saved rows and sequence values back (nobody else may hold a transaction open)."""
        with self.engine.begin() as db:
            db.execute(text("SET LOCAL lock_timeout = '10s'"))  # a connection left in a transaction fails
            for table, trigger in self.triggers:
                db.execute(text(f'ALTER TABLE public."{table}" DISABLE TRIGGER "{trigger}"'))
            for table in reversed(self.tables):  # DELETE: TRUNCATE makes new files, ten times slower here
                db.execute(text(f'DELETE FROM public."{table}"'))
            for table in self.tables:
                db.execute(text(f'INSERT INTO public."{table}" SELECT * FROM "{self.SCHEMA}"."{table}"'))
            for name, value, called in self.sequences:
                db.execute(text("SELECT setval(:name, :value, :called)"),
                           {"name": f'public."{name}"', "value": value, "called": called})
            for table, trigger in self.triggers:
                db.execute(text(f'ALTER TABLE public."{table}" ENABLE TRIGGER "{trigger}"'))
