"""``creneau slots generate``: lay out bookable slots from the consultation sessions."""

from __future__ import annotations

import datetime as dt

import click


@click.group()
def slots() -> None:
    """Bookable slots cut from the clinicians' consultation sessions."""


@slots.command("generate")
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First local day (default: today).")
@click.option("--days", type=click.IntRange(1, 366), default=56, show_default=True,
              help="Number of days to (re)generate.")
@click.option("--if-missing", is_flag=True, help="Do nothing when slots already exist.")
@click.option("--time-limit", type=float, default=5.0, show_default=True,
              help="Seconds the solver may spend on each group of sessions.")
def generate(first: dt.datetime | None, days: int, if_missing: bool, time_limit: float) -> None:
    """Lay out the free slots of a period; booked slots are kept as they are."""
    from sqlalchemy import select

    from planner.booking.slots import generate_slots
    from planner.cli import engine_from_settings
    from planner.database import session_scope
    from planner.models import Slot

    start = first.date() if first else dt.date.today()
    engine = engine_from_settings()
    with session_scope(engine) as session:
        if if_missing and session.execute(select(Slot.id).limit(1)).first():
            click.echo("Slots already exist; nothing generated.")
            return
        report = generate_slots(session, start, start + dt.timedelta(days=days), time_limit=time_limit)
    click.echo(f"{report.created} free slots laid out from {report.sessions} sessions "
               f"({report.kept_booked} booked kept, {report.removed} removed, "
               f"{report.withdrawn} withdrawn; solver {report.status}).")
