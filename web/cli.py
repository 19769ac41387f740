"""The full ``creneau`` command: the domain's commands plus ``serve``."""

from __future__ import annotations

import click

from planner.cli import cli, engine_from_settings
from planner.settings import get_settings


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default CRENEAU_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default CRENEAU_PORT, 8000).")
@click.option("--workers", type=int, default=None, help="Worker processes (default CRENEAU_WORKERS, 1).")
@click.option("--reload", is_flag=True, help="Restart when the code changes (development).")
def serve(host: str | None, port: int | None, workers: int | None, reload: bool) -> None:
    """Serve the web application."""
    import uvicorn

    settings = get_settings()
    engine_from_settings().dispose()  # fail early, in one line, when the database is unreachable
    host = host or settings.host
    port = port or settings.port
    click.echo(f"Créneau is serving on http://{host}:{port}  (Ctrl+C to stop)")
    uvicorn.run(
        "web.app:create_app", factory=True, host=host, port=port,
        workers=workers or settings.workers, reload=reload, log_level=settings.log_level,
        proxy_headers=True, forwarded_allow_ips="127.0.0.1",
    )


def main() -> None:
    """Entry point of the ``creneau`` console script."""
    cli()
