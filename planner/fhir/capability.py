"""The CapabilityStatement: exactly the resources, interactions and search parameters served."""

from __future__ import annotations

from planner.fhir.resources import MOTIF_SYSTEM, PROFESSION_SYSTEM, Json
from planner.fhir.tokens import APPOINTMENT_READ, APPOINTMENT_WRITE, PATIENT_READ, READ, SCOPES

FHIR_VERSION = "4.0.1"
#: When this CapabilityStatement last changed (bump it with the API).
CHANGED = "2026-11-22"

_ID = ("_id", "token", "The resource id")

#: Per resource type: the search parameters (name, type, documentation); ``None``: read only.
SEARCH_PARAMETERS: dict[str, tuple[tuple[str, str, str], ...] | None] = {
    "Practitioner": (_ID, ("name", "string", "Start of a given name, family name or full name "
                                             "(case and accents ignored)"),
                     ("identifier", "token", "Staff code"), ("active", "token", "true or false")),
    "PractitionerRole": (_ID, ("practitioner", "reference", "Practitioner/<id>"),
                         ("location", "reference", "Location/site-<id>"),
                         ("service", "reference", "HealthcareService/<id>"),
                         ("role", "token", f"Profession code ({PROFESSION_SYSTEM})"),
                         ("active", "token", "true or false")),
    "Location": (_ID, ("name", "string", "Start of the name"),
                 ("partof", "reference", "The site a room belongs to: Location/site-<id>")),
    "HealthcareService": (_ID, ("name", "string", "Start of the name"),
                          ("service-type", "token", f"Appointment type code ({MOTIF_SYSTEM})"),
                          ("specialty", "token", f"Profession code ({PROFESSION_SYSTEM})"),
                          ("location", "reference", "Location/site-<id>")),
    "Schedule": (_ID, ("actor", "reference", "Practitioner/<id> or PractitionerRole/<id>"),
                 ("service-type", "token", f"Appointment type code ({MOTIF_SYSTEM})"),
                 ("specialty", "token", f"Profession code ({PROFESSION_SYSTEM})"),
                 ("active", "token", "true or false")),
    "Slot": (_ID, ("start", "date", "Start instant, with the prefixes eq, ge, gt, le and lt; a "
                                    "date without a time zone is read in the site's zone"),
             ("service-type", "token", f"Appointment type code ({MOTIF_SYSTEM})"),
             ("specialty", "token", f"Profession code ({PROFESSION_SYSTEM})"),
             ("schedule", "reference", "Schedule/<id>; the chain schedule.actor=Practitioner/<id> "
                                       "selects a clinician's slots"),
             ("schedule.actor", "reference", "Practitioner/<id> or PractitionerRole/<id>"),
             ("status", "token", "free, busy or busy-unavailable (computed from appointments)")),
    "Appointment": (_ID, ("patient", "reference", "Patient/<id>"),
                    ("practitioner", "reference", "Practitioner/<id>"),
                    ("actor", "reference", "Patient/<id>, Practitioner/<id> or Location/room-<id>"),
                    ("date", "date", "Start instant, with the prefixes eq, ge, gt, le and lt"),
                    ("status", "token", "booked, cancelled, fulfilled or noshow"),
                    ("slot", "reference", "Slot/<id>"),
                    ("service-type", "token", f"Appointment type code ({MOTIF_SYSTEM})")),
    "Patient": None,
}

#: The scope each resource type needs.
RESOURCE_SCOPES = {
    "Practitioner": READ, "PractitionerRole": READ, "Location": READ, "HealthcareService": READ,
    "Schedule": READ, "Slot": READ, "Appointment": APPOINTMENT_READ, "Patient": PATIENT_READ,
}

_DOCS = {
    "Practitioner": "Clinicians (physicians, nurses, midwives, physiotherapists, pharmacists).",
    "PractitionerRole": "One per clinician: profession, site and the HealthcareService provided.",
    "Location": "Sites (site-<id>) and their consultation rooms (room-<id>).",
    "HealthcareService": "One per site and profession (<site id>-<profession>); its type lists "
                         "the appointment types (motifs) patients can book.",
    "Schedule": "One per clinician holding consultation sessions (same id as the Practitioner).",
    "Slot": "Bookable times cut from consultation sessions; status computed from appointments.",
    "Appointment": f"Read and search need {APPOINTMENT_READ}; booking (create) needs "
                   f"{APPOINTMENT_WRITE}: one Slot reference and a contained Patient; 409 when the "
                   "slot is taken; an Idempotency-Key header makes retries safe.",
    "Patient": f"Identity and contacts of a patient; read needs {PATIENT_READ}.",
}


def _definition(resource_type: str, name: str) -> str:
    if name == "_id":
        return "http://hl7.org/fhir/SearchParameter/Resource-id"
    return f"http://hl7.org/fhir/SearchParameter/{resource_type}-{name.split('.')[0]}"


def _resource(resource_type: str) -> Json:
    params = SEARCH_PARAMETERS[resource_type]
    interactions = [{"code": "read"}]
    if params is not None:
        interactions.append({"code": "search-type"})
    if resource_type == "Appointment":
        interactions.append({"code": "create"})
    resource: Json = {
        "type": resource_type,
        "documentation": f"{_DOCS[resource_type]} Scope: {RESOURCE_SCOPES[resource_type]}.",
        "interaction": interactions,
        "versioning": "no-version", "readHistory": False, "updateCreate": False,
    }
    if resource_type == "Appointment":
        resource["conditionalCreate"] = False
    if params:
        resource["searchParam"] = [
            {"name": name, "definition": _definition(resource_type, name), "type": kind,
             "documentation": doc} for name, kind, doc in params]
    return resource


def capability_statement(base_url: str, version: str, date: str = CHANGED) -> Json:
    """What this server supports (``date``: when the statement last changed)."""
    scopes = "; ".join(f"{scope}: {what}" for scope, what in SCOPES.items())
    return {
        "resourceType": "CapabilityStatement", "status": "active", "date": date,
        "publisher": "Créneau", "kind": "instance",
        "software": {"name": "Créneau", "version": version},
        "implementation": {"description": "Créneau FHIR API", "url": base_url},
        "fhirVersion": FHIR_VERSION, "format": ["application/fhir+json", "json"],
        "rest": [{
            "mode": "server",
            "documentation": "Searches return a searchset Bundle with total and self/next/previous "
                             "links; _count (at most 200, default 50) and _offset page through "
                             "results. Unknown parameters and modifiers are refused with 400.",
            "security": {
                "cors": False,
                "description": "Every request except GET /metadata carries an API token: "
                               f"'Authorization: Bearer <token>'. Scopes: {scopes}. Tokens are "
                               "created by an administrator (creneau tokens create).",
            },
            "resource": [_resource(resource_type) for resource_type in SEARCH_PARAMETERS],
        }],
    }
