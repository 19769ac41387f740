"""``creneau roster`` and ``creneau bench roster`` through click's CliRunner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from planner.commands.roster import bench, roster

FIXTURE = Path(__file__).parents[2] / "fixtures" / "solver" / "tiny.txt"


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        return CliRunner()


def test_solve_prints_one_json_line_and_writes_the_roster(tmp_path: Path) -> None:
    out = tmp_path / "tiny.roster"
    r = _runner().invoke(roster, ["solve", str(FIXTURE), "--time-limit", "2", "--workers", "2",
                                  "--seed", "1", "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    lines = [line for line in r.stdout.splitlines() if line.strip()]
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert set(data) == {"instance", "status", "objective", "bound", "seconds"}
    assert data["instance"] == "tiny" and data["status"] in ("optimal", "feasible")
    assert out.is_file()
    check = _runner().invoke(roster, ["check", str(FIXTURE), str(out)])
    assert check.exit_code == 0
    assert check.stdout.splitlines()[0] == "feasible"
    assert check.stdout.splitlines()[-1] == f"objective {data['objective']}"


def test_check_reports_breaches_with_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.roster"
    bad.write_text("A," + ",".join(["N"] * 14) + "\n")
    r = _runner().invoke(roster, ["check", str(FIXTURE), str(bad)])
    assert r.exit_code == 1
    assert r.stdout.startswith("infeasible:")
    assert "days_off day 0" in r.stdout


def test_errors_are_one_line_with_exit_2(tmp_path: Path) -> None:
    r = _runner().invoke(roster, ["solve", str(tmp_path / "missing.txt")])
    assert r.exit_code == 2
    assert "missing.txt" in r.stderr and "Traceback" not in r.stderr + r.stdout
    bad = tmp_path / "bad.txt"
    bad.write_text("SECTION_HORIZON\nseven\n")
    r = _runner().invoke(roster, ["solve", str(bad)])
    assert r.exit_code == 2
    assert r.stderr.strip().splitlines() == [f"Error: {bad}:2: horizon: expected an integer, "
                                             "got 'seven'"]
    roster_file = tmp_path / "r.txt"
    roster_file.write_text("Q,\n")
    r = _runner().invoke(roster, ["check", str(FIXTURE), str(roster_file)])
    assert r.exit_code == 2 and "unknown staff 'Q'" in r.stderr


def test_help_texts() -> None:
    for group, args in ((roster, ["solve"]), (roster, ["check"]), (bench, ["roster"])):
        r = _runner().invoke(group, [*args, "--help"])
        assert r.exit_code == 0 and "Usage" in r.stdout


def test_bench_table_and_json(tmp_path: Path) -> None:
    shutil.copy(FIXTURE, tmp_path / "Instance1.txt")
    shutil.copy(FIXTURE, tmp_path / "Instance2.txt")
    (tmp_path / "best_known.csv").write_text(
        "instance,days,staff,shift_types,lower_bound,best_known,optimal,source\n"
        "Instance1,14,4,2,1,1000,no,test\n")
    out = tmp_path / "bench.json"
    r = _runner().invoke(bench, ["roster", str(tmp_path), "--time-limit", "1", "--only", "1",
                                 "--json", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    rows = json.loads(out.read_text())
    assert [row["instance"] for row in rows] == ["Instance1"]
    row = rows[0]
    assert row["validated"] is True and row["best_known"] == 1000
    assert row["gap_percent"] == round(100 * (row["objective"] - 1000) / 1000, 3)
    assert 20 < row["peak_mib"] < 4096 and "peak MiB" in r.stdout  # this process's memory
    assert "Instance1" in r.stdout and "4×2" in r.stdout.replace(" ", "") or "14×4×2" in r.stdout
    r = _runner().invoke(bench, ["roster", str(tmp_path / "none")])
    assert r.exit_code == 2
