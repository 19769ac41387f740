"""Booking's part of the running app: API rate limits and the background e-mail sender."""

from __future__ import annotations

import logging

from litestar import Litestar, Request
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.stores.base import Store
from litestar.types import Middleware

from planner.booking.mail.sender import SmtpConfig, mail_tick
from planner.booking.manage_links import Links
from planner.settings import Settings
from web.background import every, start_task, stop_task

logger = logging.getLogger("creneau.mail")
RATE_LIMITED_PREFIX = "/api/v1/"


def booking_middleware(settings: Settings) -> list[Middleware]:
    """The API's rate limit (``CRENEAU_RATE_LIMIT_API`` per minute per client; 0 = none)."""
    if settings.rate_limit_api <= 0:
        return []

    def is_booking_api(request: Request) -> bool:
        return request.url.path.startswith(RATE_LIMITED_PREFIX)

    config = RateLimitConfig(rate_limit=("minute", settings.rate_limit_api),
                             check_throttle_handler=is_booking_api, store=RATE_LIMIT_STORE)
    return [config.middleware]


RATE_LIMIT_STORE = "booking_rate_limit"


def booking_stores(settings: Settings) -> dict[str, Store]:
    """With Redis (several workers), the rate limit counts in Redis so that the limit is per client,
    not per client and worker; otherwise Litestar's default in-memory store."""
    if settings.rate_limit_api <= 0 or settings.channels_backend != "redis" or not settings.redis_url:
        return {}
    from litestar.stores.redis import RedisStore

    return {RATE_LIMIT_STORE: RedisStore.with_client(url=settings.redis_url,
                                                     namespace="creneau_rate_limit")}


def smtp_config(settings: Settings) -> SmtpConfig | None:
    """SMTP settings, or ``None`` when no server is configured (e-mails stay queued)."""
    if not settings.smtp_host:
        return None
    return SmtpConfig(host=settings.smtp_host, port=settings.smtp_port,
                      username=settings.smtp_username, password=settings.smtp_password,
                      sender=settings.smtp_from, starttls=settings.smtp_starttls)


async def _run(app: Litestar) -> None:
    settings: Settings = app.state.settings
    links = Links(key=settings.signing_key(),
                  base_url=settings.public_base_url or f"http://{settings.host}:{settings.port}")
    config = smtp_config(settings)
    engine = app.state.engine
    await every(app, settings.mail_interval_seconds,
                lambda now: mail_tick(engine, config, links, now), logger, "mail round")


async def start_mail_sender(app: Litestar) -> None:
    """``on_startup``: start the background sender."""
    start_task(app, "mail_task", _run(app))


async def stop_mail_sender(app: Litestar) -> None:
    """``on_shutdown``: stop it."""
    await stop_task(app, "mail_task")
