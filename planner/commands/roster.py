"""``creneau roster`` and ``creneau bench`` commands: solve, check and benchmark rosters.

Progress goes to stderr (rich); the machine-readable result goes to stdout.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from planner.commands.memory import PeakMemory
from solver import RosterProblem, RosterResult, Status, solve
from solver.formats.curtois import (
    CurtoisFormatError,
    instance_files,
    instance_number,
    load_instance,
    read_roster,
    write_roster,
)
from solver.validate import validate

err = Console(stderr=True)


def _fail(message: str) -> None:
    """Print one clear line and exit with code 2."""
    click.echo(f"Error: {message}", err=True)
    raise SystemExit(2)


def _load(path: str) -> RosterProblem:
    try:
        return load_instance(path)
    except CurtoisFormatError as exc:
        _fail(str(exc))
        raise  # unreachable


@contextmanager
def _live(label: str, time_limit: float, quiet: bool) -> Iterator[Callable[[float, float, float], None]]:
    """A rich progress bar (elapsed vs time limit, best objective and bound) on stderr."""
    if quiet:
        yield lambda *_: None
        return
    columns = (TextColumn("[bold]{task.description}"), BarColumn(),
               TextColumn("{task.completed:>5.1f}/{task.total:.0f}s"),
               TextColumn("best {task.fields[best]}  bound {task.fields[bound]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(label, total=time_limit, best="-", bound="-")
        start = time.monotonic()

        def update(seconds: float, objective: float, bound: float) -> None:
            bar.update(task, completed=min(seconds, time_limit), best=f"{objective:.0f}",
                       bound=f"{bound:.0f}")

        def tick() -> None:
            bar.update(task, completed=min(time.monotonic() - start, time_limit))

        import threading

        stop = threading.Event()

        def ticker() -> None:
            while not stop.wait(0.25):
                tick()

        thread = threading.Thread(target=ticker, daemon=True)
        thread.start()
        try:
            yield update
        finally:
            stop.set()
            thread.join()


def _run(problem: RosterProblem, time_limit: float, workers: int, seed: int,
         quiet: bool) -> RosterResult:
    with _live(problem.name, time_limit, quiet) as update:
        return solve(problem, time_limit=time_limit, workers=workers, seed=seed, progress=update)


_common = [
    click.option("--time-limit", type=click.FloatRange(min=0.1), default=60.0, show_default=True,
                 help="Seconds for each solve (model building included)."),
    click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
                 help="CP-SAT worker threads."),
    click.option("--seed", type=int, default=0, show_default=True, help="Random seed."),
    click.option("--quiet", is_flag=True, help="No progress display."),
]


def _options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(_common):
        func = option(func)
    return func


@click.group()
def roster() -> None:
    """Solve and check staff rosters (Curtois & Qu text format)."""


@roster.command("solve")
@click.argument("file", type=click.Path(dir_okay=False))
@_options
@click.option("--out", "out", type=click.Path(dir_okay=False),
              help="Write the roster to this file (one line per employee).")
def solve_cmd(file: str, time_limit: float, workers: int, seed: int, quiet: bool,
              out: str | None) -> None:
    """Solve the instance FILE and print one JSON line with the result.

    The JSON line has: instance, status, objective, bound, seconds. When there is no roster
    the reasons are printed on stderr.
    """
    problem = _load(file)
    result = _run(problem, time_limit, workers, seed, quiet)
    if result.status is Status.MODEL_INVALID:
        _fail(f"{file}: {result.message}")
    if out and result.roster:
        try:
            write_roster(out, problem, result.roster)
        except OSError as exc:
            _fail(f"{out}: cannot write: {exc.strerror}")
    for sentence in result.explanation:
        err.print(f"[red]•[/red] {sentence}")
    click.echo(json.dumps({"instance": problem.name, "status": result.status.value,
                           "objective": result.objective, "bound": _num(result.bound),
                           "seconds": round(result.seconds, 3)}))


def _num(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(value, 3)


@roster.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
@click.argument("roster_file", metavar="ROSTER", type=click.Path(dir_okay=False))
def check_cmd(file: str, roster_file: str) -> None:
    """Check ROSTER against the instance FILE with the independent validator.

    Prints "feasible" or each hard-rule breach, then the objective. Exit code 1 when the
    roster breaks a hard rule.
    """
    problem = _load(file)
    try:
        cells = read_roster(roster_file, problem)
    except CurtoisFormatError as exc:
        _fail(str(exc))
    report = validate(problem, cells)
    if report.feasible:
        click.echo("feasible")
    else:
        click.echo(f"infeasible: {len(report.breaches)} breach(es)")
        for b in report.breaches:
            day = "" if b.day is None else f" day {b.day}"
            click.echo(f"  {b.rule}{day}: {b.message}")
    click.echo(f"objective {report.objective}")
    raise SystemExit(0 if report.feasible else 1)


@click.group()
def bench() -> None:
    """Benchmarks."""


def _best_known(directory: Path) -> dict[str, int]:
    path = directory / "best_known.csv"
    if not path.is_file():
        return {}
    out: dict[str, int] = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                out[row["instance"]] = int(row["best_known"])
            except (KeyError, ValueError):
                continue
    return out


def _parse_only(text: str | None) -> set[int] | None:
    if not text:
        return None
    try:
        return {int(x) for x in text.split(",") if x.strip()}
    except ValueError:
        _fail(f"--only expects instance numbers separated by commas, got {text!r}")
        raise  # unreachable


@bench.command("roster")
@click.argument("directory", metavar="DIR", type=click.Path(file_okay=False))
@_options
@click.option("--json", "json_out", type=click.Path(dir_okay=False),
              help="Write the table as JSON to this file.")
@click.option("--only", help="Instance numbers to run, e.g. 1,2,8.")
@click.option("--out-dir", type=click.Path(file_okay=False),
              help="Write each roster to OUT_DIR/InstanceN.roster.")
def bench_roster(directory: str, time_limit: float, workers: int, seed: int, quiet: bool,
                 json_out: str | None, only: str | None, out_dir: str | None) -> None:
    """Solve every Instance*.txt in DIR (sorted by number), validate and tabulate.

    Gaps are computed against DIR/best_known.csv when present.
    """
    folder = Path(directory)
    if not folder.is_dir():
        _fail(f"{directory}: no such directory")
    wanted = _parse_only(only)
    files = [f for f in instance_files(folder)
             if wanted is None or instance_number(f) in wanted]
    if not files:
        _fail(f"{directory}: no Instance*.txt file selected")
    best = _best_known(folder)
    rows: list[dict[str, Any]] = []
    for i, path in enumerate(files, start=1):
        problem = _load(str(path))
        if not quiet:
            err.print(f"[{i}/{len(files)}] {problem.name}: {problem.days} days, "
                      f"{len(problem.staff)} staff, {len(problem.shifts)} shifts")
        with PeakMemory() as memory:
            result = _run(problem, time_limit, workers, seed, quiet)
        report = validate(problem, result.roster) if result.roster else None
        ok = bool(report and report.feasible and report.objective == result.objective)
        known = best.get(problem.name)
        gap = None
        if known is not None and result.objective is not None and known:
            gap = round(100.0 * (result.objective - known) / known, 3)
        rows.append({"instance": problem.name, "days": problem.days,
                     "staff": len(problem.staff), "shifts": len(problem.shifts),
                     "status": result.status.value, "objective": result.objective,
                     "bound": _num(result.bound), "best_known": known, "gap_percent": gap,
                     "seconds": round(result.seconds, 2), "peak_mib": memory.mib,
                     "validated": ok})
        if out_dir and result.roster:
            Path(out_dir).mkdir(parents=True, exist_ok=True)
            write_roster(Path(out_dir) / f"{problem.name}.roster", problem, result.roster)
        if json_out:
            Path(json_out).write_text(json.dumps(rows, indent=2) + "\n")
    table = Table(title=f"Roster benchmark ({time_limit:g} s, {workers} workers, seed {seed})")
    for col in ("instance", "days×staff×shifts", "objective", "bound", "best known", "gap %",
                "seconds", "peak MiB", "validated"):
        table.add_column(col, justify="left" if col == "instance" else "right")
    for r in rows:
        table.add_row(r["instance"], f"{r['days']}×{r['staff']}×{r['shifts']}",
                      _txt(r["objective"]), _txt(r["bound"]), _txt(r["best_known"]),
                      _txt(r["gap_percent"]), f"{r['seconds']:.1f}", _txt(r["peak_mib"]),
                      "[green]ok[/green]" if r["validated"] else "[red]no[/red]")
    out = Console(file=sys.stdout)
    if out.width < 130:  # a pipe or a narrow terminal: do not squeeze the columns
        out = Console(file=sys.stdout, width=130)
    out.print(table)


def _txt(value: object) -> str:
    return "-" if value is None else str(value)
