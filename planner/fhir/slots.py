"""Slot and Appointment searches in SQL, and the reads of Slot, Appointment and Patient.

A Slot's FHIR status is computed, never stored: ``busy`` when an active appointment holds it,
``busy-unavailable`` when it is withdrawn or held back (urgent slots before their release),
``free`` otherwise.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, false, func, not_, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from planner.fhir import resources as fhir
from planner.fhir.errors import bad_request
from planner.fhir.resources import MOTIF_SYSTEM, PROFESSION_SYSTEM, Json
from planner.fhir.search import DateBound, Query, int_id, parse_date, parse_reference, parse_token
from planner.models import ACTIVE_STATUSES, Appointment, Motif, Patient, Slot

SLOT_PARAMETERS = ("_id", "start", "service-type", "specialty", "schedule", "schedule.actor", "status")
APPOINTMENT_PARAMETERS = ("_id", "patient", "practitioner", "actor", "date", "status", "slot",
                          "service-type")
SLOT_STATUSES = ("free", "busy", "busy-unavailable", "busy-tentative", "entered-in-error")
_STATUS_FROM_FHIR = {value: key for key, value in fhir.APPOINTMENT_STATUS.items()}


def _held(now: dt.datetime) -> ColumnElement[bool]:
    return and_(col(Slot.held_until).is_not(None), col(Slot.held_until) > now)


def _busy() -> ColumnElement[bool]:
    return exists().where(Appointment.slot_id == Slot.id,
                          col(Appointment.status).in_([s.value for s in ACTIVE_STATUSES]))


def _status_condition(status: str, now: dt.datetime) -> ColumnElement[bool]:
    if status == "busy":
        return _busy()
    if status == "busy-unavailable":
        return and_(not_(_busy()), or_(col(Slot.withdrawn), _held(now)))
    if status == "free":
        return and_(not_(_busy()), not_(col(Slot.withdrawn)), not_(_held(now)))
    if status in SLOT_STATUSES:
        return false()
    raise bad_request(f"unknown Slot status {status!r} (one of {', '.join(SLOT_STATUSES)})")


def _date_condition(column, bound: DateBound) -> ColumnElement[bool]:  # noqa: ANN001
    column = col(column)
    return {
        "eq": and_(column >= bound.low, column < bound.high),
        "ge": column >= bound.low,
        "gt": column >= bound.high,
        "le": column < bound.high,
        "lt": column < bound.low,
    }[bound.prefix]


def _ids(values: list[str]) -> list[int]:
    return [ident for ident in map(int_id, values) if ident is not None]


def _token_condition(value: str, system: str, column) -> ColumnElement[bool]:  # noqa: ANN001
    wanted_system, code = parse_token(value)
    if wanted_system and wanted_system != system:
        return false()
    return col(column) == code


def _staff_of(value: str, types: tuple[str, ...]) -> int:
    _kind, ident = parse_reference(value, types)
    return int_id(ident) or -1


def _slot_condition(name: str, value: str, zone: ZoneInfo, now: dt.datetime) -> ColumnElement[bool]:
    if name == "_id":
        return col(Slot.id).in_(_ids([value]))
    if name == "start":
        return _date_condition(Slot.starts_at, parse_date(value, zone))
    if name == "service-type":
        return _token_condition(value, MOTIF_SYSTEM, Motif.code)
    if name == "specialty":
        return _token_condition(value, PROFESSION_SYSTEM, Motif.profession)
    if name == "schedule":
        return Slot.staff_id == _staff_of(value, ("Schedule",))
    if name == "schedule.actor":
        return Slot.staff_id == _staff_of(value, ("Practitioner", "PractitionerRole"))
    if name == "status":
        return _status_condition(value, now)
    raise bad_request(f"unknown search parameter {name!r}")  # pragma: no cover - parse_query checks


def _where(query: Query, condition) -> list[ColumnElement[bool]]:  # noqa: ANN001
    return [or_(*(condition(name, value) for value in values))
            for name, occurrences in query.params.items() for values in occurrences]


def slot_statuses(session: Session, slots: list[Slot], now: dt.datetime) -> dict[int, str]:
    """The FHIR status of each slot."""
    ids = [row.id for row in slots]
    busy = set(session.exec(select(Appointment.slot_id).where(
        col(Appointment.slot_id).in_(ids),
        col(Appointment.status).in_([s.value for s in ACTIVE_STATUSES])))) if ids else set()
    return {
        row.id: "busy" if row.id in busy else "busy-unavailable"
        if row.withdrawn or (row.held_until is not None and row.held_until > now) else "free"
        for row in slots if row.id is not None
    }


def search_slots(session: Session, query: Query, zone: ZoneInfo,
                 now: dt.datetime) -> tuple[int, list[Json]]:
    """The number of matching slots and the requested page of them, by start time."""
    conditions = _where(query, lambda name, value: _slot_condition(name, value, zone, now))
    base = select(Slot, Motif).join(Motif, col(Motif.id) == Slot.motif_id).where(*conditions)
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    if not query.count:
        return total, []
    rows = list(session.exec(base.order_by(col(Slot.starts_at), col(Slot.id))
                             .offset(query.offset).limit(query.count)))
    statuses = slot_statuses(session, [row for row, _motif in rows], now)
    return total, [fhir.slot(row, motif, statuses[row.id or 0]) for row, motif in rows]


def read_slot(session: Session, ident: str, now: dt.datetime) -> Json | None:
    """One Slot, or ``None``."""
    row = session.get(Slot, int_id(ident)) if int_id(ident) else None
    if row is None:
        return None
    motif = session.get(Motif, row.motif_id)
    assert motif is not None
    return fhir.slot(row, motif, slot_statuses(session, [row], now)[row.id or 0])


def _appointment_condition(name: str, value: str, zone: ZoneInfo) -> ColumnElement[bool]:
    if name == "_id":
        return col(Appointment.id).in_(_ids([value]))
    if name == "patient":
        return Appointment.patient_id == _staff_of(value, ("Patient",))
    if name == "practitioner":
        return Slot.staff_id == _staff_of(value, ("Practitioner",))
    if name == "actor":
        kind, ident = parse_reference(value, ("Patient", "Practitioner", "Location"))
        if kind == "Patient":
            return Appointment.patient_id == (int_id(ident) or -1)
        if kind == "Practitioner":
            return Slot.staff_id == (int_id(ident) or -1)
        room = ident.removeprefix("room-")
        return Slot.room_id == (int_id(room) or -1) if room != ident else false()
    if name == "date":
        return _date_condition(Slot.starts_at, parse_date(value, zone))
    if name == "status":
        if value in _STATUS_FROM_FHIR:
            return Appointment.status == _STATUS_FROM_FHIR[value].value
        raise bad_request(f"unsupported Appointment status {value!r} "
                          f"(one of {', '.join(_STATUS_FROM_FHIR)})")
    if name == "slot":
        return Appointment.slot_id == _staff_of(value, ("Slot",))
    if name == "service-type":
        return _token_condition(value, MOTIF_SYSTEM, Motif.code)
    raise bad_request(f"unknown search parameter {name!r}")  # pragma: no cover


def search_appointments(session: Session, query: Query, zone: ZoneInfo) -> tuple[int, list[Json]]:
    """The number of matching appointments and the requested page of them, by start time."""
    conditions = _where(query, lambda name, value: _appointment_condition(name, value, zone))
    base = (select(Appointment, Slot, Motif)
            .join(Slot, col(Slot.id) == Appointment.slot_id)
            .join(Motif, col(Motif.id) == Appointment.motif_id).where(*conditions))
    total = session.exec(select(func.count()).select_from(base.subquery())).one()
    if not query.count:
        return total, []
    rows = session.exec(base.order_by(col(Slot.starts_at), col(Appointment.id))
                        .offset(query.offset).limit(query.count))
    return total, [fhir.appointment(row, slot, motif) for row, slot, motif in rows]


def read_appointment(session: Session, ident: str) -> Json | None:
    """One Appointment, or ``None``."""
    row = session.get(Appointment, int_id(ident)) if int_id(ident) else None
    if row is None:
        return None
    slot = session.get(Slot, row.slot_id)
    motif = session.get(Motif, row.motif_id)
    assert slot is not None and motif is not None
    return fhir.appointment(row, slot, motif)


def read_patient(session: Session, ident: str) -> Json | None:
    """One Patient, or ``None``."""
    row = session.get(Patient, int_id(ident)) if int_id(ident) else None
    return fhir.patient(row) if row is not None else None

