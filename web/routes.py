"""Every route handler of the app, in one list. Add a controller here to serve it."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from web.controllers.home import HealthController, HomeController

ROUTE_HANDLERS: list[ControllerRouterHandler] = [
    HomeController,
    HealthController,
]
