"""The request's language (ASGI middleware) and security headers on every response."""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from web.i18n import LANG_COOKIE, SUPPORTED, choose_locale, current_locale

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
     b"connect-src 'self'; media-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'; "
     b"form-action 'self'; object-src 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(self), microphone=(self), display-capture=(self), geolocation=()"),
]


def locale_of(scope: Scope, default_locale: str) -> tuple[str | None, str]:
    """The ``?lang=`` asked for (if any) and the language to use for this request."""
    headers = dict(scope.get("headers", []))
    query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])[0]
    try:
        cookies = SimpleCookie(headers.get(b"cookie", b"").decode("latin-1"))
    except Exception:  # noqa: BLE001 - a malformed Cookie header is ignored
        cookies = SimpleCookie()
    cookie = cookies[LANG_COOKIE].value if LANG_COOKIE in cookies else None
    accept = headers.get(b"accept-language", b"").decode("latin-1")
    return query, choose_locale(query, cookie, accept, default_locale)


def locale_middleware_factory(default_locale: str):  # noqa: ANN201 - litestar middleware factory
    """Middleware that sets :data:`current_locale` and remembers an explicit ``?lang=`` choice."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            query, locale = locale_of(scope, default_locale)
            token = current_locale.set(locale)

            async def send_with_cookie(message: Message) -> None:
                if message["type"] == "http.response.start" and query in SUPPORTED:
                    message.setdefault("headers", [])
                    message["headers"] = [*message["headers"], (
                        b"set-cookie",
                        f"{LANG_COOKIE}={query}; Path=/; Max-Age=31536000; SameSite=Lax".encode(),
                    )]
                await send(message)

            try:
                await app(scope, receive, send_with_cookie)
            finally:
                current_locale.reset(token)

        return wrapped

    return middleware


async def add_security_headers(message: Message, scope: Scope) -> None:
    """``before_send`` hook: security headers on every HTTP response, errors (404, 405…) included."""
    if message["type"] == "http.response.start":
        present = {name.lower() for name, _ in message.get("headers", [])}
        extra = [(name, value) for name, value in SECURITY_HEADERS if name not in present]
        if scope.get("scheme") == "https" and b"strict-transport-security" not in present:
            extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
        message["headers"] = [*message.get("headers", []), *extra]
