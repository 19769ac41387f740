"""Reading a ``POST /fhir/Appointment`` body: which Slot, and who the patient is.

The patient comes as a contained Patient (``participant.actor.reference = "#p"``) with a name, a
birth date and an e-mail address or a phone number. References to an already known Patient
(``Patient/12``) are refused for now: the booking service creates a patient record per booking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from planner.fhir.errors import FhirError, bad_request
from planner.fhir.search import int_id, parse_reference

_BOOKABLE_STATUSES = {"proposed", "pending", "booked"}


def _list(value: Any) -> list[Any]:
    """``value`` when it is a JSON array, else an empty list (malformed input is never a 500)."""
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class BookingInput:
    """What the client asks for: one slot, one patient's identity (booking form fields)."""

    slot_id: int
    patient: dict[str, str]
    locale: str = "fr"


def _slot_id(body: dict[str, Any]) -> int:
    slots = body.get("slot")
    if not isinstance(slots, list) or len(slots) != 1 or not isinstance(slots[0], dict):
        raise bad_request("an Appointment to book names exactly one slot: "
                          '"slot": [{"reference": "Slot/<id>"}]')
    _kind, ident = parse_reference(str(slots[0].get("reference", "")), ("Slot",))
    slot_id = int_id(ident)
    if slot_id is None:
        raise FhirError(422, "not-found", f"Slot/{ident} is not known")
    return slot_id


def _patient_reference(body: dict[str, Any]) -> str:
    participants = body.get("participant")
    if not isinstance(participants, list):
        raise bad_request("an Appointment needs a participant list with the patient")
    contained = {str(item.get("id")) for item in _list(body.get("contained"))
                 if isinstance(item, dict) and item.get("resourceType") == "Patient"}
    patients = []
    for participant in participants:
        actor = participant.get("actor") if isinstance(participant, dict) else None
        reference = str(actor.get("reference", "")) if isinstance(actor, dict) else ""
        if reference.startswith("#") and reference[1:] in contained or \
                reference.rpartition("/")[0].endswith("Patient"):
            patients.append(reference)
    if len(patients) != 1:
        raise bad_request("an Appointment to book has exactly one Patient participant, e.g. "
                          '{"actor": {"reference": "#patient"}} with a contained Patient')
    return patients[0]


def _telecom(patient: dict[str, Any], system: str) -> str:
    for item in _list(patient.get("telecom")):
        if isinstance(item, dict) and item.get("system") == system and item.get("value"):
            return str(item["value"])
    return ""


def _contained(body: dict[str, Any], local_id: str) -> dict[str, Any]:
    return next(item for item in _list(body.get("contained"))
                if isinstance(item, dict) and str(item.get("id")) == local_id)


def _contained_patient(body: dict[str, Any], local_id: str) -> dict[str, str]:
    patient = _contained(body, local_id)
    names = [name for name in _list(patient.get("name")) if isinstance(name, dict)]
    official = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    given = official.get("given") or []
    return {
        "given_name": " ".join(str(part) for part in given) if isinstance(given, list) else "",
        "family_name": str(official.get("family") or ""),
        "birth_date": str(patient.get("birthDate") or ""),
        "email": _telecom(patient, "email"),
        "phone": _telecom(patient, "phone"),
    }


def parse_booking(body: Any) -> BookingInput:
    """The slot and the patient's fields, or a 400/422 :class:`FhirError`."""
    if not isinstance(body, dict) or body.get("resourceType") != "Appointment":
        raise bad_request("the body must be an Appointment resource (application/fhir+json)")
    status = body.get("status", "booked")
    if status not in _BOOKABLE_STATUSES:
        raise bad_request(f"a new Appointment's status is booked, pending or proposed, not {status!r}")
    slot_id = _slot_id(body)
    reference = _patient_reference(body)
    if not reference.startswith("#"):
        raise FhirError(422, "not-supported", "book with a contained Patient (name, birthDate, "
                        "telecom); references to known patients are not supported yet")
    return BookingInput(slot_id=slot_id, patient=_contained_patient(body, reference[1:]),
                        locale=_locale(body, reference[1:]))


def _locale(body: dict[str, Any], local_id: str) -> str:
    """``en`` when the contained Patient's first language is English, else ``fr`` (e-mails)."""
    for item in _list(_contained(body, local_id).get("communication")):
        for coding in _list(_dict(_dict(item).get("language")).get("coding")):
            if isinstance(coding, dict) and str(coding.get("code", "")).lower().startswith("en"):
                return "en"
        break
    return "fr"
