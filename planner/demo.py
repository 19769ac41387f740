"""Load the demo health centre (``fixtures/demo/centre.toml``) into the database."""

from __future__ import annotations

import datetime as dt
import tomllib
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from planner.models import (
    ConsultationSession,
    Contract,
    CoverDemand,
    Leave,
    LeaveKind,
    Motif,
    RequestKind,
    Role,
    Room,
    ShiftType,
    Site,
    Skill,
    StaffMember,
    StaffRequest,
    StaffSkill,
    UserAccount,
)
from planner.passwords import hash_password

DEMO_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "demo" / "centre.toml"
DEMO_PASSWORD = "demo-creneau"
DEMO_EMAIL_DOMAIN = "msp-tilleuls.example"
SESSION_WEEKS = 8


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def demo_email(given_name: str, family_name: str) -> str:
    """The demo sign-in e-mail of a staff member."""
    return f"{_ascii(given_name)}.{_ascii(family_name)}@{DEMO_EMAIL_DOMAIN}".replace(" ", "-")


def period_start(today: dt.date) -> dt.date:
    """The Monday of the week holding ``today``: the demo's first rostering day."""
    return today - dt.timedelta(days=today.weekday())


def has_data(session: Session) -> bool:
    """Whether any site is in the database."""
    return session.exec(select(Site.id).limit(1)).first() is not None


def _session_instants(
    start_monday: dt.date, template: dict[str, Any], zone: ZoneInfo
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    for week in range(SESSION_WEEKS):
        for weekday in template["days"]:
            day = start_monday + dt.timedelta(days=7 * week + weekday)
            start = dt.datetime.combine(day, dt.time.fromisoformat(template["start"]), zone)
            end = dt.datetime.combine(day, dt.time.fromisoformat(template["end"]), zone)
            yield start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def load_demo(session: Session, today: dt.date, path: Path = DEMO_FILE) -> Site:
    """Insert the demo centre; consultation sessions start on the Monday of ``today``'s week."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    site = Site(**{k: v for k, v in data["site"].items() if k != "rooms"})
    session.add(site)
    session.flush()
    zone = ZoneInfo(site.timezone)
    rooms = {name: Room(site_id=site.id, name=name) for name in data["site"]["rooms"]}
    skills = {s["code"]: Skill(site_id=site.id, **s) for s in data["skills"]}
    contracts = {c["name"]: Contract(site_id=site.id, **c) for c in data["contracts"]}
    shifts = {
        s["code"]: ShiftType(
            site_id=site.id, code=s["code"], name=s["name"], start_minute=_minutes(s["start"]),
            length_minutes=s["length_minutes"], colour=s["colour"], is_night=s.get("is_night", False),
        )
        for s in data["shift_types"]
    }
    session.add_all([*rooms.values(), *skills.values(), *contracts.values(), *shifts.values()])
    session.flush()

    for cover in data["cover"]:
        for weekday, required in enumerate(cover["required"]):
            session.add(CoverDemand(
                site_id=site.id, shift_type_id=shifts[cover["shift"]].id, weekday=weekday,
                required=required, skill_id=skills[cover["skill"]].id if "skill" in cover else None,
            ))

    first_day = period_start(today)
    password_hash = hash_password(DEMO_PASSWORD)
    staff_by_code: dict[str, StaffMember] = {}
    for entry in data["staff"]:
        member = StaffMember(
            site_id=site.id, code=entry["code"], title=entry.get("title", ""),
            given_name=entry["given_name"], family_name=entry["family_name"],
            profession=entry["profession"],
            contract_id=contracts[entry["contract"]].id if "contract" in entry else None,
            works_shifts=entry.get("shifts", False), holds_sessions=bool(entry.get("sessions")),
            max_shifts=entry.get("max_shifts", {}),
        )
        session.add(member)
        session.flush()
        staff_by_code[member.code] = member
        for code in entry.get("skills", []):
            session.add(StaffSkill(staff_id=member.id, skill_id=skills[code].id))
        session.add(UserAccount(
            email=demo_email(member.given_name, member.family_name), password_hash=password_hash,
            role=Role(entry["role"]), staff_id=member.id,
        ))
        for template in entry.get("sessions", []):
            room = rooms[template["room"]] if "room" in template else None
            for starts_at, ends_at in _session_instants(first_day, template, zone):
                session.add(ConsultationSession(
                    site_id=site.id, staff_id=member.id, room_id=room.id if room else None,
                    starts_at=starts_at, ends_at=ends_at, video=template.get("video", False),
                ))
    session.add(UserAccount(
        email=f"admin@{DEMO_EMAIL_DOMAIN}", password_hash=password_hash, role=Role.ADMIN
    ))

    for motif in data["motifs"]:
        session.add(Motif(site_id=site.id, **motif))
    for leave in data.get("leave", []):
        session.add(Leave(
            staff_id=staff_by_code[leave["staff"]].id,
            start_date=first_day + dt.timedelta(days=leave["first_day"]),
            end_date=first_day + dt.timedelta(days=leave["last_day"]),
            kind=LeaveKind(leave["kind"]),
        ))
    for request in data.get("requests", []):
        session.add(StaffRequest(
            staff_id=staff_by_code[request["staff"]].id,
            day=first_day + dt.timedelta(days=request["day"]), kind=RequestKind(request["kind"]),
            shift_type_id=shifts[request["shift"]].id if "shift" in request else None,
            weight=request["weight"],
        ))
    session.flush()
    return site
