"""The directory resources (Practitioner, PractitionerRole, Location, HealthcareService, Schedule).

A centre has tens of them, so they are built from one snapshot of the tables and filtered in
Python; Slot and Appointment, which grow, are searched in SQL (:mod:`planner.fhir.slots`).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from planner.fhir import resources as fhir
from planner.fhir.errors import bad_request
from planner.fhir.resources import Json
from planner.fhir.search import Query, parse_reference, parse_token
from planner.models import ConsultationSession, Motif, Profession, Room, Site, StaffMember

DIRECTORY_TYPES = ("Practitioner", "PractitionerRole", "Location", "HealthcareService", "Schedule")
DEFAULT_ZONE = "Europe/Paris"


@dataclass(frozen=True)
class Directory:
    """One consistent read of the tables behind the directory resources."""

    sites: list[Site]
    rooms: list[Room]
    clinicians: list[StaffMember]
    motifs: list[Motif]
    horizons: dict[int, tuple[dt.datetime, dt.datetime]]

    def services(self) -> dict[tuple[int, Profession], list[Motif]]:
        """Active motifs grouped by (site, profession): one HealthcareService each."""
        grouped: dict[tuple[int, Profession], list[Motif]] = {}
        for motif in self.motifs:
            grouped.setdefault((motif.site_id, Profession(motif.profession)), []).append(motif)
        return grouped

    def resources(self, resource_type: str) -> list[Json]:
        """Every resource of ``resource_type``, in a stable order."""
        services = self.services()
        if resource_type == "Practitioner":
            return [fhir.practitioner(member) for member in self.clinicians]
        if resource_type == "PractitionerRole":
            return [fhir.practitioner_role(member, [
                fhir.service_id(member.site_id, member.profession)
            ] if (member.site_id, member.profession) in services else [])
                for member in self.clinicians]
        if resource_type == "Location":
            return [*map(fhir.site_location, self.sites), *map(fhir.room_location, self.rooms)]
        if resource_type == "HealthcareService":
            sites = {site.id: site for site in self.sites}
            return [fhir.healthcare_service(sites[site_id], profession, motifs)
                    for (site_id, profession), motifs in sorted(services.items())
                    if site_id in sites]
        if resource_type == "Schedule":
            return [fhir.schedule(member, services.get((member.site_id, member.profession), []),
                                  self.horizons.get(member.id or 0))
                    for member in self.clinicians if member.holds_sessions]
        raise ValueError(resource_type)


def load_directory(session: Session) -> Directory:
    """Read the sites, rooms, clinicians, active motifs and each clinician's session span."""
    horizons = {
        staff_id: (start, end) for staff_id, start, end in session.exec(
            select(ConsultationSession.staff_id, func.min(ConsultationSession.starts_at),
                   func.max(ConsultationSession.ends_at)).group_by(ConsultationSession.staff_id))
    }
    return Directory(
        sites=list(session.exec(select(Site).order_by(col(Site.id)))),
        rooms=list(session.exec(select(Room).order_by(col(Room.id)))),
        clinicians=list(session.exec(
            select(StaffMember).where(col(StaffMember.profession).in_(fhir.CLINICAL_PROFESSIONS))
            .order_by(col(StaffMember.id)))),
        motifs=list(session.exec(select(Motif).where(col(Motif.active))
                                 .order_by(col(Motif.site_id), col(Motif.id)))),
        horizons={staff_id: _aware(span) for staff_id, span in horizons.items()},
    )


def _aware(span: tuple[dt.datetime, dt.datetime]) -> tuple[dt.datetime, dt.datetime]:
    # Aggregates bypass the column type: SQLite returns text, both return naive UTC.
    def fix(value: dt.datetime | str) -> dt.datetime:
        moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
    return fix(span[0]), fix(span[1])


def site_zone(session: Session) -> ZoneInfo:
    """The time zone of the first site: dates without a zone in searches are read in it."""
    name = session.exec(select(Site.timezone).order_by(col(Site.id)).limit(1)).first()
    return ZoneInfo(name or DEFAULT_ZONE)


# --- search ------------------------------------------------------------------------------------

Matcher = Callable[[Json, str], bool]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def _string(*getters: Callable[[Json], list[str]]) -> Matcher:
    """FHIR string search: a word of the field starts with the value (case and accents ignored)."""
    def match(resource: Json, value: str) -> bool:
        wanted = _fold(value)
        texts = [text for getter in getters for text in getter(resource)]
        return any(_fold(text).startswith(wanted) or any(
            word.startswith(wanted) for word in _fold(text).split()) for text in texts)
    return match


def _token(field: str, nested: str | None = None) -> Matcher:
    """Token search on a CodeableConcept field (or on ``field[*][nested]``)."""
    def match(resource: Json, value: str) -> bool:
        system, code = parse_token(value)
        concepts = resource.get(field, [])
        concepts = concepts if isinstance(concepts, list) else [concepts]
        if nested:
            concepts = [item[nested] for item in concepts if nested in item]
        return any(coding.get("code") == code and (not system or coding.get("system") == system)
                   for concept in concepts for coding in concept.get("coding", []))
    return match


def _identifier(resource: Json, value: str) -> bool:
    system, code = parse_token(value)
    return any(item["value"] == code and (not system or item["system"] == system)
               for item in resource.get("identifier", []))


def _reference(field: str, types: tuple[str, ...]) -> Matcher:
    """Reference search on ``field`` (one Reference or a list of them)."""
    def match(resource: Json, value: str) -> bool:
        kind, ident = parse_reference(value, types)
        refs = resource.get(field, [])
        refs = refs if isinstance(refs, list) else [refs]
        return any(ref.get("reference") == f"{kind}/{ident}" for ref in refs)
    return match


def _boolean(field: str) -> Matcher:
    def match(resource: Json, value: str) -> bool:
        if value not in ("true", "false"):
            raise bad_request(f"{field} must be true or false")
        return resource.get(field) is (value == "true")
    return match


def _names(resource: Json) -> list[str]:
    return [text for name in resource.get("name", []) if isinstance(name, dict)
            for text in (name.get("text", ""), name.get("family", ""), *name.get("given", []))]


def _name(resource: Json) -> list[str]:
    return [resource.get("name", "")]


_ID: Matcher = lambda resource, value: resource["id"] == value  # noqa: E731

SEARCH_PARAMETERS: dict[str, dict[str, Matcher]] = {
    "Practitioner": {"_id": _ID, "name": _string(_names), "identifier": _identifier,
                     "active": _boolean("active")},
    "PractitionerRole": {"_id": _ID, "practitioner": _reference("practitioner", ("Practitioner",)),
                         "location": _reference("location", ("Location",)),
                         "service": _reference("healthcareService", ("HealthcareService",)),
                         "role": _token("code"), "active": _boolean("active")},
    "Location": {"_id": _ID, "name": _string(_name), "partof": _reference("partOf", ("Location",))},
    "HealthcareService": {"_id": _ID, "name": _string(_name), "service-type": _token("type"),
                          "specialty": _token("specialty"),
                          "location": _reference("location", ("Location",))},
    "Schedule": {"_id": _ID, "actor": _reference("actor", ("Practitioner", "PractitionerRole")),
                 "service-type": _token("serviceType"), "specialty": _token("specialty"),
                 "active": _boolean("active")},
}


def search_directory(directory: Directory, resource_type: str, query: Query) -> list[Json]:
    """The resources matching every parameter (AND) with any of its values (OR)."""
    matchers = SEARCH_PARAMETERS[resource_type]
    return [resource for resource in directory.resources(resource_type)
            if all(any(matchers[name](resource, value) for value in values)
                   for name, occurrences in query.params.items() for values in occurrences)]


def read_directory(directory: Directory, resource_type: str, ident: str) -> Json | None:
    """One resource by id, or ``None``."""
    return next((r for r in directory.resources(resource_type) if r["id"] == ident), None)
