"""What a guest patient types, checked field by field (error codes, translated by the web layer)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from planner.booking.errors import InvalidDetails

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 .()\-]{6,40}$")
NAME_MAX = 100
REASON_MAX = 500


@dataclass(frozen=True)
class PatientDetails:
    """A guest's identity and contacts (an e-mail address or a phone number, or both)."""

    given_name: str
    family_name: str
    birth_date: dt.date
    email: str | None
    phone: str | None


def _text(raw: Mapping[str, object], name: str) -> str:
    value = raw.get(name)
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())


def _birth_date(raw: Mapping[str, object], today: dt.date, errors: dict[str, str]) -> dt.date | None:
    value = raw.get("birth_date")
    if isinstance(value, dt.date):
        day = value
    else:
        text = _text(raw, "birth_date")
        if not text:
            errors["birth_date"] = "required"
            return None
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            errors["birth_date"] = "invalid_date"
            return None
    if day > today:
        errors["birth_date"] = "future_date"
    elif day.year < 1900:
        errors["birth_date"] = "invalid_date"
    return day


def parse_patient(raw: Mapping[str, object], today: dt.date) -> PatientDetails:
    """The patient's details, or :class:`InvalidDetails` listing every field to correct."""
    errors: dict[str, str] = {}
    names = {}
    for field in ("given_name", "family_name"):
        names[field] = _text(raw, field)
        if not names[field]:
            errors[field] = "required"
        elif len(names[field]) > NAME_MAX:
            errors[field] = "too_long"
    birth_date = _birth_date(raw, today, errors)
    email = _text(raw, "email") or None
    phone = _text(raw, "phone") or None
    if email and (len(email) > 200 or not _EMAIL.match(email)):
        errors["email"] = "invalid_email"
    if phone and (not _PHONE.match(phone) or sum(c.isdigit() for c in phone) < 6):
        errors["phone"] = "invalid_phone"
    if not email and not phone:
        errors["email"] = "email_or_phone"
    if errors:
        raise InvalidDetails(errors)
    assert birth_date is not None
    return PatientDetails(given_name=names["given_name"], family_name=names["family_name"],
                          birth_date=birth_date, email=email, phone=phone)


def check_consent(consent: object, errors: dict[str, str] | None = None) -> None:
    """The privacy notice must be accepted (a real ``true``, or a ticked box)."""
    if consent is True or consent in ("on", "true", "1", "yes"):
        return
    raise InvalidDetails({**(errors or {}), "consent": "required"})


def parse_booking_form(raw: Mapping[str, object], today: dt.date) -> tuple[PatientDetails, str]:
    """Identity, consent and the optional reason, with every field error at once."""
    errors: dict[str, str] = {}
    details = None
    try:
        details = parse_patient(raw, today)
    except InvalidDetails as invalid:
        errors.update(invalid.errors)
    reason = _text(raw, "reason")
    if len(reason) > REASON_MAX:
        errors["reason"] = "too_long"
    try:
        check_consent(raw.get("consent"))
    except InvalidDetails as invalid:
        errors.update(invalid.errors)
    if errors:
        raise InvalidDetails(errors)
    assert details is not None
    return details, reason
