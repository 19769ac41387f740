"""Background tasks of the running app: started on startup, cancelled on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

from litestar import Litestar


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
