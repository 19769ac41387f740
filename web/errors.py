"""Error responses: a finished-looking page for people, JSON for programs."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DataError

from web.i18n import N_, current_locale
from web.i18n import gettext_ as _
from web.middleware import locale_of
from web.templating import page

logger = logging.getLogger("creneau.web")

_TITLES = {
    400: N_("The request could not be understood"),
    403: N_("You are not allowed to see this page"),
    404: N_("This page does not exist"),
    405: N_("This action is not possible here"),
    409: N_("This changed in the meantime"),
    413: N_("What you sent is too large"),
    422: N_("Some fields need your attention"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong on our side"),
    503: N_("The service is temporarily unavailable"),
}


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith(("/api/", "/fhir", "/schema", "/health")):
        return False
    return "text/html" in request.headers.get("accept", "")


def _out_of_range(exc: Exception) -> bool:
    """A number too large for the database (an id like 99999999999999999999 in a URL or form)."""
    if isinstance(exc, OverflowError):
        return True
    return isinstance(exc, DataError) and "out of range" in str(exc.orig).lower()


def http_error_handler(request: Request, exc: Exception) -> Response:
    """Render any error: HTML for browsers, JSON (``detail`` and ``status_code``) otherwise."""
    if isinstance(exc, HTTPException):
        status = exc.status_code
        detail = exc.detail
        extra = exc.extra
    elif _out_of_range(exc):
        status, detail, extra = 400, "A number in the request is out of range.", None
    else:
        logger.exception("Unhandled error on %s %s", request.method, request.url.path)
        status, detail, extra = HTTP_500_INTERNAL_SERVER_ERROR, "", None
    current_locale.set(locale_of(request.scope, request.app.state.settings.default_locale)[1])
    title = _(_TITLES.get(status, "Error"))
    if _wants_html(request):
        if status >= 500 or not detail or detail == title:
            detail = _("Please try again in a moment. If it keeps happening, call the centre.") \
                if status >= 500 else _("Check the address, or go back to the home page.")
        response = page("error.html", status_code=status, title=title, detail=detail)
        response.status_code = status
        return response
    body: dict[str, object] = {"status_code": status, "detail": detail or title}
    if isinstance(exc, ValidationException) and extra:
        body["errors"] = extra
    elif extra:
        body["extra"] = extra
    headers = getattr(exc, "headers", None) or {}
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)


# --- OpenAPI: the error answers of the JSON API, documented once -------------------------------


@dataclass
class ErrorBody:
    """An error answer of the JSON API (``errors``: one entry per field, on 422)."""

    status_code: int
    detail: str
    errors: Any = None
    extra: Any = None


ERROR_DESCRIPTIONS = {
    400: "The request could not be understood", 401: "A valid token is required",
    403: "Not allowed", 404: "Not found", 405: "Method not allowed", 409: "Conflict",
    410: "Gone", 413: "Request too large", 422: "Some fields are not valid",
    429: "Too many requests",
}


def error_responses(*codes: int, container: Any = ErrorBody,
                    media_type: str = MediaType.JSON) -> dict[int, ResponseSpec]:
    """OpenAPI ``responses=`` for the error statuses an operation may answer."""
    return {code: ResponseSpec(data_container=container, description=ERROR_DESCRIPTIONS.get(code, "Error"),
                               media_type=media_type, generate_examples=False) for code in codes}
