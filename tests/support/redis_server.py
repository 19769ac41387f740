"""The Redis server of the multi-worker tests (``CRENEAU_TEST_REDIS_URL``).

Unset or unreachable: the test is skipped — unless ``CRENEAU_REQUIRE_SERVICES=1`` (CI), where it
fails, as for PostgreSQL (:mod:`tests.support.databases`).
"""

from __future__ import annotations

import os

import pytest

from tests.support.databases import services_required


def redis_url() -> str:
    """The Redis URL the tests may use (after a PING), or skip / fail."""
    url = os.environ.get("CRENEAU_TEST_REDIS_URL")
    if not url:
        if services_required():
            pytest.fail("CRENEAU_REQUIRE_SERVICES=1 but CRENEAU_TEST_REDIS_URL is not set")
        pytest.skip("Redis not configured (set CRENEAU_TEST_REDIS_URL)")
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as error:  # noqa: BLE001 - the package missing or the server unreachable
        if services_required():
            pytest.fail(f"Redis unreachable at {url}: {error}")
        pytest.skip(f"Redis unreachable: {error}")
    return url
