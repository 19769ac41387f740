"""Clients racing for one slot through the FHIR API: one appointment, the others get 409."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from planner.booking.manage_links import Links
from planner.fhir.api import Caller, FhirApi
from planner.fhir.errors import FhirError
from planner.fhir.tokens import APPOINTMENT_WRITE
from planner.models import Appointment, Slot
from tests.support.fhir import make_slots, new_token

NOW = dt.datetime(2026, 11, 23, 7, tzinfo=dt.UTC)


def test_racing_bookings_of_one_slot_make_one_appointment(demo_engine: Engine) -> None:
    make_slots(demo_engine, dt.date(2026, 11, 24), 1)
    token = new_token(demo_engine, APPOINTMENT_WRITE)
    with Session(demo_engine) as db:
        slot = db.exec(select(Slot).order_by(col(Slot.id))).first()
    assert slot is not None
    api = FhirApi(demo_engine, clock=lambda: NOW)
    links = Links(key=b"k" * 32, base_url="http://127.0.0.1:8000")

    def attempt(number: int) -> int:
        body = {"resourceType": "Appointment", "status": "booked",
                "contained": [{"resourceType": "Patient", "id": "p",
                               "name": [{"family": f"Patient{number}", "given": ["Test"]}],
                               "birthDate": "1980-01-01",
                               "telecom": [{"system": "phone", "value": "06 00 00 00 0" + str(number)}]}],
                "slot": [{"reference": f"Slot/{slot.id}"}],
                "participant": [{"actor": {"reference": "#p"}}]}
        try:
            api.book(Caller(f"Bearer {token}", f"race-{number}"), body, None, links)
        except FhirError as error:
            return error.status
        return 201

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(attempt, range(6)))
    assert statuses == [201, 409, 409, 409, 409, 409]
    with Session(demo_engine) as db:
        assert len(db.exec(select(Appointment).where(Appointment.slot_id == slot.id)).all()) == 1
