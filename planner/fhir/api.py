"""The FHIR API as services: each call checks the token and its scope, answers, and is audited.

The web layer only turns HTTP into these calls and :class:`~planner.fhir.errors.FhirError` into
OperationOutcome responses. Every read, search, create and refusal appends one audit row
(:func:`planner.audit.record`): actor ``api-token:<id>:<name>`` (``anonymous`` without a valid
token), role ``api``, action ``fhir.read`` / ``fhir.search`` / ``fhir.create``, the resource type
and id, and an outcome (``ok``, ``unauthenticated``, ``forbidden``, ``not_found``, ``invalid``,
``conflict``, ``refused``; ``replayed`` for an idempotent retry).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from planner import audit
from planner.booking.manage_links import Links
from planner.fhir import directory, slots
from planner.fhir.bundle import searchset
from planner.fhir.capability import RESOURCE_SCOPES, SEARCH_PARAMETERS, capability_statement
from planner.fhir.errors import FhirError, not_found
from planner.fhir.resources import Json
from planner.fhir.search import parse_query, valid_id
from planner.fhir.tokens import APPOINTMENT_WRITE, Access, authenticate, require
from planner.models.types import utcnow

RESOURCE_TYPES = tuple(SEARCH_PARAMETERS)
T = TypeVar("T")


@dataclass(frozen=True)
class Caller:
    """What the web layer knows about one request."""

    authorization: str | None
    request_id: str = ""


@dataclass(frozen=True)
class Created:
    """A booked appointment; ``created`` is ``False`` for an idempotent replay."""

    resource: Json
    created: bool


class FhirApi:
    """The FHIR interactions over one database."""

    def __init__(self, engine: Engine, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    # --- plumbing ---------------------------------------------------------------------------

    def _audited(self, caller: Caller, interaction: str, resource_type: str, ident: str,
                 work: Callable[[Access | None], T], scope: str | None = None,
                 describe: Callable[[T], tuple[str, str]] | None = None) -> T:
        """Authenticate, check the scope, run ``work`` and audit the outcome (even a refusal)."""
        access: Access | None = None
        try:
            if resource_type not in RESOURCE_TYPES:
                raise FhirError(404, "not-supported",
                                f"resource type {resource_type!r} is not served here")
            with Session(self.engine, expire_on_commit=False) as db:
                access = authenticate(db, caller.authorization)
                db.commit()
            require(access, scope or RESOURCE_SCOPES[resource_type])
            result = work(access)
        except FhirError as error:
            self._audit(caller, access, interaction, resource_type, ident, error.audit_outcome)
            raise
        object_id, outcome = describe(result) if describe else (ident, "ok")
        self._audit(caller, access, interaction, resource_type, object_id, outcome)
        return result

    def _audit(self, caller: Caller, access: Access | None, interaction: str, resource_type: str,
               ident: str, outcome: str) -> None:
        audit.record(self.engine, actor=access.actor if access else "anonymous", role="api",
                     action=f"fhir.{interaction}", object_type=resource_type[:60],
                     object_id=ident[:60], outcome=outcome, request_id=caller.request_id)

    # --- interactions ---------------------------------------------------------------------------

    def metadata(self, base_url: str, version: str) -> Json:
        """The CapabilityStatement (public, not audited)."""
        return capability_statement(base_url, version)

    def read(self, caller: Caller, resource_type: str, ident: str) -> Json:
        """``GET [base]/{type}/{id}``."""
        def work(_access: Access | None) -> Json:
            if not valid_id(ident):
                raise not_found(resource_type, ident)
            with Session(self.engine) as db:
                if resource_type in directory.DIRECTORY_TYPES:
                    found = directory.read_directory(directory.load_directory(db), resource_type,
                                                     ident)
                elif resource_type == "Slot":
                    found = slots.read_slot(db, ident, self.clock())
                elif resource_type == "Appointment":
                    found = slots.read_appointment(db, ident)
                else:
                    found = slots.read_patient(db, ident)
            if found is None:
                raise not_found(resource_type, ident)
            return found

        return self._audited(caller, "read", resource_type, ident, work)

    def search(self, caller: Caller, resource_type: str, items: Iterable[tuple[str, str]],
               base_url: str) -> Json:
        """``GET [base]/{type}?params``: a searchset Bundle."""
        def work(_access: Access | None) -> Json:
            params = SEARCH_PARAMETERS[resource_type]
            if params is None:
                raise FhirError(405, "not-supported", f"{resource_type} can be read, not searched")
            query = parse_query(items, [name for name, _kind, _doc in params])
            with Session(self.engine) as db:
                if resource_type in directory.DIRECTORY_TYPES:
                    found = directory.search_directory(directory.load_directory(db), resource_type,
                                                       query)
                    total, page = len(found), found[query.offset:query.offset + query.count]
                elif resource_type == "Slot":
                    total, page = slots.search_slots(db, query, directory.site_zone(db), self.clock())
                else:
                    total, page = slots.search_appointments(db, query, directory.site_zone(db))
            return searchset(base_url, resource_type, query, total, page)

        return self._audited(caller, "search", resource_type, "", work)

    def book(self, caller: Caller, body: Any, idempotency_key: str | None, links: Links) -> Created:
        """``POST [base]/Appointment``: book the Slot named in ``body`` for its contained Patient.

        The booking service (:func:`planner.booking.booking.book`) applies the rules (notice,
        horizon, release, one active appointment per slot by the database) and queues the
        confirmation e-mail; ``links`` builds the patient's manage link for it.
        """
        from planner.booking.booking import book
        from planner.booking.errors import (
            IdempotencyConflict,
            InvalidDetails,
            NotFound,
            SlotUnavailable,
        )
        from planner.booking.identity import parse_patient
        from planner.fhir.booking_input import parse_booking

        def work(_access: Access | None) -> Created:
            request = parse_booking(body)
            now = self.clock()
            try:
                details = parse_patient(request.patient, now.date())
                result = book(self.engine, slot_id=request.slot_id, patient=details,
                              links=links, locale=request.locale,
                              idempotency_key=(idempotency_key or "").strip()[:100] or None,
                              now=now)
            except InvalidDetails as invalid:
                raise FhirError(422, "invalid", "the contained Patient needs correcting: " + "; ".join(
                    f"{field}: {code}" for field, code in invalid.errors.items())) from None
            except NotFound:
                raise FhirError(422, "not-found", f"Slot/{request.slot_id} is not known") from None
            except SlotUnavailable as unavailable:
                raise FhirError(409, "conflict", f"Slot/{request.slot_id} cannot be booked "
                                f"({unavailable})") from None
            except IdempotencyConflict:
                raise FhirError(422, "business-rule", "this Idempotency-Key was already used to "
                                "book another slot") from None
            with Session(self.engine) as db:
                resource = slots.read_appointment(db, str(result.view.id))
            assert resource is not None
            return Created(resource, created=not result.replayed)

        return self._audited(caller, "create", "Appointment", "", work, scope=APPOINTMENT_WRITE,
                             describe=lambda done: (done.resource["id"],
                                                    "ok" if done.created else "replayed"))
