"""Local time of a site: every instant is stored in UTC and shown in the site's IANA zone."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo


@cache
def zone(name: str) -> ZoneInfo:
    """The IANA zone called ``name`` (cached)."""
    return ZoneInfo(name)


def local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    """The instant (UTC) at which ``day`` starts in ``tz``."""
    return dt.datetime.combine(day, dt.time(0), tz).astimezone(dt.UTC)


def local_day_range(first: dt.date, last_exclusive: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """UTC instants bounding the local days ``first`` … ``last_exclusive`` (excluded)."""
    return local_midnight(first, tz), local_midnight(last_exclusive, tz)


def monday_of(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())
