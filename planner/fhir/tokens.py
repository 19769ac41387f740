"""Bearer API tokens for system clients: create (shown once), list, revoke, check, scopes.

A token is ``crn_`` followed by 43 random URL-safe characters; only its SHA-256 is stored, so a
leaked database does not leak usable tokens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from planner.fhir.errors import FhirError
from planner.models import ApiToken
from planner.models.types import utcnow

READ = "fhir/read"
APPOINTMENT_READ = "fhir/appointment.read"
APPOINTMENT_WRITE = "fhir/appointment.write"
PATIENT_READ = "fhir/patient.read"

#: Every scope a token may carry, with what it allows.
SCOPES: dict[str, str] = {
    READ: "the directory (Practitioner, PractitionerRole, Location, HealthcareService), "
          "Schedule and Slot",
    APPOINTMENT_READ: "read and search appointments",
    APPOINTMENT_WRITE: "book appointments (POST Appointment)",
    PATIENT_READ: "read patients' identity (Patient), and book for an already known Patient",
}

TOKEN_PREFIX = "crn_"
_LAST_USED_EVERY = dt.timedelta(minutes=1)


class UnknownScopeError(ValueError):
    """A scope that is not in :data:`SCOPES`."""


@dataclass(frozen=True)
class Access:
    """Who is calling the API and what they may do."""

    token_id: int
    name: str
    scopes: frozenset[str]

    @property
    def actor(self) -> str:
        """How the audit trail names this client."""
        return f"api-token:{self.token_id}:{self.name}"

    def allows(self, scope: str) -> bool:
        """Whether this client holds ``scope``."""
        return scope in self.scopes


def hash_token(token: str) -> str:
    """The SHA-256 (hex) stored for ``token``."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes, sorted and deduplicated; raise :class:`UnknownScopeError` for an unknown one."""
    chosen = sorted({scope.strip() for scope in scopes if scope.strip()})
    unknown = [scope for scope in chosen if scope not in SCOPES]
    if unknown:
        raise UnknownScopeError(f"unknown scope {unknown[0]!r}; known scopes: {', '.join(SCOPES)}")
    if not chosen:
        raise UnknownScopeError(f"give at least one scope among: {', '.join(SCOPES)}")
    return chosen


def create_token(session: Session, name: str, scopes: Iterable[str]) -> tuple[ApiToken, str]:
    """Create a token; return the row and the token itself (shown once, never stored)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("a token needs a name of 1 to 100 characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=hash_token(token), scopes=" ".join(check_scopes(scopes)))
    session.add(row)
    session.flush()
    return row, token


def list_tokens(session: Session) -> list[ApiToken]:
    """Every token, revoked ones included, oldest first."""
    return list(session.exec(select(ApiToken).order_by(col(ApiToken.id))))


def revoke_token(session: Session, token_id: int) -> ApiToken | None:
    """Revoke a token (idempotent); ``None`` when there is no such token."""
    row = session.get(ApiToken, token_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.flush()
    return row


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, or ``None``."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate(session: Session, authorization: str | None) -> Access:
    """The client behind an ``Authorization`` header; raise a 401 :class:`FhirError` otherwise.

    ``last_used_at`` is refreshed at most once a minute; the caller commits.
    """
    token = bearer_token(authorization)
    challenge = {"WWW-Authenticate": 'Bearer realm="fhir"'}
    if token is None:
        raise FhirError(401, "login", "a bearer API token is required", headers=challenge)
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        raise FhirError(401, "login", "the API token is unknown or revoked", headers={
            "WWW-Authenticate": 'Bearer realm="fhir", error="invalid_token"'})
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= _LAST_USED_EVERY:
        row.last_used_at = now
        session.add(row)
    assert row.id is not None
    return Access(token_id=row.id, name=row.name, scopes=row.scope_set)


def require(access: Access, scope: str) -> None:
    """Raise a 403 :class:`FhirError` unless ``access`` holds ``scope``."""
    if not access.allows(scope):
        raise FhirError(403, "forbidden", f"this API token lacks the scope {scope}", headers={
            "WWW-Authenticate": f'Bearer realm="fhir", error="insufficient_scope", scope="{scope}"'})
