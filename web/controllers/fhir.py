"""The FHIR R4 API under ``/fhir``: HTTP in, :class:`planner.fhir.api.FhirApi` calls, FHIR JSON out.

Every answer, errors included, is ``application/fhir+json``; errors are OperationOutcomes.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import anyio
from litestar import Request, Response, Router, get, post, route
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec

from planner.fhir.api import RESOURCE_TYPES, Caller, FhirApi
from planner.fhir.capability import RESOURCE_SCOPES, SEARCH_PARAMETERS
from planner.fhir.errors import FhirError, operation_outcome
from web.controllers.booking_common import links_for
from web.errors import error_responses

FHIR_JSON = "application/fhir+json"
logger = logging.getLogger("creneau.fhir")

_TAGS = {"Practitioner": "FHIR directory", "PractitionerRole": "FHIR directory",
         "Location": "FHIR directory", "HealthcareService": "FHIR directory",
         "Schedule": "FHIR scheduling", "Slot": "FHIR scheduling",
         "Appointment": "FHIR appointments", "Patient": "FHIR appointments"}
_AUTH = " Needs `Authorization: Bearer <API token>` with the scope `{scope}`."
_UNSUPPORTED = ["PUT", "PATCH", "DELETE"]


@dataclass
class OperationOutcomeBody:
    """A FHIR OperationOutcome: every error of the FHIR API."""

    resourceType: str  # noqa: N815 - FHIR's name
    issue: list[dict[str, Any]]


def _errors(*codes: int) -> dict[int, ResponseSpec]:
    return error_responses(*codes, container=OperationOutcomeBody, media_type=FHIR_JSON)


def fhir_response(content: dict[str, Any], status_code: int = 200,
                  headers: dict[str, str] | None = None) -> Response[dict[str, Any]]:
    """A FHIR JSON answer."""
    return Response(content, status_code=status_code, media_type=FHIR_JSON, headers=headers or {})


def fhir_error_handler(request: Request, exc: Exception) -> Response[dict[str, Any]]:
    """Any error under ``/fhir`` as an OperationOutcome (never a bare 500 page)."""
    if isinstance(exc, FhirError):
        return fhir_response(exc.outcome(), exc.status, exc.headers)
    if isinstance(exc, HTTPException):
        code = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found",
                405: "not-supported", 413: "too-long"}.get(exc.status_code, "processing")
        return fhir_response(operation_outcome(code, str(exc.detail)), exc.status_code)
    logger.exception("FHIR request failed: %s %s", request.method, request.url.path)
    return fhir_response(operation_outcome("exception", "internal error; it has been logged"), 500)


def _api(state: State) -> FhirApi:
    clock = state.get("clock")  # tests may set app.state.clock, as for the booking pages
    return FhirApi(state.engine, clock=clock) if clock else FhirApi(state.engine)


def _caller(request: Request) -> Caller:
    request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
    return Caller(authorization=request.headers.get("authorization"), request_id=request_id)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


def _software_version() -> str:
    try:
        return version("creneau")
    except PackageNotFoundError:  # pragma: no cover - running from a plain checkout
        return "0.0.0"


@get("/metadata", sync_to_thread=True, tags=["FHIR"], summary="CapabilityStatement", media_type=FHIR_JSON)
def metadata(request: Request, state: State) -> Response[dict[str, Any]]:
    """What this FHIR server supports: resources, interactions, search parameters, scopes."""
    return fhir_response(_api(state).metadata(_base(request), _software_version()))


def _read_handler(resource_type: str) -> Any:
    scope = RESOURCE_SCOPES[resource_type]

    @get(f"/{resource_type}/{{resource_id:str}}", sync_to_thread=True, tags=[_TAGS[resource_type]],
         name=f"fhir-read-{resource_type}", summary=f"Read a {resource_type}", media_type=FHIR_JSON,
         responses=_errors(400, 401, 403, 404),
         description=f"Read one {resource_type} by id." + _AUTH.format(scope=scope))
    def read(request: Request, state: State, resource_id: str) -> Response[dict[str, Any]]:
        return fhir_response(_api(state).read(_caller(request), resource_type, resource_id))

    return read


def _search_handler(resource_type: str) -> Any:
    params = ", ".join(f"`{name}`" for name, _kind, _doc in SEARCH_PARAMETERS[resource_type] or ())

    @get(f"/{resource_type}", sync_to_thread=True, tags=[_TAGS[resource_type]],
         include_in_schema=SEARCH_PARAMETERS[resource_type] is not None,
         name=f"fhir-search-{resource_type}", summary=f"Search {resource_type}", media_type=FHIR_JSON,
         responses=_errors(400, 401, 403),
         description=f"A searchset Bundle. Parameters: {params}, `_count`, `_offset`."
         + _AUTH.format(scope=RESOURCE_SCOPES[resource_type]))
    def search(request: Request, state: State) -> Response[dict[str, Any]]:
        return fhir_response(_api(state).search(
            _caller(request), resource_type, request.query_params.multi_items(), _base(request)))

    return search


@post("/Appointment", tags=["FHIR appointments"], summary="Book a Slot", media_type=FHIR_JSON,
      responses={200: ResponseSpec(dict[str, Any], description="The booking made earlier with this "
                                   "Idempotency-Key", media_type=FHIR_JSON, generate_examples=False),
                 **_errors(400, 401, 403, 409, 422)},
      description="Body: an Appointment with one `slot` reference and a contained Patient (name, "
      "birthDate, telecom email and/or phone) as participant `#id`. 201 with the Appointment and a "
      "Location header; 409 when the slot is taken or not bookable. An `Idempotency-Key` header "
      "makes a retry return the first booking (200)." + _AUTH.format(scope="fhir/appointment.write"))
async def book(request: Request, state: State) -> Response[dict[str, Any]]:
    """Book a slot for a contained patient."""
    raw = await request.body()
    caller = _caller(request)
    try:
        body: Any = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        body = None
    links = links_for(request)
    created = await anyio.to_thread.run_sync(lambda: _api(state).book(
        caller, body, request.headers.get("idempotency-key"), links))
    location = f"{_base(request)}/Appointment/{created.resource['id']}"
    return fhir_response(created.resource, 201 if created.created else 200, {"Location": location})


@get("/{resource_type:str}", sync_to_thread=True, include_in_schema=False)
def search_other(request: Request, state: State, resource_type: str) -> Response[dict[str, Any]]:
    """Types that are not served (404) or not searchable (405), audited like the others."""
    return fhir_response(_api(state).search(
        _caller(request), resource_type, request.query_params.multi_items(), _base(request)))


@get("/{resource_type:str}/{resource_id:str}", sync_to_thread=True, include_in_schema=False)
def read_other(request: Request, state: State, resource_type: str,
               resource_id: str) -> Response[dict[str, Any]]:
    """Reads of types that are not served (404), audited like the others."""
    return fhir_response(_api(state).read(_caller(request), resource_type, resource_id))


def _not_allowed(path: str, methods: list[str]) -> Any:
    @route(path, http_method=methods, include_in_schema=False, sync_to_thread=False, status_code=405,
           name=f"fhir-not-allowed-{path}")
    def not_allowed(request: Request) -> Response[dict[str, Any]]:
        raise FhirError(405, "not-supported",
                        f"{request.method} is not supported on {request.url.path}")

    return not_allowed


def _handlers() -> list[Any]:
    handlers: list[Any] = [metadata, book]
    for resource_type in RESOURCE_TYPES:
        handlers.append(_read_handler(resource_type))
        handlers.append(_not_allowed(f"/{resource_type}/{{resource_id:str}}", [*_UNSUPPORTED, "POST"]))
        handlers.append(_search_handler(resource_type))  # 405 (audited) when not searchable
        extra = [] if resource_type == "Appointment" else ["POST"]
        handlers.append(_not_allowed(f"/{resource_type}", [*_UNSUPPORTED, *extra]))
    handlers += [search_other, read_other, _not_allowed("/metadata", [*_UNSUPPORTED, "POST"])]
    return handlers


fhir_router = Router(path="/fhir", route_handlers=_handlers(),
                     exception_handlers={Exception: fhir_error_handler})
