"""Live updates: the Litestar channels plugin (in memory, or Redis for several workers)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.memory import MemoryChannelsBackend

from planner.errors import ConfigError
from planner.settings import Settings


def make_channels_plugin(settings: Settings) -> ChannelsPlugin:
    """The channels plugin for ``CRENEAU_CHANNELS_BACKEND``."""
    if settings.channels_backend == "redis":
        if not settings.redis_url:
            raise ConfigError("CRENEAU_CHANNELS_BACKEND=redis needs CRENEAU_REDIS_URL.")
        try:
            from litestar.channels.backends.redis import RedisChannelsPubSubBackend
            from redis.asyncio import Redis
        except ImportError:
            raise ConfigError("CRENEAU_CHANNELS_BACKEND=redis needs the redis package "
                              "(pip install redis).") from None
        backend: Any = RedisChannelsPubSubBackend(redis=Redis.from_url(settings.redis_url))
    else:
        backend = MemoryChannelsBackend(history=0)
    return ChannelsPlugin(backend=backend, arbitrary_channels_allowed=True)


class ThreadPublisher:
    """Publish to channels from a worker thread (the solver's progress callback)."""

    def __init__(self, channels: ChannelsPlugin, loop: asyncio.AbstractEventLoop) -> None:
        self.channels = channels
        self.loop = loop

    def publish(self, data: Any, channel: str) -> None:
        """Thread-safe publish; silently dropped once the loop is closed."""
        if self.loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.channels.publish, data, channel)
