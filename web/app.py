"""The application factory: assembles settings, database, plugins, routes and templates."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.static_files import create_static_files_router
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from planner.database import make_engine
from planner.directory import centre_name
from planner.settings import Settings, get_settings
from web.auth import (
    SignInRequired,
    csrf_guard,
    install_template_globals,
    signin_required_handler,
    staff_session_middleware,
)
from web.booking_runtime import booking_middleware, booking_stores, start_mail_sender, stop_mail_sender
from web.controllers.roster_workspace import stop_roster_jobs
from web.errors import http_error_handler
from web.live import make_channels_plugin
from web.maintenance_runtime import start_daily_jobs, stop_daily_jobs
from web.middleware import add_security_headers, locale_middleware_factory
from web.routes import ROUTE_HANDLERS
from web.templating import build_environment, template_config
from web.video_runtime import start_video, stop_video

STATIC_DIR = Path(__file__).with_name("static")


def _version() -> str:
    try:
        return version("creneau")
    except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        return "0.0.0"


def provide_db(state: State) -> Iterator[Session]:
    """One database session per request."""
    with Session(state.engine, expire_on_commit=False) as session:
        yield session


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Litestar:
    """Build the Créneau web application."""
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)
    environment = build_environment(settings.centre_name or "Créneau")
    install_template_globals(environment)

    def name_the_centre() -> None:
        if settings.centre_name:
            return
        try:
            with Session(engine) as session:
                environment.globals["centre_name"] = centre_name(session) or "Créneau"
        except SQLAlchemyError:
            pass  # not migrated yet: keep the default name

    return Litestar(
        route_handlers=[
            *ROUTE_HANDLERS,
            create_static_files_router(path="/static", directories=[STATIC_DIR], name="static",
                                       include_in_schema=False),
        ],
        dependencies={"db": Provide(provide_db)},
        template_config=template_config(environment),
        middleware=[locale_middleware_factory(settings.default_locale), staff_session_middleware,
                    *booking_middleware(settings)],
        before_send=[add_security_headers],
        exception_handlers={Exception: http_error_handler, SignInRequired: signin_required_handler},
        guards=[csrf_guard],
        plugins=[make_channels_plugin(settings)],
        stores=booking_stores(settings),
        openapi_config=OpenAPIConfig(
            title="Créneau API", version=_version(), path="/schema",
            description="Booking, rosters and video consultations of a Créneau health centre.",
            render_plugins=[ScalarRenderPlugin()],
        ),
        on_startup=[name_the_centre, start_video, start_mail_sender, start_daily_jobs],
        on_shutdown=[stop_daily_jobs, stop_mail_sender, stop_roster_jobs, stop_video, engine.dispose],
        state=State({"engine": engine, "settings": settings}),
        debug=settings.debug,
    )
