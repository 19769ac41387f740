"""Staff sessions on the web side: the session middleware, CSRF and Origin checks, role guards.

- :func:`staff_session_middleware` finds the staff session of the request's cookie (database-backed,
  see :mod:`planner.auth.sessions`), gives every request an id (``X-Request-Id``), refuses a
  state-changing request whose ``Origin`` (or ``Referer``) is another site, and marks staff pages
  ``Cache-Control: no-store``.
- :func:`csrf_guard` (app-wide) checks, on every state-changing request made with a staff session,
  that the form field ``_csrf`` or the ``X-CSRF-Token`` header holds the session's token.
- :func:`requires` builds the guard of a staff route: signed in, second factor done, right role.
  Refusals are written to the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import anyio
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlmodel import Session

from planner import audit
from planner.auth.sessions import ActiveSession, Timeouts, load_session
from planner.models import Role, UserAccount
from planner.settings import Settings
from web.i18n import N_

SESSION_COOKIE = "creneau_staff"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
STAFF_PREFIX = "/staff"


@dataclass(frozen=True)
class StaffIdentity:
    """Who is signed in on this request."""

    session: ActiveSession

    @property
    def user(self) -> UserAccount:
        """The account."""
        return self.session.user

    @property
    def role(self) -> Role:
        """The account's role."""
        return Role(self.session.user.role)

    @property
    def staff_id(self) -> int | None:
        """The staff member the account belongs to (``None`` for the administrator)."""
        return self.session.user.staff_id

    @property
    def csrf_token(self) -> str:
        """The token forms send back."""
        return self.session.csrf_token


current_identity: ContextVar[StaffIdentity | None] = ContextVar("current_identity", default=None)


def timeouts_of(settings: Settings) -> Timeouts:
    """The session timeouts configured."""
    return Timeouts(idle=dt.timedelta(minutes=settings.session_idle_minutes),
                    absolute=dt.timedelta(hours=settings.session_absolute_hours))


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            try:
                jar = SimpleCookie(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 - a malformed Cookie header is ignored
                continue
            if name in jar:
                return jar[name].value
    return None


def client_ip(scope: Scope) -> str:
    """The client's address (uvicorn resolves trusted proxy headers before us)."""
    client = scope.get("client")
    return client[0] if client else ""


def is_https(scope: Scope) -> bool:
    """Whether the request arrived over https."""
    return scope.get("scheme") == "https"


def cookie_is_secure(scope: Scope, settings: Settings) -> bool:
    """The ``Secure`` flag of the session cookie for this request (see ``CRENEAU_COOKIE_SECURE``)."""
    if settings.cookie_secure == "always":
        return True
    if settings.cookie_secure == "never":
        return False
    if is_https(scope):
        return True
    host = _header(scope, b"host").rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return ""


def same_origin(scope: Scope) -> bool:
    """For a state-changing request: ``Origin`` (or else ``Referer``), when sent, is this site."""
    origin = _header(scope, b"origin") or _header(scope, b"referer")
    if not origin:
        return True
    if origin == "null":
        return False
    parts = urlsplit(origin)
    scheme = scope.get("scheme", "http")
    return parts.scheme == scheme and parts.netloc.lower() == _header(scope, b"host").lower()


def host_allowed(scope: Scope, allowed: list[str]) -> bool:
    """Whether the ``Host`` header (port ignored) is one of ``allowed`` (``*.domain`` allowed)."""
    if "*" in allowed:
        return True
    host = _header(scope, b"host").strip().lower()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    for pattern in allowed:
        pattern = pattern.lower().strip("[]")
        if host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


def identity_of(connection: ASGIConnection) -> StaffIdentity | None:
    """The signed-in staff of the request, if any (second factor possibly still pending)."""
    state = connection.scope.get("state", {})
    return state.get("staff")


def request_id_of(connection: ASGIConnection) -> str:
    """The request's id (also sent back as ``X-Request-Id``)."""
    return connection.scope.get("state", {}).get("request_id", "")


def _load(scope: Scope, token: str) -> ActiveSession | None:
    app = scope["app"]
    with Session(app.state.engine, expire_on_commit=False) as db:
        return load_session(db, token, timeouts_of(app.state.settings))


def staff_session_middleware(app: ASGIApp) -> ASGIApp:
    """Attach the staff session, a request id, the Origin check and ``no-store`` on staff pages."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        if not host_allowed(scope, scope["app"].state.settings.allowed_host_list):
            await _plain_response(400, "Unknown host.")(scope, receive, send_early(send, request_id))
            return
        token = _cookie(scope, SESSION_COOKIE)
        if token:
            active = await anyio.to_thread.run_sync(_load, scope, token)
            if active is not None:
                state["staff"] = StaffIdentity(active)
                state["staff_token"] = token
        identity_token = current_identity.set(state.get("staff"))
        staff_page = scope.get("path", "").startswith(STAFF_PREFIX)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                if staff_page and not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        try:
            if scope.get("method") in UNSAFE_METHODS and not same_origin(scope):
                await _refuse_cross_origin(scope, receive, send_with_headers)
                return
            await app(scope, receive, send_with_headers)
        finally:
            current_identity.reset(identity_token)

    return middleware


async def _refuse_cross_origin(scope: Scope, receive: Receive, send: Send) -> None:
    identity: StaffIdentity | None = scope["state"].get("staff")
    await anyio.to_thread.run_sync(lambda: audit.record(
        scope["app"].state.engine, actor=identity.user.email if identity else "anonymous",
        role=identity.role.value if identity else "", action="cross_origin_request",
        object_type="route", object_id=scope.get("path", "")[:60], outcome="refused",
        request_id=scope["state"]["request_id"]))
    await _plain_response(403, "Cross-site request refused.")(scope, receive, send)


def _plain_response(status: int, detail: str):  # noqa: ANN202 - litestar ASGIResponse
    import json

    from litestar.response.base import ASGIResponse

    body = json.dumps({"status_code": status, "detail": detail}).encode()
    return ASGIResponse(body=body, status_code=status, media_type="application/json")


def send_early(send: Send, request_id: str) -> Send:
    """``send`` that adds the request id (for answers given before the app runs)."""
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
        await send(message)
    return wrapped


async def csrf_guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    """App-wide guard: a state-changing request made with a staff session carries its token."""
    if connection.scope.get("method") not in UNSAFE_METHODS:
        return
    if _handler.opt.get("csrf_exempt"):  # authenticated by a bearer token, not by the cookie
        return
    identity = identity_of(connection)
    if identity is None:
        return
    sent = connection.headers.get(CSRF_HEADER, "")
    if not sent and isinstance(connection, Request):
        content_type = connection.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            sent = (await connection.form()).get(CSRF_FIELD, "") or ""
    if not (sent and hmac.compare_digest(str(sent), identity.csrf_token)):
        await record_refusal(connection, "csrf_check", "route", connection.scope.get("path", ""))
        raise PermissionDeniedException("The form expired or came from another site. "
                                        "Reload the page and try again.")


async def record_refusal(connection: ASGIConnection, action: str, object_type: str = "",
                         object_id: object = "") -> None:
    """Write a ``refused`` audit row for this request."""
    await audit_async(connection, action, object_type, object_id, outcome="refused")


async def audit_async(connection: ASGIConnection, action: str, object_type: str = "",
                      object_id: object = "", outcome: str = "ok") -> None:
    """Write an audit row for this request, off the event loop."""
    identity = identity_of(connection)
    engine = connection.app.state.engine
    await anyio.to_thread.run_sync(lambda: audit.record(
        engine, actor=identity.user.email if identity else "anonymous",
        role=identity.role.value if identity else "", action=action, object_type=object_type,
        object_id=str(object_id), outcome=outcome, request_id=request_id_of(connection)))


def audit_sync(request: Request, action: str, object_type: str = "", object_id: object = "",
               outcome: str = "ok") -> None:
    """Write an audit row from a synchronous handler (already in a worker thread)."""
    identity = identity_of(request)
    audit.record(request.app.state.engine, actor=identity.user.email if identity else "anonymous",
                 role=identity.role.value if identity else "", action=action,
                 object_type=object_type, object_id=str(object_id), outcome=outcome,
                 request_id=request_id_of(request))


class SignInRequired(NotAuthorizedException):
    """No (complete) staff session: browsers are sent to the sign-in page."""


def requires(*roles: Role | Iterable[Role]):  # noqa: ANN201 - a Litestar guard
    """A guard: signed in with the second factor done, and one of ``roles`` (any role if none)."""
    allowed: set[Role] = set()
    for item in roles:
        allowed |= {item} if isinstance(item, Role) else set(item)

    async def guard(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
        identity = identity_of(connection)
        if identity is None or not identity.session.second_factor_ok:
            await record_refusal(connection, "access", "route", connection.scope.get("path", ""))
            raise SignInRequired("Sign in to continue.")
        if allowed and identity.role not in allowed:
            await record_refusal(connection, "access", "route", connection.scope.get("path", ""))
            raise PermissionDeniedException("Your role does not give access to this page.")

    return guard


def refuse(request: Request, object_type: str, object_id: object, action: str = "access") -> HTTPException:
    """Record a refused attempt on one object (another user's) and return the 403 to raise."""
    audit_sync(request, action, object_type, object_id, outcome="refused")
    return PermissionDeniedException("This is not yours to see or change.")


# --- templates: who is signed in, and the CSRF field ------------------------------------------


def _identity_global() -> StaffIdentity | None:
    return current_identity.get()


def _csrf_token_global() -> str:
    identity = current_identity.get()
    return identity.csrf_token if identity else ""


def install_template_globals(environment) -> None:  # noqa: ANN001 - jinja2.Environment
    """``staff_identity()`` and ``csrf_token()`` for every template, and the staff helpers."""
    from web import staff_format
    from web.i18n import gettext_

    staff_format.install(environment)

    environment.globals.update(staff_identity=_identity_global, staff_csrf=_csrf_token_global,
                               role_label=lambda role: gettext_(ROLE_LABELS[Role(role)]))


ROLE_LABELS = {
    Role.ADMIN: N_("Administrator"), Role.MANAGER: N_("Manager"), Role.CLINICIAN: N_("Clinician"),
    Role.NURSE: N_("Nurse"), Role.SECRETARY: N_("Secretary"), Role.PHARMACIST: N_("Pharmacist"),
}


def see_other(url: str):  # noqa: ANN201 - litestar Redirect
    """A 303 redirect (after a form, the browser asks for the next page with GET)."""
    from litestar.response import Redirect

    return Redirect(url, status_code=303)


def signin_required_handler(request: Request, exc: SignInRequired):  # noqa: ANN201 - Response
    """Browsers asking for a staff page are sent to the sign-in form; programs get 401."""
    from urllib.parse import quote

    from litestar.response import Redirect

    from web.errors import http_error_handler

    if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
        identity = identity_of(request)
        target = "/staff/signin/code" if identity else "/staff/signin"
        return Redirect(f"{target}?next={quote(request.url.path)}")
    return http_error_handler(request, exc)
