"""The mappers produce valid R4B resources from the demo centre, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from planner.fhir.directory import DIRECTORY_TYPES, load_directory
from planner.fhir.search import Query
from planner.fhir.slots import search_slots
from planner.models import ConsultationSession
from tests.support.fhir import PARIS, make_slots, validate


def test_directory_and_slots_of_the_demo_are_valid_fhir(demo_engine: Engine) -> None:
    made = make_slots(demo_engine, dt.date(2026, 11, 26), 1)
    with Session(demo_engine) as db:
        directory = load_directory(db)
        for resource_type in DIRECTORY_TYPES:
            resources = directory.resources(resource_type)
            assert resources, resource_type
            for resource in resources:
                validate(resource)
        total, page = search_slots(db, Query(count=500), PARIS, dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
        first_session = db.exec(select(ConsultationSession).order_by(ConsultationSession.starts_at)).first()
    assert total == made == len(page) > 0
    for resource in page:
        validate(resource)
    schedules = {s["id"]: s for s in directory.resources("Schedule")}
    assert first_session is not None
    horizon = schedules[str(first_session.staff_id)]["planningHorizon"]
    assert horizon["start"] <= first_session.starts_at.strftime("%Y-%m-%dT%H:%M:%SZ")
