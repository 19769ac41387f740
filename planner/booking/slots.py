"""Bookable slots from the clinicians' consultation sessions (laid out by ``solver.slots``).

Regenerating a period replaces its free slots and never touches a booked one: booked slots are
handed to the solver as time already taken, and free slots are deleted (or withdrawn when an old
appointment or a waitlist offer still refers to them).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from planner.booking.clock import local_day_range, zone
from planner.models import (
    Appointment,
    ConsultationSession,
    Mode,
    Motif,
    Site,
    Slot,
    StaffMember,
    WaitlistEntry,
)

#: Same-day urgent slots held back in each session, released on the morning of the day.
URGENT_PER_SESSION = 2
URGENT_RELEASE = dt.time(7, 30)
#: A first visit (a motif closed to nobody but slower) gets less of a session than routine visits.
ROUTINE_WEIGHT = 2
OTHER_WEIGHT = 1


@dataclass(frozen=True)
class GenerationReport:
    """What a regeneration did."""

    sessions: int
    created: int
    kept_booked: int
    removed: int
    withdrawn: int
    status: str


def _minutes(instant: dt.datetime, origin: dt.datetime) -> int:
    return int((instant - origin).total_seconds() // 60)


def session_kinds(session: ConsultationSession, motifs: list[Motif]) -> tuple:
    """The appointment types a session may hold: same profession; a room for in-person ones."""
    from solver.slots import SlotKind

    shortest = min((m.duration_minutes for m in motifs if not m.urgent), default=0)
    kinds = []
    for motif in motifs:
        in_person = motif.mode == Mode.IN_PERSON
        if (in_person and session.room_id is None) or (not in_person and not session.video):
            continue
        if motif.urgent:
            kinds.append(SlotKind(key=motif.id, duration=motif.duration_minutes,
                                  buffer_before=motif.buffer_before_minutes,
                                  buffer_after=motif.buffer_after_minutes, needs_room=in_person,
                                  weight=0, min_count=URGENT_PER_SESSION, max_count=URGENT_PER_SESSION))
            continue
        routine = motif.duration_minutes == shortest
        kinds.append(SlotKind(key=motif.id, duration=motif.duration_minutes,
                              buffer_before=motif.buffer_before_minutes,
                              buffer_after=motif.buffer_after_minutes, needs_room=in_person,
                              weight=ROUTINE_WEIGHT if routine else OTHER_WEIGHT))
    return tuple(kinds)


def _active_exists():  # noqa: ANN202 - SQL expression
    from planner.booking.availability import active_appointment_exists

    return active_appointment_exists()


def _clear_free_slots(db: Session, session_ids: list[int]) -> tuple[int, int]:
    """Delete the free slots of these sessions, or withdraw those something still refers to."""
    free = select(Slot.id).where(col(Slot.session_id).in_(session_ids), ~_active_exists(),
                                 ~col(Slot.withdrawn))
    referenced = select(Appointment.slot_id).union(
        select(WaitlistEntry.offered_slot_id).where(col(WaitlistEntry.offered_slot_id).is_not(None)))
    withdrawn = db.execute(
        update(Slot).where(col(Slot.id).in_(free), col(Slot.id).in_(referenced))
        .values(withdrawn=True)).rowcount
    removed = db.execute(
        delete(Slot).where(col(Slot.id).in_(free), col(Slot.id).not_in(referenced))).rowcount
    return removed, withdrawn


def generate_slots(db: Session, first: dt.date, last_exclusive: dt.date, site_id: int | None = None,
                   time_limit: float = 5.0) -> GenerationReport:
    """(Re)generate the free slots of the sessions starting on local days ``first`` … ``last``."""
    from solver.slots import Busy, LayoutProblem, SessionSpec, layout_slots

    query = select(Site) if site_id is None else select(Site).where(Site.id == site_id)
    sites = db.execute(query).scalars().all()
    totals = defaultdict(int)
    status = "optimal"
    for site in sites:
        tz = zone(site.timezone)
        start, end = local_day_range(first, last_exclusive, tz)
        sessions = db.execute(select(ConsultationSession).where(
            ConsultationSession.site_id == site.id, ConsultationSession.starts_at >= start,
            ConsultationSession.starts_at < end).order_by(ConsultationSession.starts_at)).scalars().all()
        if not sessions:
            continue
        session_ids = [s.id for s in sessions]
        booked = db.execute(select(Slot).where(col(Slot.session_id).in_(session_ids),
                                            _active_exists())).scalars().all()
        removed, withdrawn = _clear_free_slots(db, session_ids)
        staff = {m.id: m for m in db.execute(select(StaffMember).where(
            StaffMember.site_id == site.id)).scalars()}
        motifs_by_profession: dict[str, list[Motif]] = defaultdict(list)
        for motif in db.execute(select(Motif).where(Motif.site_id == site.id, col(Motif.active))).scalars():
            motifs_by_profession[motif.profession].append(motif)
        origin = start
        specs = []
        for session in sessions:
            member = staff[session.staff_id]
            kinds = session_kinds(session, motifs_by_profession[member.profession])
            if kinds:
                specs.append(SessionSpec(key=session.id, clinician=session.staff_id,
                                         start=_minutes(session.starts_at, origin),
                                         end=_minutes(session.ends_at, origin),
                                         kinds=kinds, room=session.room_id))
        busy = tuple(Busy(clinician=s.staff_id, room=s.room_id if s.mode == Mode.IN_PERSON else None,
                          start=_minutes(s.starts_at, origin), end=_minutes(s.ends_at, origin))
                     for s in booked)
        result = layout_slots(LayoutProblem(sessions=tuple(specs), busy=busy), time_limit=time_limit)
        if result.status.value != "optimal":
            status = result.status.value
        by_id = {s.id: s for s in sessions}
        motif_by_id = {m.id: m for ms in motifs_by_profession.values() for m in ms}
        rows = []
        for placed in result.slots:
            session = by_id[placed.session]
            motif = motif_by_id[placed.kind]
            starts_at = origin + dt.timedelta(minutes=placed.start)
            held_until = None
            if motif.urgent:
                local_day = starts_at.astimezone(tz).date()
                release = dt.datetime.combine(local_day, URGENT_RELEASE, tz).astimezone(dt.UTC)
                held_until = min(release, starts_at)
            rows.append(Slot(session_id=session.id, staff_id=session.staff_id,
                             room_id=session.room_id if motif.mode == Mode.IN_PERSON else None,
                             motif_id=motif.id, mode=motif.mode, starts_at=starts_at,
                             ends_at=origin + dt.timedelta(minutes=placed.end), held_until=held_until))
        db.add_all(rows)
        db.flush()
        totals["sessions"] += len(sessions)
        totals["created"] += len(rows)
        totals["kept_booked"] += len(booked)
        totals["removed"] += removed
        totals["withdrawn"] += withdrawn
    return GenerationReport(status=status, **{k: totals[k] for k in
                            ("sessions", "created", "kept_booked", "removed", "withdrawn")})
