"""Errors telecon raises to the web layer, each with a machine-readable reason.

Suggested HTTP mapping (the web layer decides): :class:`TokenError` → 401 (403 for
``wrong_room``), :class:`NotAllowed` → 403, :class:`RoomClosed` → 403 (410 once ended or
cancelled), :class:`UnknownRoom` → 404, :class:`NotAdmitted` → 409 (the page waits for the
``admitted`` event, then posts a fresh offer), :class:`RoomBusy` → 409,
:class:`BadSdp` → 400.
"""

from __future__ import annotations

from enum import StrEnum


class TeleconError(Exception):
    """Base class; ``reason`` is a short stable code, ``str(error)`` is for logs."""

    reason: str = "error"

    def __init__(self, reason: str | None = None, detail: str = "") -> None:
        if reason is not None:
            self.reason = reason
        self.detail = detail
        super().__init__(f"{self.reason}: {detail}" if detail else self.reason)


class TokenErrorReason(StrEnum):
    """Why a join token was refused."""

    MISSING = "missing"
    MALFORMED = "malformed"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    WRONG_ROOM = "wrong_room"


class TokenError(TeleconError):
    """A join token is missing, malformed, tampered with, expired or for another room."""

    def __init__(self, reason: TokenErrorReason, detail: str = "") -> None:
        super().__init__(reason.value, detail)
        self.code = reason


class UnknownRoom(TeleconError):
    """No room is open for this appointment."""

    reason = "unknown_room"


class RoomClosedReason(StrEnum):
    """Why a room refuses joins."""

    NOT_OPEN_YET = "not_open_yet"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    ENDED = "ended"


class RoomClosed(TeleconError):
    """The room refuses joins now (outside its window, cancelled or ended)."""

    def __init__(self, reason: RoomClosedReason, detail: str = "") -> None:
        super().__init__(reason.value, detail)
        self.code = reason


class NotAllowed(TeleconError):
    """The participant's role may not do this (e.g. a patient admitting)."""

    reason = "not_allowed"


class NotAdmitted(TeleconError):
    """The patient is in the waiting room: no connection until the clinician admits."""

    reason = "not_admitted"


class RoomBusy(TeleconError):
    """Another person already holds this side of the consultation."""

    reason = "room_busy"


class BadSdp(TeleconError):
    """An incoming session description was refused."""

    reason = "bad_sdp"
