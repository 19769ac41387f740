"""The demo health centre: a believable French maison de santé, in local time."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from planner.database import session_scope
from planner.demo import load_demo
from planner.models import (
    ConsultationSession,
    CoverDemand,
    Motif,
    Profession,
    Site,
    StaffMember,
    UserAccount,
)
from planner.passwords import verify_password

PARIS = ZoneInfo("Europe/Paris")


def test_demo_centre_has_the_expected_team(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        site = session.exec(select(Site)).one()
        staff = session.exec(select(StaffMember)).all()
        motifs = session.exec(select(Motif)).all()
        covers = session.exec(select(CoverDemand)).all()
    assert site.timezone == "Europe/Paris"
    professions = Counter(member.profession for member in staff)
    assert 23 <= len(staff) <= 27
    assert professions[Profession.GENERAL_PRACTITIONER] >= 5
    assert professions[Profession.MIDWIFE] == 1
    assert professions[Profession.PHYSIOTHERAPIST] >= 1
    assert professions[Profession.PHARMACIST] == 1
    assert professions[Profession.SECRETARY] >= 2
    assert professions[Profession.MANAGER] == 1
    assert sum(member.works_shifts for member in staff) >= 8
    assert {m.mode for m in motifs} == {"in_person", "video"}
    assert covers, "the nursing team needs cover demand"


def test_every_staff_member_can_sign_in_with_the_demo_password(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        accounts = session.exec(select(UserAccount)).all()
    assert len(accounts) == 26  # 25 staff and one administrator
    assert accounts[0].password_hash.startswith("$argon2id$")
    assert verify_password(accounts[0].password_hash, "demo-creneau")
    assert not verify_password(accounts[0].password_hash, "wrong")


def test_sessions_keep_their_local_hours_across_the_october_change(engine: Engine) -> None:
    # Week of Monday 2026-10-19: the clocks go back on Sunday 2026-10-25.
    with session_scope(engine) as session:
        load_demo(session, dt.date(2026, 10, 21))
    with Session(engine) as session:
        morel = session.exec(select(StaffMember).where(StaffMember.code == "MOREL")).one()
        mondays = [s for s in session.exec(select(ConsultationSession).where(
            ConsultationSession.staff_id == morel.id)) if s.starts_at.astimezone(PARIS).weekday() == 0
            and s.starts_at.astimezone(PARIS).hour == 8]
    first, second = sorted(mondays, key=lambda s: s.starts_at)[:2]
    assert first.starts_at.astimezone(PARIS).time() == dt.time(8, 30)
    assert second.starts_at.astimezone(PARIS).time() == dt.time(8, 30)
    assert first.starts_at.time() == dt.time(6, 30)  # UTC+2 in summer time
    assert second.starts_at.time() == dt.time(7, 30)  # UTC+1 after the change
