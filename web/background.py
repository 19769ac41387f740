"""Background tasks of the running app: started on startup, cancelled on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import anyio
from litestar import Litestar

from web.controllers.booking_common import clock


def start_task(app: Litestar, name: str, work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` in the background, kept in ``app.state`` under ``name``."""
    app.state[name] = asyncio.get_running_loop().create_task(work)


async def stop_task(app: Litestar, name: str) -> None:
    """Cancel the task kept under ``name`` (if any) and wait for it to end."""
    task = app.state.get(name)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def every(app: Litestar, seconds: float, work: Callable[[dt.datetime], object],
                logger: logging.Logger, what: str) -> None:
    """Run ``work(now)`` in a worker thread every ``seconds`` (``now`` from the app's clock); a
    failure is logged and the next round runs as usual."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await anyio.to_thread.run_sync(work, clock(app.state))
        except Exception:  # noqa: BLE001 - keep the task alive; the next round retries
            logger.exception("%s failed", what)
