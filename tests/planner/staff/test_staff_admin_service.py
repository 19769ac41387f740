"""Team-and-rules services and the front-desk agenda, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from planner import agenda, staff_admin
from planner.demo import period_start
from planner.models import CoverDemand, Site, StaffMember, StaffSkill
from tests.conftest import DEMO_TODAY
from tests.web.staff.helpers import book_some


def test_services_check_fields_and_store(demo_engine: Engine) -> None:
    with Session(demo_engine, expire_on_commit=False) as db:
        site_id = db.exec(select(Site)).first().id
        contract = staff_admin.contracts_of_site(db, site_id)[0]
        skill = staff_admin.skills_of_site(db, site_id)[0]
        refused = staff_admin.save_staff(db, site_id, {"code": "MOREL", "given_name": "", "family_name": "X",
                                                       "profession": "astronaut"})
        assert {k: e.code for k, e in refused.errors.items()} == {
            "code": "code_taken", "given_name": "required", "profession": "choice"}
        saved = staff_admin.save_staff(db, site_id, {
            "code": "neuf", "given_name": "Jeanne", "family_name": "Neuf", "profession": "nurse",
            "contract_id": str(contract.id), "works_shifts": "on", "skills": [str(skill.id)]})
        assert saved.ok and saved.row.code == "NEUF"
        held = db.exec(select(StaffSkill).where(StaffSkill.staff_id == saved.row.id)).one()
        assert held.skill_id == skill.id
        shift = staff_admin.shift_types_of_site(db, site_id)[0]
        assert staff_admin.save_cover(db, site_id, {f"cover-{shift.id}-6-0": "0"}).ok
        assert db.exec(select(CoverDemand).where(
            CoverDemand.shift_type_id == shift.id, CoverDemand.weekday == 6,
            CoverDemand.skill_id == None)).first() is None  # noqa: E711
        leave = staff_admin.save_leave(db, site_id, {
            "staff_id": str(saved.row.id), "start_date": "2030-01-02", "end_date": "2030-01-01"})
        assert leave.errors["end_date"].code == "end_before_start"
        contract_saved = staff_admin.save_contract(db, site_id, {
            "name": "Nuit", "min_hours_4w": "10", "max_hours_4w": "20", "max_hours_7d": "48",
            "min_rest_hours": "11", "max_consecutive_shifts": "3", "min_consecutive_shifts": "4",
            "min_consecutive_days_off": "1", "max_weekends_4w": "2"})
        assert contract_saved.errors["min_consecutive_shifts"].code == "min_above_max"


def test_agenda_rows_have_contacts_but_no_reason(demo_engine: Engine) -> None:
    monday = period_start(DEMO_TODAY)
    book_some(demo_engine, "MOREL", monday, 2)
    with Session(demo_engine) as db:
        site_id = db.exec(select(Site)).first().id
        start = dt.datetime.combine(monday, dt.time(0), dt.UTC)
        rows = agenda.agenda(db, site_id, start, start + dt.timedelta(days=1))
        morel = db.exec(select(StaffMember).where(StaffMember.code == "MOREL")).one()
    assert [r.patient_name for r in rows if r.staff_id == morel.id] == ["Lucie Bernard", "Paul Moreau"]
    assert not hasattr(rows[0], "reason")
