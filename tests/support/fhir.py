"""FHIR API test helpers: slots cut from the demo's sessions, tokens, and R4B validation."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from planner.database import session_scope
from planner.fhir.tokens import create_token
from planner.models import ConsultationSession, Mode, Motif, Slot, StaffMember

PARIS = ZoneInfo("Europe/Paris")


def make_slots(engine: Engine, first: dt.date, days: int) -> int:
    """Cut the sessions of local days ``first`` … ``first + days`` into back-to-back slots.

    An in-person session gets the profession's first routine in-person motif, a video session its
    first video motif. Returns the number of slots made.
    """
    start = dt.datetime.combine(first, dt.time(), PARIS)
    end = start + dt.timedelta(days=days)
    made = 0
    with session_scope(engine) as db:
        motifs = list(db.exec(select(Motif).where(col(Motif.active), ~col(Motif.urgent))
                              .order_by(col(Motif.id))))
        rows = db.exec(select(ConsultationSession, StaffMember)
                       .join(StaffMember, col(StaffMember.id) == ConsultationSession.staff_id)
                       .where(ConsultationSession.starts_at >= start, ConsultationSession.starts_at < end)
                       .order_by(col(ConsultationSession.starts_at), col(ConsultationSession.id)))
        for session, member in rows:
            mode = Mode.VIDEO if session.video else Mode.IN_PERSON
            motif = next((m for m in motifs if m.profession == member.profession and m.mode == mode),
                         None)
            if motif is None:
                continue
            step = dt.timedelta(minutes=motif.duration_minutes)
            at = session.starts_at
            while at + step <= session.ends_at:
                db.add(Slot(session_id=session.id, staff_id=member.id, motif_id=motif.id, mode=mode,
                            room_id=session.room_id if mode == Mode.IN_PERSON else None,
                            starts_at=at, ends_at=at + step))
                at += step
                made += 1
    return made


def new_token(engine: Engine, *scopes: str, name: str = "test client") -> str:
    """A fresh API token with ``scopes``."""
    with session_scope(engine) as db:
        _row, token = create_token(db, name, scopes)
    return token


def bearer(token: str) -> dict[str, str]:
    """The Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


def validate(resource: dict[str, Any]) -> Any:
    """Parse ``resource`` with the fhir.resources R4B model of its type (raises when invalid)."""
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def validate_bundle(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """Validate a searchset Bundle and each resource in it; return the resources."""
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset"
    validate(bundle)
    resources = [entry["resource"] for entry in bundle.get("entry", [])]
    for resource in resources:
        validate(resource)
    return resources


def slot_ids(db: Session, statement: Any) -> list[str]:
    """Slot ids of a ``select(Slot)`` statement, as FHIR ids, by start."""
    return [str(row.id) for row in db.exec(statement.order_by(col(Slot.starts_at), col(Slot.id)))]
