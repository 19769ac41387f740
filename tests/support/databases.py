"""Fresh databases for tests: a SQLite file, and a throw-away PostgreSQL database when one is set.

``CRENEAU_TEST_DATABASE_URL`` names a PostgreSQL database the tests may use to create and drop
their own databases. When it is unset or unreachable, PostgreSQL tests are skipped — unless
``CRENEAU_REQUIRE_SERVICES=1`` (CI), where a missing server fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from planner.database import normalise_url

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


@contextmanager
def fresh_database(backend: str, tmp_path) -> Iterator[str]:  # noqa: ANN001 - pathlib.Path
    """An empty database of ``backend``; yields its URL."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'creneau.db'}"
    else:
        with fresh_postgres_database() as url:
            yield url
