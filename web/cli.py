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
    workers = workers or settings.workers
    factory = "web.app:create_app" if settings.role == "all" else "web.video_proxy:create_web_app"
    video = None
    if workers > 1 and settings.role == "all" and not reload:
        from web.serve_video import start_video_process

        video = start_video_process(settings)  # the one process holding the consultation rooms
        factory = "web.video_proxy:create_web_app"
    click.echo(f"Créneau is serving on http://{host}:{port}  (Ctrl+C to stop)")
    try:
        uvicorn.run(
            factory, factory=True, host=host, port=port,
            workers=workers, reload=reload, log_level=settings.log_level,
            proxy_headers=True, forwarded_allow_ips="127.0.0.1",
        )
    finally:
        if video is not None:
            video.stop()


def main() -> None:
    """Entry point of the ``creneau`` console script."""
    cli()
