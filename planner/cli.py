"""The ``creneau`` command line (the domain's part: database, demo data, rosters, benchmarks).

``web.cli`` adds ``serve`` and assembles the final command.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from planner.database import check_connection, make_engine, safe_url, session_scope
from planner.errors import ConfigError
from planner.settings import get_settings


class CreneauGroup(click.Group):
    """A command group that turns configuration problems into one line and exit code 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            click.echo(f"creneau: {error}", err=True)
            sys.exit(2)


def engine_from_settings():  # noqa: ANN201 - sqlalchemy Engine
    """The engine for the configured database, checked to be reachable."""
    engine = make_engine(get_settings().database_url)
    check_connection(engine)
    return engine


@click.group(cls=CreneauGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="creneau", prog_name="creneau")
def cli() -> None:
    """Créneau: staff rosters, patient booking and video consultations for a health centre.

    Configuration comes from CRENEAU_* environment variables (see README.md).
    """


@cli.group(cls=CreneauGroup)
def db() -> None:
    """Database schema and maintenance."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    from planner.migrate import current_revision, upgrade

    engine = engine_from_settings()
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    where = safe_url(get_settings().database_url)
    if before == after:
        click.echo(f"Database {where} is up to date (revision {after}).")
    else:
        click.echo(f"Database {where} migrated from {before or 'empty'} to revision {after}.")


@db.command("backup")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default DATA_DIR/backups/creneau-YYYYmmdd-HHMMSS.jsonl.gz).")
def db_backup(out: Path | None) -> None:
    """Write every table to one portable, compressed file (SQLite or PostgreSQL)."""
    from planner.backup import make_backup

    settings = get_settings()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    out = out or settings.data_dir / "backups" / f"creneau-{stamp}.jsonl.gz"
    report = make_backup(engine_from_settings(), out)
    click.echo(f"Backed up {report.rows} rows of {len(report.counts)} tables to {out}.")


@db.command("restore")
@click.argument("backup", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def db_restore(backup: Path) -> None:
    """Fill an empty database from BACKUP, then check integrity and row counts."""
    from planner.backup import BackupError, restore_backup

    try:
        report = restore_backup(engine_from_settings(), backup)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {report.rows} rows of {len(report.counts)} tables from {backup}; "
               "integrity and counts checked.")


@cli.group(cls=CreneauGroup)
def privacy() -> None:
    """Patients' data: retention."""


@privacy.command("retention")
@click.option("--dry-run", is_flag=True, help="List who would be pseudonymised, change nothing.")
def privacy_retention(dry_run: bool) -> None:
    """Pseudonymise patients inactive for longer than CRENEAU_RETENTION_DAYS."""
    from planner.models.types import utcnow
    from planner.privacy.retention import apply_retention

    days = get_settings().retention_days
    ids = apply_retention(engine_from_settings(), utcnow(), days, dry_run=dry_run)
    verb = "would be" if dry_run else "were"
    click.echo(f"{len(ids)} patients inactive for more than {days} days {verb} pseudonymised.")


@cli.group(cls=CreneauGroup)
def demo() -> None:
    """Demo data: an invented French health centre."""


@demo.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already holds a site.")
@click.option(
    "--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
    help="Date the demo is built around (default: today).",
)
def demo_load(if_empty: bool, today: dt.datetime | None) -> None:
    """Load the demo health centre (staff, shifts, sessions, appointment types)."""
    from planner.demo import DEMO_PASSWORD, has_data, load_demo

    engine = engine_from_settings()
    with session_scope(engine) as session:
        if has_data(session):
            if if_empty:
                click.echo("The database already holds a centre; demo not loaded.")
                return
            raise click.ClickException(
                "The database already holds a centre. Use an empty database for the demo."
            )
        site = load_demo(session, (today.date() if today else dt.date.today()))
        click.echo(f"Loaded the demo centre “{site.name}”. Staff sign in with their e-mail "
                   f"and the password {DEMO_PASSWORD!r}.")


def register_commands(group: click.Group) -> None:
    """Add the command groups that live in their own modules (one module per area)."""
    from planner.commands.roster import bench, roster
    from planner.commands.slots import slots
    from planner.commands.tokens import tokens
    from planner.commands.users import users

    for command in (roster, bench, slots, tokens, users):
        group.add_command(command)


register_commands(cli)
