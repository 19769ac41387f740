"""Curtois & Qu (2014) text format: read an instance, write and read a roster.

Instance format (CRLF or LF, ``#`` comments, sections opened by ``SECTION_<NAME>`` and closed
by an empty line): horizon, shifts, staff, days off, shift on/off requests, cover.

Roster format (ours, in the same spirit): one line per employee, ``ID,`` followed by one
field per day holding the shift id, or nothing for a day off.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from solver.problem import CoverDemand, RosterProblem, ShiftRequest, ShiftType, Staff

SECTIONS = (
    "SECTION_HORIZON",
    "SECTION_SHIFTS",
    "SECTION_STAFF",
    "SECTION_DAYS_OFF",
    "SECTION_SHIFT_ON_REQUESTS",
    "SECTION_SHIFT_OFF_REQUESTS",
    "SECTION_COVER",
)


class CurtoisFormatError(ValueError):
    """A malformed instance or roster file; the message names the file and the line."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line


def _int(text: str, path: str, line: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CurtoisFormatError(path, line, f"{what}: expected an integer, got {text!r}") from None
    if value < 0:
        raise CurtoisFormatError(path, line, f"{what}: expected a non-negative integer, got {value}")
    return value


def _sections(lines: list[str], path: str) -> dict[str, list[tuple[int, str]]]:
    """Split the file into sections of (line number, text) data lines."""
    out: dict[str, list[tuple[int, str]]] = {}
    current: str | None = None
    for number, raw in enumerate(lines, start=1):
        text = raw.rstrip("\r\n").strip()
        if text.startswith("#"):
            continue
        if not text:
            current = None
            continue
        if text.startswith("SECTION_"):
            if text not in SECTIONS:
                raise CurtoisFormatError(path, number, f"unknown section {text}")
            if text in out:
                raise CurtoisFormatError(path, number, f"section {text} appears twice")
            out[text] = []
            current = text
            continue
        if current is None:
            raise CurtoisFormatError(path, number, f"data outside a section: {text!r}")
        out[current].append((number, text))
    return out


def _need(sec: dict[str, list[tuple[int, str]]], name: str, path: str) -> list[tuple[int, str]]:
    if name not in sec:
        raise CurtoisFormatError(path, None, f"missing {name}")
    return sec[name]


def parse_instance(text: str, path: str = "<string>", name: str | None = None) -> RosterProblem:
    """Parse an instance from its text.

    Raises:
        CurtoisFormatError: on any malformed line (with file and line number).
    """
    sec = _sections(text.splitlines(), path)
    horizon = _need(sec, "SECTION_HORIZON", path)
    if len(horizon) != 1:
        line = horizon[1][0] if len(horizon) > 1 else None
        raise CurtoisFormatError(path, line, "SECTION_HORIZON must hold exactly one line")
    days = _int(horizon[0][1], path, horizon[0][0], "horizon")
    if days == 0:
        raise CurtoisFormatError(path, horizon[0][0], "horizon must be at least one day")

    raw_shifts: list[tuple[int, str, int, list[str]]] = []
    for number, line in _need(sec, "SECTION_SHIFTS", path):
        fields = line.split(",")
        if len(fields) != 3:
            raise CurtoisFormatError(path, number, f"shift line needs 3 fields, got {len(fields)}")
        sid = fields[0]
        if not sid:
            raise CurtoisFormatError(path, number, "empty shift id")
        follow = [f for f in fields[2].split("|") if f]
        raw_shifts.append((number, sid, _int(fields[1], path, number, "shift length"), follow))
    ids = [r[1] for r in raw_shifts]
    for number, sid, _, follow in raw_shifts:
        if ids.count(sid) > 1:
            raise CurtoisFormatError(path, number, f"duplicate shift id {sid}")
        for u in follow:
            if u not in ids:
                raise CurtoisFormatError(path, number, f"unknown shift {u!r} in cannot-follow list")
    shifts = tuple(ShiftType(sid, minutes, cannot_follow=tuple(f))
                   for _, sid, minutes, f in raw_shifts)

    staff_fields: dict[str, dict] = {}
    staff_lines: dict[str, int] = {}
    for number, line in _need(sec, "SECTION_STAFF", path):
        fields = line.split(",")
        if len(fields) != 8:
            raise CurtoisFormatError(path, number, f"staff line needs 8 fields, got {len(fields)}")
        sid = fields[0]
        if not sid or sid in staff_fields:
            raise CurtoisFormatError(path, number, f"empty or duplicate staff id {sid!r}")
        maxima: dict[str, int] = {}
        for pair in filter(None, fields[1].split("|")):
            key, eq, value = pair.partition("=")
            if not eq or key not in ids:
                raise CurtoisFormatError(path, number, f"bad MaxShifts entry {pair!r}")
            maxima[key] = _int(value, path, number, f"MaxShifts[{key}]")
        names = ("max_minutes", "min_minutes", "max_consecutive", "min_consecutive",
                 "min_consecutive_off", "max_weekends")
        values = {n: _int(f, path, number, n) for n, f in zip(names, fields[2:], strict=True)}
        staff_fields[sid] = {"max_shifts": maxima, **values}
        staff_lines[sid] = number

    days_off: dict[str, set[int]] = {sid: set() for sid in staff_fields}
    for number, line in sec.get("SECTION_DAYS_OFF", []):
        fields = line.split(",")
        sid = fields[0]
        if sid not in staff_fields:
            raise CurtoisFormatError(path, number, f"unknown staff {sid!r}")
        for f in fields[1:]:
            if f:
                days_off[sid].add(_day(f, days, path, number))

    requests: list[ShiftRequest] = []
    for section, on in (("SECTION_SHIFT_ON_REQUESTS", True), ("SECTION_SHIFT_OFF_REQUESTS", False)):
        for number, line in sec.get(section, []):
            fields = line.split(",")
            if len(fields) != 4:
                raise CurtoisFormatError(path, number, f"request line needs 4 fields, got {len(fields)}")
            sid, day, shift, weight = fields
            if sid not in staff_fields:
                raise CurtoisFormatError(path, number, f"unknown staff {sid!r}")
            if shift not in ids:
                raise CurtoisFormatError(path, number, f"unknown shift {shift!r}")
            requests.append(ShiftRequest(sid, _day(day, days, path, number), shift,
                                         _int(weight, path, number, "weight"), on=on))

    cover: list[CoverDemand] = []
    for number, line in sec.get("SECTION_COVER", []):
        fields = line.split(",")
        if len(fields) != 5:
            raise CurtoisFormatError(path, number, f"cover line needs 5 fields, got {len(fields)}")
        day, shift, req, under, over = fields
        if shift not in ids:
            raise CurtoisFormatError(path, number, f"unknown shift {shift!r}")
        cover.append(CoverDemand(_day(day, days, path, number), shift,
                                 _int(req, path, number, "requirement"),
                                 _int(under, path, number, "under weight"),
                                 _int(over, path, number, "over weight")))

    staff = tuple(Staff(sid, days_off=frozenset(days_off[sid]), **f)
                  for sid, f in staff_fields.items())
    if name is None:
        name = Path(path).stem if path != "<string>" else "instance"
    return RosterProblem(days=days, shifts=shifts, staff=staff, requests=tuple(requests),
                         cover=tuple(cover), name=name)


def _day(text: str, days: int, path: str, line: int) -> int:
    day = _int(text, path, line, "day")
    if day >= days:
        raise CurtoisFormatError(path, line, f"day {day} outside the horizon of {days} days")
    return day


def _read_text(path: str | os.PathLike[str]) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CurtoisFormatError(str(path), None, f"cannot read file: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CurtoisFormatError(str(path), line, "not a UTF-8 text file") from None


def load_instance(path: str | os.PathLike[str]) -> RosterProblem:
    """Read an instance file.

    Raises:
        CurtoisFormatError: when the file cannot be read or is malformed.
    """
    return parse_instance(_read_text(path), str(path))


def format_roster(problem: RosterProblem, roster: dict[str, list[str | None]]) -> str:
    """Roster text: ``ID,`` then one field per day (shift id, empty for a day off), CRLF."""
    lines = ["# Roster for " + problem.name, "# EmployeeID, then one shift id per day (empty = off)"]
    for st in problem.staff:
        cells = roster.get(st.id, [None] * problem.days)
        lines.append(st.id + "," + ",".join(c or "" for c in cells))
    return "\r\n".join(lines) + "\r\n"


def write_roster(path: str | os.PathLike[str], problem: RosterProblem,
                 roster: dict[str, list[str | None]]) -> None:
    """Write a roster file (see :func:`format_roster`)."""
    Path(path).write_bytes(format_roster(problem, roster).encode("utf-8"))


def parse_roster(text: str, problem: RosterProblem,
                 path: str = "<string>") -> dict[str, list[str | None]]:
    """Parse a roster for ``problem``; staff missing from the file are off every day.

    Raises:
        CurtoisFormatError: on an unknown staff or shift, a wrong number of days, or a repeat.
    """
    roster: dict[str, list[str | None]] = {}
    known = problem.shift_index
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split(",")
        sid = fields[0]
        if sid not in problem.staff_index:
            raise CurtoisFormatError(path, number, f"unknown staff {sid!r}")
        if sid in roster:
            raise CurtoisFormatError(path, number, f"staff {sid!r} appears twice")
        cells = fields[1:]
        if len(cells) != problem.days:
            raise CurtoisFormatError(
                path, number, f"expected {problem.days} days for {sid}, got {len(cells)}")
        for c in cells:
            if c and c not in known:
                raise CurtoisFormatError(path, number, f"unknown shift {c!r}")
        roster[sid] = [c or None for c in cells]
    for st in problem.staff:
        roster.setdefault(st.id, [None] * problem.days)
    return roster


def read_roster(path: str | os.PathLike[str], problem: RosterProblem) -> dict[str, list[str | None]]:
    """Read a roster file written by :func:`write_roster`."""
    return parse_roster(_read_text(path), problem, str(path))


def instance_files(directory: str | os.PathLike[str]) -> list[Path]:
    """``Instance*.txt`` files of a directory sorted by their number."""
    def key(p: Path) -> tuple[int, str]:
        digits = "".join(ch for ch in p.stem if ch.isdigit())
        return (int(digits) if digits else 10**9, p.name)

    return sorted(Path(directory).glob("Instance*.txt"), key=key)


def instance_number(path: str | os.PathLike[str]) -> int | None:
    """The N of ``InstanceN.txt`` (None when the name has no number)."""
    digits = "".join(ch for ch in Path(path).stem if ch.isdigit())
    return int(digits) if digits else None


__all__: Iterable[str] = (
    "CurtoisFormatError", "parse_instance", "load_instance", "format_roster", "write_roster",
    "parse_roster", "read_roster", "instance_files", "instance_number",
)
