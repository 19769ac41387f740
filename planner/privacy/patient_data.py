"""A patient's rights over their data: export everything, or erase (pseudonymise) it.

Both follow the foreign keys from the ``patient`` table, so a new table that points to a patient
(or to one of their appointments…) is exported and erased without being listed here. What a
column holds comes from :mod:`planner.privacy.classification`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Date, DateTime, Enum, String, Table, select, update
from sqlmodel import Session, SQLModel

import planner.models  # noqa: F401 - registers the tables
from planner.models import AuditEvent, Patient
from planner.models.types import utcnow
from planner.privacy.classification import CLASSIFICATION, DataClass

ERASED = "erased"
ERASED_BIRTH_DATE = dt.date(1900, 1, 1)


class UnknownPatient(LookupError):
    """No patient has this id."""


def linked_tables() -> list[tuple[Table, str, Table]]:
    """``(table, column, parent)`` for every foreign key that leads, step by step, to a patient.

    Ordered so that a parent always comes before the tables that point to it.
    """
    tables = {table.name: table for table in SQLModel.metadata.sorted_tables}
    reached = {"patient"}
    links: list[tuple[Table, str, Table]] = []
    changed = True
    while changed:
        changed = False
        for table in tables.values():
            for foreign_key in table.foreign_keys:
                parent = foreign_key.column.table
                link = (table, foreign_key.parent.name, parent)
                if parent.name in reached and link not in links and table.name != "patient":
                    links.append(link)
                    if table.name not in reached:
                        reached.add(table.name)
                        changed = True
    return links


def _collect(session: Session, patient_id: int) -> dict[str, dict[int, dict[str, Any]]]:
    """Every row that belongs to the patient, per table, keyed by primary key."""
    patient_table = Patient.__table__
    row = session.execute(select(patient_table).where(patient_table.c.id == patient_id)).mappings().first()
    if row is None:
        raise UnknownPatient(patient_id)
    found: dict[str, dict[int, dict[str, Any]]] = {"patient": {patient_id: dict(row)}}
    for table, column, parent in linked_tables():
        parent_ids = list(found.get(parent.name, {}))
        if not parent_ids:
            continue
        key = list(table.primary_key.columns)[0]
        rows = session.execute(select(table).where(table.c[column].in_(parent_ids))).mappings()
        bucket = found.setdefault(table.name, {})
        for linked in rows:
            bucket[linked[key.name]] = dict(linked)
    return found


def _public(table: str, row: dict[str, Any]) -> dict[str, Any]:
    classes = CLASSIFICATION.get(table, {})
    out = {}
    for name, value in row.items():
        if classes.get(name) == DataClass.SECRET:
            continue
        out[name] = value.isoformat() if isinstance(value, dt.date | dt.datetime) else value
    return out


def _audit_rows(session: Session, found: dict[str, dict[int, dict[str, Any]]]) -> list[dict[str, Any]]:
    wanted: list[tuple[str, list[str]]] = [
        (table, [str(key) for key in rows]) for table, rows in found.items()]
    events: list[dict[str, Any]] = []
    for object_type, ids in wanted:
        if not ids:
            continue
        audit = AuditEvent.__table__
        query = select(audit).where(audit.c.object_type == object_type,
                                    audit.c.object_id.in_(ids))
        events.extend(_public("auditevent", dict(row)) for row in session.execute(query).mappings())
    return sorted(events, key=lambda event: event["at"])


def export_patient(session: Session, patient_id: int) -> dict[str, Any]:
    """Everything Créneau holds about a patient, as JSON-ready data."""
    found = _collect(session, patient_id)
    return {
        "exported_at": utcnow().isoformat(),
        "patient": _public("patient", found["patient"][patient_id]),
        "records": {table: [_public(table, row) for _, row in sorted(rows.items())]
                    for table, rows in found.items() if table != "patient"},
        "access_log": _audit_rows(session, found),
    }


def _blank(table: Table, column_name: str) -> Any:
    column = table.c[column_name]
    base = getattr(column.type, "impl", column.type)
    if column.nullable:
        return None
    if isinstance(base, String):
        return ERASED if column_name.endswith("name") else ""
    if isinstance(base, DateTime):
        return None
    if isinstance(base, Date):
        return ERASED_BIRTH_DATE
    return None


def _erasable(table: Table) -> Iterable[str]:
    for name, kind in CLASSIFICATION.get(table.name, {}).items():
        column = table.c[name]
        base = getattr(column.type, "impl", column.type)
        textual = isinstance(base, String) and not isinstance(base, Enum)
        sensitive = kind == DataClass.IDENTIFYING or (kind == DataClass.HEALTH and textual)
        if sensitive and not column.foreign_keys and not column.primary_key:
            yield name


def erase_patient(session: Session, patient_id: int) -> dict[str, int]:
    """Pseudonymise the patient: identity and free-text health data go; counts stay.

    Appointments remain (anonymous) for statistics; rosters are not touched. Returns the number of
    rows changed per table. The caller commits and writes the audit event.
    """
    found = _collect(session, patient_id)
    tables = {table.name: table for table in SQLModel.metadata.sorted_tables}
    changed: dict[str, int] = {}
    for table_name, rows in found.items():
        table = tables[table_name]
        values = {name: _blank(table, name) for name in _erasable(table)}
        values = {name: value for name, value in values.items()
                  if value is not None or table.c[name].nullable}
        if not values or not rows:
            continue
        key = list(table.primary_key.columns)[0]
        session.execute(update(table).where(key.in_(list(rows))).values(**values))
        changed[table_name] = len(rows)
    return changed
