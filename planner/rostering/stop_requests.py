"""Stopping a solve from any worker: the request is written on the roster, and the process that
runs the solve notices it within a second (the solve keeps its best roster so far)."""

from __future__ import annotations

import threading

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col

from planner.models import Roster

RUNNING = "running"
STOPPING = "stopping"
#: How often the solving process looks for a stop request.
CHECK_EVERY = 1.0


def request_stop(engine: Engine, roster_id: int) -> bool:
    """Ask the solve of ``roster_id`` to stop, wherever it runs; whether it was running."""
    with Session(engine) as db:
        changed = db.execute(update(Roster).where(col(Roster.id) == roster_id,
                                                  col(Roster.solver_status) == RUNNING)
                             .values(solver_status=STOPPING))
        db.commit()
        return bool(changed.rowcount)


def stop_requested(engine: Engine, roster_id: int) -> bool:
    """Whether someone asked the solve of ``roster_id`` to stop."""
    with Session(engine) as db:
        roster = db.get(Roster, roster_id)
        return roster is not None and roster.solver_status == STOPPING


def watch(engine: Engine, roster_id: int, stop_event: threading.Event, finished: threading.Event,
          every: float = CHECK_EVERY) -> threading.Thread:
    """A thread that sets ``stop_event`` when a stop is requested, until ``finished`` is set."""

    def loop() -> None:
        while not finished.wait(every):
            try:
                if stop_requested(engine, roster_id):
                    stop_event.set()
                    return
            except SQLAlchemyError:
                continue  # the database is busy: look again at the next tick

    thread = threading.Thread(target=loop, name=f"roster-{roster_id}-stop-watch", daemon=True)
    thread.start()
    return thread
