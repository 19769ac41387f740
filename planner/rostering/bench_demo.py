"""Benchmark: the demo's nursing team over 4 weeks, solved to proven optimality (target < 10 s).

``python -m planner.rostering.bench_demo [--runs N]`` loads the demo centre into a throw-away
SQLite file, solves the roster of the first 4 weeks with 2 workers N times and prints the times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path

from sqlmodel import Session, select

from planner.database import make_engine, session_scope
from planner.demo import load_demo, period_start
from planner.migrate import upgrade
from planner.models import Site
from planner.rostering import service


def main() -> None:
    """Run the benchmark and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=60)
    args = parser.parse_args()
    today = dt.date.today()
    times, statuses = [], []
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        with session_scope(engine) as db:
            load_demo(db, today)
        for _ in range(args.runs):
            with Session(engine, expire_on_commit=False) as db:
                site = db.exec(select(Site)).one()
                roster = service.new_version(db, site.id, period_start(today), 28, None)
            started = time.monotonic()
            result = service.solve_now(engine, roster.id, time_limit=args.time_limit, workers=2)
            times.append(round(time.monotonic() - started, 2))
            statuses.append(result.status.value)
        engine.dispose()
    print(json.dumps({"benchmark": "demo nursing team, 4 weeks", "statuses": statuses,
                      "seconds": times, "median_seconds": statistics.median(times),
                      "target_seconds": 10, "met": statuses.count("optimal") == len(statuses)
                      and statistics.median(times) < 10}))


if __name__ == "__main__":
    main()
