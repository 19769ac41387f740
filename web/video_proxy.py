"""Several workers: every video consultation is served by one process (``CRENEAU_ROLE=video``).

Rooms, peer connections and the waiting-room state of :mod:`telecon` live in the memory of one
process, and both peers of a consultation must meet in it. With ``creneau serve --workers N``
(N > 1) the command starts that *video process* on an internal loopback port and the N web workers
(``CRENEAU_ROLE=web``) forward to it, over plain HTTP on 127.0.0.1, every request that needs the
rooms:

- ``/api/v1/video/…`` (signalling: offers, check-in, admission, the room's event stream…);
- ``/video/…`` (the patient's link and page);
- ``/staff/video…`` (the clinician's pages and waiting list), except the clinician's waiting-room
  stream ``/staff/video/waiting-room/stream``, which any worker serves from the Redis channels.

The request (method, path, query, headers — cookies and ``Authorization`` included — and body) goes
through unchanged, with ``X-Forwarded-For``/``X-Forwarded-Proto`` set from what the worker saw; the
status, headers (``Set-Cookie`` included) and body come back unchanged, streamed (server-sent
events). Media (ICE/UDP) then flows between the browser and the video process. Room events reach
every worker's server-sent events through the Redis channels (``CRENEAU_CHANNELS_BACKEND=redis``).

:func:`create_web_app` is the ASGI factory of both roles; with ``CRENEAU_DEBUG`` it adds the
answering process's id in an ``X-Worker-Pid`` header (``X-Video-Pid`` for the video process's
answers), which the multi-worker tests use.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx

from planner.errors import ConfigError
from planner.settings import Settings, get_settings

logger = logging.getLogger("creneau.video")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Paths whose requests need the process's consultation rooms.
FORWARDED_PREFIXES = ("/api/v1/video/", "/video/", "/staff/video")
#: ...except this one: the clinician's waiting-room stream only listens to the channels.
SERVED_LOCALLY = ("/staff/video/waiting-room/stream",)
MAX_FORWARDED_BODY = 1024 * 1024
HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te",
              b"trailer", b"transfer-encoding", b"upgrade", b"content-length", b"host",
              b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"forwarded"}
PID_HEADER = b"x-worker-pid"
VIDEO_PID_HEADER = b"x-video-pid"
PARENT_CHECK_SECONDS = 2.0


def is_forwarded(path: str) -> bool:
    """Whether a web worker forwards this path to the video process."""
    if path in SERVED_LOCALLY or path.rstrip("/") in SERVED_LOCALLY:
        return False
    return any(path == prefix.rstrip("/") or path.startswith(prefix) for prefix in FORWARDED_PREFIXES)


def _with_pid(send: Send, enabled: bool) -> Send:
    if not enabled:
        return send
    pid = str(os.getpid()).encode()

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), (PID_HEADER, pid)]
        await send(message)

    return sending


class VideoForwarder:
    """ASGI wrapper of a web worker: forwards the video paths, serves everything else itself."""

    def __init__(self, app: ASGIApp, upstream: str, *, add_pid: bool = False) -> None:
        self.app = app
        self.upstream = upstream.rstrip("/")
        self.add_pid = add_pid
        self._client: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        """One connection pool per worker (created inside its event loop)."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.upstream, trust_env=False, follow_redirects=False,
                timeout=httpx.Timeout(30.0, read=None),
                limits=httpx.Limits(max_connections=2000, max_keepalive_connections=64))
        return self._client

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.app(scope, self._closing_on_shutdown(receive), send)
            return
        if scope["type"] != "http" or not is_forwarded(scope["path"]):
            await self.app(scope, receive, _with_pid(send, self.add_pid and scope["type"] == "http"))
            return
        await self.forward(scope, receive, _with_pid(send, self.add_pid))

    def _closing_on_shutdown(self, receive: Receive) -> Receive:
        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown" and self._client is not None:
                await self._client.aclose()
                self._client = None
            return message

        return receiving

    async def forward(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the request to the video process; stream its answer back unchanged."""
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body.extend(message.get("body", b""))
            if len(body) > MAX_FORWARDED_BODY:
                await _plain(send, 413, "The request body is too large.")
                return
            if not message.get("more_body", False):
                break
        headers = [(name.decode("latin-1"), value.decode("latin-1"))
                   for name, value in scope["headers"] if name.lower() not in HOP_BY_HOP]
        host = next((value for name, value in scope["headers"] if name.lower() == b"host"), b"")
        if host:
            headers.append(("host", host.decode("latin-1")))
        client = scope.get("client")
        if client:
            headers.append(("x-forwarded-for", str(client[0])))
        headers.append(("x-forwarded-proto", scope.get("scheme", "http")))
        target = scope.get("raw_path") or scope["path"].encode()
        if scope.get("query_string"):
            target = target + b"?" + scope["query_string"]
        request = self.client().build_request(scope["method"], target.decode("latin-1"),
                                              headers=headers, content=bytes(body))
        try:
            upstream = await self.client().send(request, stream=True)
        except httpx.HTTPError as error:
            logger.warning("video process unreachable at %s: %s", self.upstream, error)
            await _plain(send, 502, "The video consultation service is not reachable.")
            return
        try:
            await self._relay(upstream, receive, send)
        finally:
            await upstream.aclose()

    @staticmethod
    async def _relay(upstream: httpx.Response, receive: Receive, send: Send) -> None:
        answer_headers = []
        for name, value in upstream.headers.raw:
            lower = name.lower()
            if lower in (b"connection", b"keep-alive", b"transfer-encoding"):
                continue
            answer_headers.append((VIDEO_PID_HEADER if lower == PID_HEADER else lower, value))
        await send({"type": "http.response.start", "status": upstream.status_code,
                    "headers": answer_headers})

        async def pump() -> None:
            async for chunk in upstream.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        async def disconnected() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        pumping = asyncio.ensure_future(pump())
        watching = asyncio.ensure_future(disconnected())
        try:
            await asyncio.wait({pumping, watching}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pumping, watching):
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        if pumping.done() and not pumping.cancelled() and pumping.exception() is not None:
            logger.warning("forwarding from the video process failed: %s", pumping.exception())


async def _plain(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"status_code": status, "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


class VideoProcess:
    """ASGI wrapper of the video process: exits when ``creneau serve`` (its parent) is gone."""

    def __init__(self, app: ASGIApp, *, add_pid: bool = False) -> None:
        self.app = app
        self.add_pid = add_pid
        self.parent = os.getppid()
        self._watch: asyncio.Task[None] | None = None

    async def _watch_parent(self) -> None:
        while True:
            await asyncio.sleep(PARENT_CHECK_SECONDS)
            if os.getppid() != self.parent:
                logger.warning("creneau serve is gone: the video process stops")
                os.kill(os.getpid(), signal.SIGTERM)
                return

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" and self._watch is None and self.parent > 1:
            self._watch = asyncio.get_running_loop().create_task(self._watch_parent())
        await self.app(scope, receive, _with_pid(send, self.add_pid and scope["type"] == "http"))


def wrap(app: ASGIApp, settings: Settings) -> ASGIApp:
    """The app as served for ``settings.role``."""
    if settings.role == "web":
        if not settings.video_url:
            raise ConfigError("CRENEAU_ROLE=web needs CRENEAU_VIDEO_URL (the video process).")
        return VideoForwarder(app, settings.video_url, add_pid=settings.debug)
    if settings.role == "video":
        return VideoProcess(app, add_pid=settings.debug)
    return app


def create_web_app() -> ASGIApp:
    """ASGI factory of the processes of ``creneau serve --workers N`` (both roles)."""
    from web.app import create_app

    settings = get_settings()
    if settings.role != "all" and settings.channels_backend != "redis":
        raise ConfigError("Several workers need CRENEAU_CHANNELS_BACKEND=redis (and CRENEAU_REDIS_URL) "
                          "so that every worker sees the consultations' events.")
    return wrap(create_app(settings), settings)
