"""Search parameters: parsing (prefixes, tokens, references, paging) with 400 for anything else.

Repeated parameters are combined with AND, comma-separated values with OR (FHIR rules). Modifiers
(``name:exact``…) and unknown parameters are refused rather than silently ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from planner.fhir.errors import bad_request

DEFAULT_COUNT = 50
MAX_COUNT = 200
#: Parameters every search accepts.
PAGING = {"_count", "_offset"}
#: Parameters ignored everywhere (the response is always JSON).
IGNORED = {"_format"}
_PREFIXES = ("eq", "ge", "le", "gt", "lt")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_CLOCK = re.compile(r"^\d{2}:\d{2}(:\d{2}(?:\.\d+)?)?")
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


@dataclass(frozen=True)
class Query:
    """A parsed search: the values of each parameter (one list per occurrence) and the page."""

    params: dict[str, list[list[str]]] = field(default_factory=dict)
    count: int = DEFAULT_COUNT
    offset: int = 0

    def get(self, name: str) -> list[list[str]]:
        """Every occurrence of ``name``, each a list of OR-ed values."""
        return self.params.get(name, [])

    def echo(self) -> list[tuple[str, str]]:
        """The search parameters as given (for the Bundle's links), paging excluded."""
        return [(name, ",".join(values)) for name, occurrences in self.params.items()
                for values in occurrences]


def parse_query(items: Iterable[tuple[str, str]], allowed: Iterable[str]) -> Query:
    """Check names against ``allowed`` (plus paging), split OR-values, read ``_count``/``_offset``."""
    allowed = set(allowed)
    params: dict[str, list[list[str]]] = {}
    count, offset = DEFAULT_COUNT, 0
    for name, value in items:
        if name in IGNORED:
            continue
        if ":" in name:
            raise bad_request(f"search modifiers are not supported ({name})")
        if name == "_count":
            count = min(_non_negative(name, value), MAX_COUNT)
        elif name == "_offset":
            offset = _non_negative(name, value)
        elif name in allowed:
            values = [part.strip() for part in value.split(",")]
            if not all(values):
                raise bad_request(f"empty value in search parameter {name}")
            params.setdefault(name, []).append(values)
        else:
            known = ", ".join(sorted(allowed | PAGING)) or "none"
            raise bad_request(f"unknown search parameter {name!r} (supported here: {known})")
    return Query(params=params, count=count, offset=offset)


def _non_negative(name: str, value: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 7:
        raise bad_request(f"{name} must be a whole number below 10 000 000 (got {value!r})")
    return int(value)


@dataclass(frozen=True)
class DateBound:
    """One ``date``-type search value: a prefix and the instants ``[low, high)`` it names."""

    prefix: str
    low: dt.datetime
    high: dt.datetime


def parse_date(value: str, zone: ZoneInfo) -> DateBound:
    """Parse ``[prefix]YYYY[-MM[-DD[Thh:mm[:ss][zone]]]]``; dates without a zone use ``zone``."""
    try:
        return _parse_date(value, zone)
    except (ValueError, OverflowError):
        raise bad_request(f"not a usable date or dateTime: {value!r}") from None


def _parse_date(value: str, zone: ZoneInfo) -> DateBound:
    prefix = value[:2] if value[:2] in _PREFIXES or value[:2] in ("ne", "sa", "eb", "ap") else "eq"
    text = (value[2:] if value[:2] == prefix else value).replace(" ", "+")  # an unencoded "+"
    if prefix not in _PREFIXES:
        raise bad_request(f"date prefix {prefix!r} is not supported (use eq, ge, gt, le or lt)")
    match = _DATE.match(text)
    if match:
        year, month, day = int(match[1]), int(match[2] or 1), int(match[3] or 1)
        try:
            start = dt.date(year, month, day)
        except ValueError:
            raise bad_request(f"not a valid date: {text!r}") from None
        if match[3]:
            end = start + dt.timedelta(days=1)
        elif match[2]:
            end = dt.date(year + month // 12, month % 12 + 1, 1)
        else:
            end = dt.date(year + 1, 1, 1)
        low = dt.datetime.combine(start, dt.time(), zone)
        high = dt.datetime.combine(end, dt.time(), zone)
    else:
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise bad_request(f"not a valid date or dateTime: {value!r}") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        clock = _CLOCK.match(text.partition("T")[2])
        if clock is None:
            raise bad_request(f"not a valid date or dateTime: {value!r}")
        step = dt.timedelta(seconds=1) if clock[1] else dt.timedelta(minutes=1)
        low, high = moment, moment + step
    return DateBound(prefix, low.astimezone(dt.UTC), high.astimezone(dt.UTC))


def parse_token(value: str) -> tuple[str | None, str]:
    """``system|code``, ``|code`` (no system) or ``code``: the system (or ``None``) and the code."""
    if "|" in value:
        system, _, code = value.partition("|")
        if not code:
            raise bad_request(f"a token search needs a code ({value!r})")
        return system, code
    return None, value


def parse_reference(value: str, types: Iterable[str]) -> tuple[str, str]:
    """``Type/id`` (or a bare ``id`` when only one type is allowed): the type and the id."""
    types = list(types)
    kind, _, ident = value.rpartition("/")
    if not kind:
        if len(types) != 1:
            raise bad_request(f"give the reference as Type/id (one of {', '.join(types)})")
        kind = types[0]
    kind = kind.rsplit("/", 1)[-1]  # an absolute URL names the type just before the id
    if kind not in types:
        raise bad_request(f"reference {value!r} must point to {' or '.join(types)}")
    if not _ID.match(ident):
        raise bad_request(f"not a valid resource id: {ident!r}")
    return kind, ident


def int_id(ident: str) -> int | None:
    """A numeric row id, or ``None`` when ``ident`` cannot be one (no such resource)."""
    return int(ident) if ident.isascii() and ident.isdigit() and len(ident) < 12 else None


def valid_id(ident: str) -> bool:
    """Whether ``ident`` has the shape of a FHIR id."""
    return bool(_ID.match(ident))
