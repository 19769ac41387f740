"""Fixtures of the booking service tests."""

from tests.planner.booking.support import booking_engine, smtp_server  # noqa: F401
