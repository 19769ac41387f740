"""Video appointments for the tests: a slot starting now, for a demo clinician."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from planner.models import (
    Appointment,
    AppointmentStatus,
    ConsultationSession,
    Mode,
    Motif,
    Patient,
    Slot,
    StaffMember,
    UserAccount,
)

CLINICIAN_EMAIL = "claire.morel@msp-tilleuls.example"
OTHER_CLINICIAN_EMAIL = "antoine.lefevre@msp-tilleuls.example"
PHARMACIST_EMAIL = "elodie.marchand@msp-tilleuls.example"
_keys = itertools.count()


def account(engine: Engine, email: str) -> UserAccount:
    """The demo account with this e-mail."""
    with Session(engine, expire_on_commit=False) as db:
        found = db.exec(select(UserAccount).where(UserAccount.email == email)).first()
        assert found is not None, email
        return found


def make_video_appointment(engine: Engine, *, email: str = CLINICIAN_EMAIL,
                           starts_in: dt.timedelta = dt.timedelta(minutes=2),
                           minutes: int = 15, booked_by_email: str | None = None,
                           status: AppointmentStatus = AppointmentStatus.BOOKED,
                           mode: Mode = Mode.VIDEO) -> int:
    """Create a video appointment (session, slot, patient) and return its id."""
    clinician = account(engine, email)
    booker = account(engine, booked_by_email).id if booked_by_email else None
    starts = dt.datetime.now(dt.UTC).replace(microsecond=0) + starts_in
    ends = starts + dt.timedelta(minutes=minutes)
    with Session(engine, expire_on_commit=False) as db:
        staff = db.get(StaffMember, clinician.staff_id)
        assert staff is not None
        motif = db.exec(select(Motif).where(Motif.mode == mode)).first()
        assert motif is not None
        session = ConsultationSession(site_id=staff.site_id, staff_id=staff.id, starts_at=starts,
                                      ends_at=ends, video=mode is Mode.VIDEO)
        db.add(session)
        db.flush()
        slot = Slot(session_id=session.id, staff_id=staff.id, motif_id=motif.id, mode=mode,
                    starts_at=starts, ends_at=ends)
        patient = Patient(given_name="Jeanne", family_name="Martin", birth_date=dt.date(1980, 5, 17),
                          email="jeanne.martin@example.org")
        db.add_all([slot, patient])
        db.flush()
        appointment = Appointment(slot_id=slot.id, patient_id=patient.id, motif_id=motif.id,
                                  status=status, reason="Toux persistante", booked_by=booker,
                                  idempotency_key=f"video-test-{next(_keys)}-{starts.timestamp()}")
        db.add(appointment)
        db.commit()
        assert appointment.id is not None
        return appointment.id


def appointment_status(engine: Engine, appointment_id: int) -> str:
    """The stored status of an appointment."""
    with Session(engine) as db:
        row = db.get(Appointment, appointment_id)
        assert row is not None
        return AppointmentStatus(row.status).value
