"""Signed, unguessable links: manage an appointment, accept a waitlist offer.

A token is the object's id followed by an HMAC-SHA256 (192 bits, URL-safe) of the id under the
server's signing key (``Settings.signing_key()``), so it cannot be guessed or altered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass


def _signature(key: bytes, purpose: str, *parts: int) -> str:
    message = ":".join([purpose, *(str(p) for p in parts)]).encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()[:24]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _read(key: bytes, purpose: str, token: str, count: int) -> tuple[int, ...] | None:
    pieces = token.split(".")
    if len(pieces) != count + 1 or not all(p.isdigit() and len(p) < 18 for p in pieces[:-1]):
        return None
    ids = tuple(int(p) for p in pieces[:-1])
    if not hmac.compare_digest(_signature(key, purpose, *ids), pieces[-1]):
        return None
    return ids


def manage_token(key: bytes, appointment_id: int) -> str:
    """The token of an appointment's manage link."""
    return f"{appointment_id}.{_signature(key, 'manage', appointment_id)}"


def read_manage_token(key: bytes, token: str) -> int | None:
    """The appointment id of a valid manage token, else ``None``."""
    ids = _read(key, "manage", token, 1)
    return ids[0] if ids else None


def offer_token(key: bytes, entry_id: int, slot_id: int) -> str:
    """The token of a waitlist offer (one entry, one slot)."""
    return f"{entry_id}.{slot_id}.{_signature(key, 'offer', entry_id, slot_id)}"


def read_offer_token(key: bytes, token: str) -> tuple[int, int] | None:
    """``(entry_id, slot_id)`` of a valid offer token, else ``None``."""
    ids = _read(key, "offer", token, 2)
    return (ids[0], ids[1]) if ids else None


@dataclass(frozen=True)
class Links:
    """Builds the absolute links put in pages, API answers and e-mails."""

    key: bytes
    base_url: str

    def manage_url(self, appointment_id: int) -> str:
        """Where the patient sees, moves or cancels the appointment."""
        return f"{self.base_url.rstrip('/')}/book/manage/{manage_token(self.key, appointment_id)}"

    def ics_url(self, appointment_id: int) -> str:
        """The appointment as an .ics file ("add to calendar")."""
        return f"{self.manage_url(appointment_id)}/appointment.ics"

    def offer_url(self, entry_id: int, slot_id: int) -> str:
        """Where a waitlisted patient accepts an offered slot."""
        return f"{self.base_url.rstrip('/')}/book/offer/{offer_token(self.key, entry_id, slot_id)}"
