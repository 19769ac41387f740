"""The Curtois & Qu loader, its errors, and the roster writer/reader."""

from __future__ import annotations

from pathlib import Path

import pytest

from solver import solve
from solver.formats.curtois import (
    CurtoisFormatError,
    format_roster,
    instance_files,
    load_instance,
    parse_instance,
    parse_roster,
    read_roster,
    write_roster,
)
from solver.validate import validate

FIXTURE = Path(__file__).parents[2] / "fixtures" / "solver" / "tiny.txt"


def test_load_fixture() -> None:
    p = load_instance(FIXTURE)
    assert p.name == "tiny" and p.days == 14
    assert [t.id for t in p.shifts] == ["D", "N"]
    assert p.shifts[1].cannot_follow == ("D",) and p.shifts[0].cannot_follow == ()
    a = p.staff[0]
    assert (a.id, a.max_shifts, a.max_minutes, a.min_minutes) == ("A", {"D": 14, "N": 4}, 4800, 2880)
    assert (a.max_consecutive, a.min_consecutive, a.min_consecutive_off, a.max_weekends) == \
        (5, 2, 2, 1)
    assert a.days_off == frozenset({0})
    assert len([r for r in p.requests if r.on]) == 3
    assert len([r for r in p.requests if not r.on]) == 2
    assert len(p.cover) == 28 and p.cover[1].shift == "N" and p.cover[1].under_weight == 100
    assert p.weekend_days[0] == (5, 6)


def _broken(tmp_path: Path, old: str, new: str) -> tuple[Path, int]:
    text = FIXTURE.read_bytes().decode()
    assert old in text
    lines = text.split("\r\n")
    number = next(i for i, line in enumerate(lines, start=1) if old in line)
    path = tmp_path / "bad.txt"
    path.write_bytes(text.replace(old, new, 1).encode())
    return path, number


@pytest.mark.parametrize(("old", "new", "words"), [
    ("A,D=14|N=4,4800,2880,5,2,2,1", "A,D=14|N=4,4800,2880,5,2,2", "8 fields"),
    ("B,D=14|N=4,4800,2880,5,2,2,1", "B,D=14|N=4,48x0,2880,5,2,2,1", "expected an integer"),
    ("C,D=14|N=0", "C,D=14|Q=0", "bad MaxShifts entry"),
    ("N,600,D", "N,600,Z", "unknown shift 'Z'"),
    ("A,2,D,2", "A,99,D,2", "outside the horizon"),
    ("E,1,N,2", "X,1,N,2", "unknown staff 'X'"),
    ("3,N,1,100,1", "3,N,1,100", "5 fields"),
    ("SECTION_COVER", "SECTION_COVERS", "unknown section"),
])
def test_errors_name_file_and_line(tmp_path: Path, old: str, new: str, words: str) -> None:
    path, number = _broken(tmp_path, old, new)
    with pytest.raises(CurtoisFormatError) as info:
        load_instance(path)
    assert str(info.value).startswith(f"{path}:{number}: ")
    assert words in str(info.value)
    assert info.value.line == number and isinstance(info.value, ValueError)


def test_missing_file_and_missing_section(tmp_path: Path) -> None:
    with pytest.raises(CurtoisFormatError, match="cannot read file"):
        load_instance(tmp_path / "nope.txt")
    with pytest.raises(CurtoisFormatError, match="missing SECTION_STAFF"):
        parse_instance("SECTION_HORIZON\n7\n\nSECTION_SHIFTS\nD,480,\n", "x.txt")
    with pytest.raises(CurtoisFormatError, match=r"x.txt:1: data outside a section"):
        parse_instance("7\n", "x.txt")


def test_lf_line_endings_are_accepted() -> None:
    text = FIXTURE.read_bytes().decode().replace("\r\n", "\n")
    assert parse_instance(text).days == 14


def test_roster_round_trip(tmp_path: Path) -> None:
    p = load_instance(FIXTURE)
    r = solve(p, time_limit=2)
    path = tmp_path / "tiny.roster"
    write_roster(path, p, r.roster)
    raw = path.read_bytes()
    assert raw.endswith(b"\r\n")
    first = next(line for line in raw.decode().split("\r\n") if line.startswith("A,"))
    assert first.count(",") == p.days
    back = read_roster(path, p)
    assert back == r.roster
    assert validate(p, back).objective == r.objective


def test_roster_errors() -> None:
    p = load_instance(FIXTURE)
    good = format_roster(p, {s.id: [None] * p.days for s in p.staff})
    assert parse_roster(good, p)["A"] == [None] * 14
    with pytest.raises(CurtoisFormatError, match=r"r.txt:3: expected 14 days for A, got 2"):
        parse_roster("#\n#\nA,D,\n", p, "r.txt")
    with pytest.raises(CurtoisFormatError, match="unknown shift 'Q'"):
        parse_roster("A," + ",".join(["Q"] * 14) + "\n", p)
    with pytest.raises(CurtoisFormatError, match="unknown staff"):
        parse_roster("ZZ," + "," * 13 + "\n", p)


def test_instance_files_sorted_numerically(tmp_path: Path) -> None:
    for n in (10, 2, 1):
        (tmp_path / f"Instance{n}.txt").write_text("")
    assert [f.name for f in instance_files(tmp_path)] == \
        ["Instance1.txt", "Instance2.txt", "Instance10.txt"]
