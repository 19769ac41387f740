"""Signing staff in through the real forms, and a few appointments for a clinician."""

from __future__ import annotations

import datetime as dt
import re

from litestar.testing import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from planner.auth import totp
from planner.models import (
    Appointment,
    ConsultationSession,
    Motif,
    Patient,
    Role,
    Slot,
    StaffMember,
    UserAccount,
)

PASSWORD = "demo-creneau"
MANAGER = "valerie.dumas@msp-tilleuls.example"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def csrf_of(html: str) -> str:
    """The session's CSRF token printed in a page."""
    found = re.search(r'name="_csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD):  # noqa: ANN201 - httpx.Response
    """Submit the sign-in form (and the TOTP step when the role needs it)."""
    form = client.get("/staff/signin")
    nonce = re.search(r'name="nonce" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    response = client.post("/staff/signin", data={"email": email, "password": password, "nonce": nonce},
                           follow_redirects=False)
    if response.headers.get("location", "").startswith("/staff/signin/code"):
        page = client.get("/staff/signin/code")
        data = {"_csrf": csrf_of(page.text), "code": totp.totp(SECRET)}
        response = client.post("/staff/signin/code", data=data, follow_redirects=False)
    return response


def give_totp(engine: Engine) -> None:
    """Enrol every manager and administrator with the test secret."""
    with Session(engine) as db:
        for user in db.exec(select(UserAccount).where(UserAccount.role.in_([Role.MANAGER, Role.ADMIN]))):  # type: ignore[attr-defined]
            user.totp_secret = SECRET
            db.add(user)
        db.commit()


def email_of(engine: Engine, code: str) -> str:
    """The account e-mail of a staff member by code."""
    with Session(engine) as db:
        member = db.exec(select(StaffMember).where(StaffMember.code == code)).one()
        return db.exec(select(UserAccount.email).where(UserAccount.staff_id == member.id)).one()


def book_some(engine: Engine, staff_code: str, day: dt.date, count: int = 3) -> list[int]:
    """Book ``count`` appointments in a staff member's first session of ``day``; their ids."""
    with Session(engine) as db:
        member = db.exec(select(StaffMember).where(StaffMember.code == staff_code)).one()
        sessions = [s for s in db.exec(select(ConsultationSession).where(
            ConsultationSession.staff_id == member.id)) if s.starts_at.date() == day]
        assert sessions, f"{staff_code} holds no session on {day}"
        session = sessions[0]
        motif = db.exec(select(Motif).where(Motif.profession == member.profession)).first()
        assert motif is not None
        ids = []
        names = [("Lucie", "Bernard", "Renouvellement d'ordonnance"), ("Paul", "Moreau", "Douleur au genou"),
                 ("Inès", "Garcia", "Fièvre depuis deux jours"), ("Marc", "Lopez", "Certificat de sport")]
        for k in range(count):
            start = session.starts_at + dt.timedelta(minutes=20 * k)
            slot = Slot(session_id=session.id, staff_id=member.id, motif_id=motif.id, mode=motif.mode,
                        starts_at=start, ends_at=start + dt.timedelta(minutes=20))
            given, family, reason = names[k % len(names)]
            patient = Patient(given_name=given, family_name=family, birth_date=dt.date(1980, 1, 1 + k))
            db.add_all([slot, patient])
            db.flush()
            appointment = Appointment(slot_id=slot.id, patient_id=patient.id, motif_id=motif.id,
                                      reason=reason)
            db.add(appointment)
            db.flush()
            ids.append(appointment.id)
        db.commit()
        return ids
