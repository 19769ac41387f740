"""The manager's team and rules: staff, contracts, skills, shift types, cover, leave — plain forms."""

from __future__ import annotations

import datetime as dt

from litestar.testing import TestClient
from sqlmodel import Session, select

from planner.models import AuditEvent, Contract, CoverDemand, Leave, ShiftType, Skill, StaffMember, StaffSkill
from tests.web.staff.helpers import MANAGER, csrf_of, sign_in


def _token(client: TestClient) -> str:
    return csrf_of(client.get("/staff/team").text)


def test_team_tab_exists_and_lists_the_staff(staff_client: TestClient) -> None:
    sign_in(staff_client, MANAGER)
    roster = staff_client.get("/staff/roster")
    assert 'href="/staff/team"' in roster.text
    page = staff_client.get("/staff/team")
    assert page.status_code == 200
    assert "Claire Morel" in page.text and 'aria-current="page">Équipe' in page.text
    for url in ("/staff/team/contracts", "/staff/team/skills", "/staff/team/shifts", "/staff/team/cover",
                "/staff/team/leave", "/staff/team/staff/new"):
        assert staff_client.get(url).status_code == 200, url


def test_create_and_edit_a_staff_member_with_field_errors(staff_client: TestClient,
                                                         sqlite_demo_engine) -> None:  # noqa: ANN001
    sign_in(staff_client, MANAGER)
    token = _token(staff_client)
    with Session(sqlite_demo_engine) as db:
        contract = db.exec(select(Contract)).first()
        skill = Skill(site_id=contract.site_id, code="test-skill-a", name="Test skill A")
        db.add(skill)
        db.commit()
        skill_id, contract_id = skill.id, contract.id
    refused = staff_client.post("/staff/team/staff?lang=en", data={
        "_csrf": token, "code": "has space", "given_name": "", "family_name": "Roche",
        "profession": "nurse", "works_shifts": "1"})
    assert refused.status_code == 422
    assert "This field is required." in refused.text
    assert "Use letters, digits, - or _ only" in refused.text
    assert "Choose a contract: members of the shift team need one." in refused.text
    assert 'value="Roche"' in refused.text  # what was typed stays
    refused_fr = staff_client.post("/staff/team/staff?lang=fr", data={
        "_csrf": token, "code": "MOREL", "given_name": "Anne", "family_name": "Roche",
        "profession": "nurse"})
    assert refused_fr.status_code == 422 and "Ce code est déjà utilisé" in refused_fr.text
    created = staff_client.post("/staff/team/staff", follow_redirects=False, data={
        "_csrf": token, "code": "roche", "given_name": "Anne", "family_name": "Roche", "profession": "nurse",
        "contract_id": str(contract_id), "works_shifts": "1", "skills": [str(skill_id)]})
    assert created.status_code == 303
    with Session(sqlite_demo_engine) as db:
        member = db.exec(select(StaffMember).where(StaffMember.code == "ROCHE")).one()
        assert member.works_shifts and member.active and member.contract_id == contract_id
        assert db.exec(select(StaffSkill).where(StaffSkill.staff_id == member.id)).one().skill_id == skill_id
        member_id = member.id
    form = staff_client.get(f"/staff/team/staff/{member_id}")
    assert 'value="Anne"' in form.text and "checked" in form.text
    edited = staff_client.post(f"/staff/team/staff/{member_id}", follow_redirects=False, data={
        "_csrf": token, "code": "ROCHE", "given_name": "Anne", "family_name": "Roche-Martin",
        "profession": "nurse", "contract_id": str(contract_id)})
    assert edited.status_code == 303
    with Session(sqlite_demo_engine) as db:
        member = db.get(StaffMember, member_id)
        assert member.family_name == "Roche-Martin" and not member.active and not member.works_shifts
        assert not db.exec(select(StaffSkill).where(StaffSkill.staff_id == member_id)).all()
        actions = {e.action for e in db.exec(select(AuditEvent))}
    assert {"staff_admin.staff_create", "staff_admin.staff_update"} <= actions


def test_contracts_skills_and_shift_types(staff_client: TestClient, sqlite_demo_engine) -> None:  # noqa: ANN001
    sign_in(staff_client, MANAGER)
    token = _token(staff_client)
    bad = staff_client.post("/staff/team/contracts?lang=en", data={
        "_csrf": token, "name": "Mi-temps", "min_hours_4w": "90", "max_hours_4w": "80", "max_hours_7d": "48",
        "min_rest_hours": "11", "max_consecutive_shifts": "x", "min_consecutive_shifts": "1",
        "min_consecutive_days_off": "1", "max_weekends_4w": "2"})
    assert bad.status_code == 422 and "Enter a whole number from 1 to 14." in bad.text
    ok = staff_client.post("/staff/team/contracts", follow_redirects=False, data={
        "_csrf": token, "name": "Mi-temps", "min_hours_4w": "70", "max_hours_4w": "80,5",
        "max_hours_7d": "35",
        "min_rest_hours": "11:00", "max_consecutive_shifts": "4", "min_consecutive_shifts": "1",
        "min_consecutive_days_off": "2", "max_weekends_4w": "1"})
    assert ok.status_code == 303
    with Session(sqlite_demo_engine) as db:
        row = db.exec(select(Contract).where(Contract.name == "Mi-temps")).one()
        limits = (row.min_minutes_per_4_weeks, row.max_minutes_per_4_weeks, row.min_rest_minutes)
        assert limits == (4200, 4830, 660)
    assert staff_client.post("/staff/team/skills", follow_redirects=False, data={
        "_csrf": token, "code": "wound-care", "name": "Wound care"}).status_code == 303
    shift = staff_client.post("/staff/team/shifts?lang=en", data={
        "_csrf": token, "code": "J", "name": "Journée", "start": "25:00", "length_hours": "0",
        "colour": "red"})
    assert shift.status_code == 422
    assert "Enter a time such as 07:00." in shift.text and "Enter a colour such as #4c6ef5." in shift.text
    assert staff_client.post("/staff/team/shifts", follow_redirects=False, data={
        "_csrf": token, "code": "J", "name": "Journée", "start": "08:30", "length_hours": "7:30",
        "colour": "#123456", "is_night": ""}).status_code == 303
    with Session(sqlite_demo_engine) as db:
        day = db.exec(select(ShiftType).where(ShiftType.code == "J")).one()
        assert (day.start_minute, day.length_minutes, day.is_night) == (510, 450, False)


def test_cover_grid_with_a_skill_row_and_leave_for_anyone(staff_client: TestClient,
                                                          sqlite_demo_engine) -> None:  # noqa: ANN001
    sign_in(staff_client, MANAGER)
    token = _token(staff_client)
    with Session(sqlite_demo_engine) as db:
        shift = db.exec(select(ShiftType)).first()
        skill = Skill(site_id=shift.site_id, code="test-skill-b", name="Test skill B")
        db.add(skill)
        db.commit()
        shift_id, skill_id = shift.id, skill.id
        nurse = db.exec(select(StaffMember).where(StaffMember.works_shifts)).first().id
    assert staff_client.post("/staff/team/cover", follow_redirects=False, data={
        "_csrf": token, f"cover-{shift_id}-0-0": "3", "new_shift": str(shift_id),
        "new_skill": str(skill_id)}).status_code == 303
    assert staff_client.post("/staff/team/cover", follow_redirects=False, data={
        "_csrf": token, f"cover-{shift_id}-1-{skill_id}": "1"}).status_code == 303
    bad = staff_client.post("/staff/team/cover?lang=en", data={"_csrf": token, f"cover-{shift_id}-2-0": "-1"})
    assert bad.status_code == 422 and "Enter a whole number from 0 to 50." in bad.text
    with Session(sqlite_demo_engine) as db:
        monday = db.exec(select(CoverDemand).where(CoverDemand.shift_type_id == shift_id,
                                                   CoverDemand.weekday == 0,
                                                   CoverDemand.skill_id == None)).one()  # noqa: E711
        assert monday.required == 3
        tuesday = db.exec(select(CoverDemand).where(CoverDemand.skill_id == skill_id,
                                                    CoverDemand.weekday == 1)).one()
        assert tuesday.required == 1
    page = staff_client.get("/staff/team/cover?lang=en")
    assert "with skill: Test skill B" in page.text
    first = dt.date.today() + dt.timedelta(days=3)
    bad_leave = staff_client.post("/staff/team/leave?lang=en", data={
        "_csrf": token, "staff_id": str(nurse), "start_date": first.isoformat(),
        "end_date": (first - dt.timedelta(days=1)).isoformat(), "kind": "sick"})
    assert bad_leave.status_code == 422
    assert "The last day must be on or after the first day." in bad_leave.text
    assert staff_client.post("/staff/team/leave", follow_redirects=False, data={
        "_csrf": token, "staff_id": str(nurse), "start_date": first.isoformat(),
        "end_date": first.isoformat(), "kind": "sick"}).status_code == 303
    with Session(sqlite_demo_engine) as db:
        leave = db.exec(select(Leave).where(Leave.staff_id == nurse, Leave.start_date == first)).one()
        assert leave.kind.value == "sick"
    assert staff_client.post(f"/staff/team/leave/{leave.id}/delete", data={"_csrf": token},
                             follow_redirects=False).status_code == 303
    with Session(sqlite_demo_engine) as db:
        assert db.get(Leave, leave.id) is None


def test_forms_need_the_csrf_token(staff_client: TestClient) -> None:
    sign_in(staff_client, MANAGER)
    assert staff_client.post("/staff/team/skills", data={"code": "x", "name": "X"}).status_code == 403


def test_huge_or_unknown_ids_get_404_not_500(staff_client: TestClient) -> None:
    sign_in(staff_client, MANAGER)
    token = _token(staff_client)
    huge = "9" * 40
    for url in (f"/staff/team/staff/{huge}", f"/staff/team/contracts?edit={huge}", "/staff/team/staff/0"):
        assert staff_client.get(url).status_code in (400, 404), url
    deleted = staff_client.post(f"/staff/team/leave/{huge}/delete", data={"_csrf": token})
    assert deleted.status_code in (400, 404)
    created = staff_client.post("/staff/team/staff", data={"_csrf": token, "contract_id": huge})
    assert created.status_code == 422
