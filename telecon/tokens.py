"""Short-lived signed join tokens (HMAC-SHA256, URL-safe, standard library only).

A token is ``<payload>.<signature>``, both unpadded URL-safe base64; the payload is
compact JSON ``{"v":1,"r":room,"ro":role,"p":person,"exp":unix seconds}``. The secret key
is given by the caller (the web layer's settings).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from enum import StrEnum

from telecon.errors import TokenError, TokenErrorReason

_VERSION = 1
MAX_TOKEN_CHARS = 1024


class Role(StrEnum):
    """Who joins a consultation. A pharmacist joins on the patient's side."""

    PATIENT = "patient"
    CLINICIAN = "clinician"
    PHARMACIST = "pharmacist"

    @property
    def patient_side(self) -> bool:
        """Whether this role waits in the waiting room (patient or pharmacist)."""
        return self is not Role.CLINICIAN


@dataclass(frozen=True)
class JoinClaims:
    """What a valid token says.

    Attributes:
        room_id: The appointment (room) the token opens.
        role: The participant's role.
        person_id: The participant (patient, clinician or pharmacist id).
        expires_at: Unix time after which the token is refused.
    """

    room_id: str
    role: Role
    person_id: str
    expires_at: int


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, payload: str) -> str:
    return _b64encode(hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest())


def issue_token(
    secret: bytes,
    room_id: str,
    role: Role | str,
    person_id: str,
    ttl_seconds: int = 3600,
    now: float | None = None,
) -> str:
    """Return a signed token for ``person_id`` acting as ``role`` in ``room_id``.

    Args:
        secret: HMAC key (at least 16 bytes).
        room_id: Appointment id.
        role: ``patient``, ``clinician`` or ``pharmacist``.
        person_id: Id of the participant.
        ttl_seconds: Lifetime of the token.
        now: Current Unix time (tests).
    """
    if len(secret) < 16:
        raise ValueError("the token secret must be at least 16 bytes")
    issued = time.time() if now is None else now
    body = {
        "v": _VERSION,
        "r": str(room_id),
        "ro": Role(role).value,
        "p": str(person_id),
        "exp": int(issued + ttl_seconds),
    }
    payload = _b64encode(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_sign(secret, payload)}"


def verify_token(secret: bytes, token: str | None, room_id: str, now: float | None = None) -> JoinClaims:
    """Check ``token`` and return its claims.

    Raises:
        TokenError: With reason ``missing``, ``malformed``, ``bad_signature``, ``expired``
            or ``wrong_room``.
    """
    if not token:
        raise TokenError(TokenErrorReason.MISSING)
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise TokenError(TokenErrorReason.MALFORMED, "shape")
    payload, signature = token.split(".")
    try:
        expected = _sign(secret, payload)
    except UnicodeEncodeError as exc:
        raise TokenError(TokenErrorReason.MALFORMED, "characters") from exc
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        raise TokenError(TokenErrorReason.BAD_SIGNATURE)
    try:
        body = json.loads(_b64decode(payload))
        claims = JoinClaims(
            room_id=str(body["r"]),
            role=Role(body["ro"]),
            person_id=str(body["p"]),
            expires_at=int(body["exp"]),
        )
        if body.get("v") != _VERSION:
            raise ValueError("version")
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise TokenError(TokenErrorReason.MALFORMED, "payload") from exc
    current = time.time() if now is None else now
    if current >= claims.expires_at:
        raise TokenError(TokenErrorReason.EXPIRED)
    if claims.room_id != str(room_id):
        raise TokenError(TokenErrorReason.WRONG_ROOM)
    return claims
