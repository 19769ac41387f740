"""Mappers from Créneau's tables to FHIR R4 resources (plain dicts, JSON-ready).

Ids: ``Practitioner``, ``PractitionerRole`` and ``Schedule`` use the staff member's id (one of each
per clinician); ``Location`` is ``site-<id>`` or ``room-<id>``; ``HealthcareService`` is
``<site id>-<profession>`` (one per site and profession that has bookable motifs); ``Slot``,
``Appointment`` and ``Patient`` use their row id.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from planner.models import (
    Appointment,
    AppointmentStatus,
    Motif,
    Patient,
    Profession,
    Room,
    Site,
    Slot,
    StaffMember,
)

Json = dict[str, Any]

PROFESSION_SYSTEM = "urn:creneau:fhir:profession"
MOTIF_SYSTEM = "urn:creneau:fhir:motif"
STAFF_CODE_SYSTEM = "urn:creneau:fhir:staff-code"
LOCATION_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/location-physical-type"
TIMEZONE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/timezone"

#: Professions whose members are exposed as Practitioners.
CLINICAL_PROFESSIONS = (Profession.GENERAL_PRACTITIONER, Profession.NURSE, Profession.MIDWIFE,
                        Profession.PHYSIOTHERAPIST, Profession.PHARMACIST)

PROFESSION_NAMES = {
    Profession.GENERAL_PRACTITIONER: "Médecine générale",
    Profession.NURSE: "Soins infirmiers",
    Profession.MIDWIFE: "Maïeutique (sage-femme)",
    Profession.PHYSIOTHERAPIST: "Masso-kinésithérapie",
    Profession.PHARMACIST: "Pharmacie",
}

APPOINTMENT_STATUS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.ATTENDED: "fulfilled",
    AppointmentStatus.NO_SHOW: "noshow",
}


def instant(value: dt.datetime) -> str:
    """A FHIR instant in UTC (``2026-11-24T08:30:00Z``)."""
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def profession_concept(profession: Profession | str) -> Json:
    """The CodeableConcept of a profession."""
    profession = Profession(profession)
    display = PROFESSION_NAMES.get(profession, profession.value)
    return {"coding": [{"system": PROFESSION_SYSTEM, "code": profession.value, "display": display}],
            "text": display}


def motif_concept(motif: Motif) -> Json:
    """The CodeableConcept of an appointment type (motif)."""
    return {"coding": [{"system": MOTIF_SYSTEM, "code": motif.code, "display": motif.name}],
            "text": motif.name}


def service_id(site_id: int, profession: Profession | str) -> str:
    """The HealthcareService id of a site's profession (FHIR ids allow no underscore)."""
    return f"{site_id}-{Profession(profession).value.replace('_', '-')}"


def practitioner(member: StaffMember) -> Json:
    """A clinician as a Practitioner."""
    name: Json = {"use": "official", "text": member.display_name, "family": member.family_name,
                  "given": [member.given_name]}
    if member.title:
        name["prefix"] = [member.title]
    return {
        "resourceType": "Practitioner", "id": str(member.id), "active": member.active,
        "identifier": [{"system": STAFF_CODE_SYSTEM, "value": member.code}],
        "name": [name],
        "qualification": [{"code": profession_concept(member.profession)}],
    }


def practitioner_role(member: StaffMember, services: list[str]) -> Json:
    """A clinician's role at their site: profession, location and the services they provide."""
    role: Json = {
        "resourceType": "PractitionerRole", "id": str(member.id), "active": member.active,
        "practitioner": {"reference": f"Practitioner/{member.id}", "display": member.display_name},
        "code": [profession_concept(member.profession)],
        "location": [{"reference": f"Location/site-{member.site_id}"}],
    }
    if services:
        role["healthcareService"] = [{"reference": f"HealthcareService/{sid}"} for sid in services]
    return role


def site_location(site: Site) -> Json:
    """A site as a Location (with its IANA time zone)."""
    location: Json = {
        "resourceType": "Location", "id": f"site-{site.id}", "status": "active", "name": site.name,
        "mode": "instance",
        "physicalType": {"coding": [{"system": LOCATION_TYPE_SYSTEM, "code": "si", "display": "Site"}]},
        "extension": [{"url": TIMEZONE_EXTENSION, "valueCode": site.timezone}],
    }
    telecom = [{"system": system, "value": value}
               for system, value in (("phone", site.phone), ("email", site.email)) if value]
    if telecom:
        location["telecom"] = telecom
    if site.address:
        location["address"] = {"text": site.address}
    return location


def room_location(room: Room) -> Json:
    """A consultation room as a Location, part of its site."""
    return {
        "resourceType": "Location", "id": f"room-{room.id}", "status": "active", "name": room.name,
        "mode": "instance",
        "physicalType": {"coding": [{"system": LOCATION_TYPE_SYSTEM, "code": "ro", "display": "Room"}]},
        "partOf": {"reference": f"Location/site-{room.site_id}"},
    }


def healthcare_service(site: Site, profession: Profession, motifs: list[Motif]) -> Json:
    """One profession at one site; its ``type`` lists the motifs patients can book."""
    name = PROFESSION_NAMES.get(profession, profession.value)
    service: Json = {
        "resourceType": "HealthcareService", "id": service_id(site.id or 0, profession),
        "active": True, "name": f"{name} — {site.name}",
        "providedBy": {"display": site.name},
        "specialty": [profession_concept(profession)],
        "type": [motif_concept(motif) for motif in motifs],
        "location": [{"reference": f"Location/site-{site.id}"}],
        "appointmentRequired": True,
    }
    if any(motif.mode == "video" for motif in motifs):
        service["characteristic"] = [{"text": "Téléconsultation possible"}]
    return service


def schedule(member: StaffMember, motifs: list[Motif],
             horizon: tuple[dt.datetime, dt.datetime] | None) -> Json:
    """A clinician's bookable time: the Slots of their consultation sessions."""
    resource: Json = {
        "resourceType": "Schedule", "id": str(member.id), "active": member.active,
        "specialty": [profession_concept(member.profession)],
        "actor": [{"reference": f"Practitioner/{member.id}", "display": member.display_name},
                  {"reference": f"PractitionerRole/{member.id}"}],
    }
    if motifs:
        resource["serviceType"] = [motif_concept(motif) for motif in motifs]
    if horizon is not None:
        resource["planningHorizon"] = {"start": instant(horizon[0]), "end": instant(horizon[1])}
    return resource


def slot(row: Slot, motif: Motif, status: str) -> Json:
    """A bookable time; ``status`` comes from the appointments that hold it."""
    return {
        "resourceType": "Slot", "id": str(row.id),
        "schedule": {"reference": f"Schedule/{row.staff_id}"},
        "status": status,
        "start": instant(row.starts_at), "end": instant(row.ends_at),
        "serviceType": [motif_concept(motif)],
        "specialty": [profession_concept(motif.profession)],
    }


def appointment(row: Appointment, booked_slot: Slot, motif: Motif) -> Json:
    """An appointment. The patient appears as a reference only (identity needs Patient access)."""
    participants: list[Json] = [
        {"actor": {"reference": f"Patient/{row.patient_id}"}, "required": "required",
         "status": "accepted"},
        {"actor": {"reference": f"Practitioner/{booked_slot.staff_id}"}, "required": "required",
         "status": "accepted"},
    ]
    if booked_slot.room_id is not None:
        participants.append({"actor": {"reference": f"Location/room-{booked_slot.room_id}"},
                             "required": "required", "status": "accepted"})
    minutes = int((booked_slot.ends_at - booked_slot.starts_at).total_seconds() // 60)
    return {
        "resourceType": "Appointment", "id": str(row.id),
        "status": APPOINTMENT_STATUS[AppointmentStatus(row.status)],
        "serviceType": [motif_concept(motif)],
        "specialty": [profession_concept(motif.profession)],
        "start": instant(booked_slot.starts_at), "end": instant(booked_slot.ends_at),
        "minutesDuration": minutes,
        "slot": [{"reference": f"Slot/{booked_slot.id}"}],
        "created": instant(row.created_at),
        "participant": participants,
    }


def patient(row: Patient) -> Json:
    """A patient's identity and contacts."""
    resource: Json = {
        "resourceType": "Patient", "id": str(row.id),
        "name": [{"family": row.family_name, "given": [row.given_name]}],
        "birthDate": row.birth_date.isoformat(),
    }
    telecom = [{"system": system, "value": value}
               for system, value in (("email", row.email), ("phone", row.phone)) if value]
    if telecom:
        resource["telecom"] = telecom
    return resource
