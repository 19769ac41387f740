"""Why a booking action was refused; the web layer maps each to an HTTP status."""

from __future__ import annotations


class BookingError(Exception):
    """Base class; ``code`` is a stable word that programs and translations use."""

    code = "booking_error"


class SlotUnavailable(BookingError):
    """The slot is booked, withdrawn, too soon, too far ahead or not released yet (409)."""

    code = "slot_unavailable"


class NotFound(BookingError):
    """No such slot, appointment or offer (404)."""

    code = "not_found"


class InvalidDetails(BookingError):
    """Field errors in what the patient typed (422); ``errors`` maps field to error code."""

    code = "invalid"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(f"{field}: {code}" for field, code in errors.items()))
        self.errors = errors


class IdempotencyConflict(BookingError):
    """The idempotency key was already used for a different slot (422)."""

    code = "idempotency_key_reused"


class TooLateToChange(BookingError):
    """The cancellation cut-off has passed: the patient must call the centre (409)."""

    code = "too_late"


class NotActive(BookingError):
    """The appointment was already cancelled (409)."""

    code = "not_active"


class OfferUnavailable(BookingError):
    """A waitlist offer expired or was taken by someone else (409)."""

    code = "offer_unavailable"
