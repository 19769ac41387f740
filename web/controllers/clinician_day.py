"""The clinician's day: appointments today and this week, own roster, attended / no-show, the live
waiting room; and every staff member's leave and wishes for the next period."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.channels import ChannelsPlugin
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage
from markupsafe import escape
from sqlmodel import Session, col, select

from planner.auth.roles import ENTERS_OWN_WISHES, HAS_OWN_DAY
from planner.models import (
    Appointment,
    AppointmentStatus,
    Leave,
    LeaveKind,
    Motif,
    Patient,
    RequestKind,
    ShiftType,
    Site,
    Slot,
    StaffMember,
    StaffRequest,
)
from planner.models.types import utcnow
from planner.rostering.service import published_shifts
from web.auth import audit_sync, identity_of, refuse, requires, see_other
from web.templating import page
from web.waiting_room import WaitingRoomEvent, channel_name

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)


def _zone(db: Session) -> ZoneInfo:
    site = db.exec(select(Site).order_by(col(Site.id)).limit(1)).first()
    return ZoneInfo(site.timezone if site else "Europe/Paris")


def _appointments(db: Session, staff_id: int, first: dt.datetime, last: dt.datetime) -> list[tuple]:
    rows = db.exec(select(Appointment, Slot, Patient, Motif)
                   .join(Slot, col(Slot.id) == Appointment.slot_id)
                   .join(Patient, col(Patient.id) == Appointment.patient_id)
                   .join(Motif, col(Motif.id) == Appointment.motif_id)
                   .where(Slot.staff_id == staff_id, col(Slot.starts_at) >= first,
                          col(Slot.starts_at) < last,
                          Appointment.status != AppointmentStatus.CANCELLED)
                   .order_by(col(Slot.starts_at)))
    return list(rows.all())


class ClinicianDayController(Controller):
    """A clinician's (or nurse's) own day."""

    path = "/staff/day"
    guards = [requires(HAS_OWN_DAY)]
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def day(self, request: Request, db: Session, date: str | None = None) -> Template:
        """Today's appointments, the week at a glance, own shifts, waiting room."""
        identity = identity_of(request)
        assert identity is not None
        staff_id = identity.staff_id or 0
        zone = _zone(db)
        try:
            today = dt.date.fromisoformat(date) if date else dt.datetime.now(zone).date()
        except ValueError:
            today = dt.datetime.now(zone).date()
        monday = today - dt.timedelta(days=today.weekday())

        def local_midnight(day: dt.date) -> dt.datetime:
            return dt.datetime.combine(day, dt.time(0), zone)

        todays = _appointments(db, staff_id, local_midnight(today),
                               local_midnight(today + dt.timedelta(days=1)))
        week = _appointments(db, staff_id, local_midnight(monday),
                             local_midnight(monday + dt.timedelta(days=7)))
        per_day = {monday + dt.timedelta(days=k): 0 for k in range(7)}
        for _a, slot, _p, _m in week:
            per_day[slot.starts_at.astimezone(zone).date()] += 1
        shifts = published_shifts(db, staff_id, today, today + dt.timedelta(days=27))
        audit_sync(request, "read_appointments", "staff_day", f"{staff_id}:{today.isoformat()}")
        return page("staff/day.html", section="day", today=today, zone=zone, appointments=todays,
                    per_day=per_day, shifts=shifts, staff_id=staff_id,
                    previous=(today - dt.timedelta(days=1)).isoformat(),
                    next=(today + dt.timedelta(days=1)).isoformat())

    @post("/appointments/{appointment_id:int}/status", sync_to_thread=True, status_code=303)
    def mark(self, request: Request, db: Session, appointment_id: int,
             data: Annotated[dict[str, Any], FORM]) -> Redirect:
        """Mark one of one's own appointments attended or no-show."""
        identity = identity_of(request)
        assert identity is not None
        appointment = db.get(Appointment, appointment_id)
        if appointment is None:
            raise NotFoundException()
        slot = db.get(Slot, appointment.slot_id)
        if slot is None or slot.staff_id != identity.staff_id:
            raise refuse(request, "appointment", appointment_id, "mark_appointment")
        wanted = str(data.get("status", ""))
        if wanted not in (AppointmentStatus.ATTENDED.value, AppointmentStatus.NO_SHOW.value,
                          AppointmentStatus.BOOKED.value) or \
                appointment.status == AppointmentStatus.CANCELLED:
            return see_other("/staff/day?error=status")
        appointment.status = AppointmentStatus(wanted)
        db.add(appointment)
        db.commit()
        audit_sync(request, f"mark_{wanted}", "appointment", appointment_id)
        day = slot.starts_at.astimezone(_zone(db)).date().isoformat()
        return see_other(f"/staff/day?date={day}#appointment-{appointment_id}")

    @get("/waiting-room")
    async def waiting_room(self, request: Request, channels: ChannelsPlugin) -> ServerSentEvent:
        """Server-sent events of one's own waiting room (see :mod:`web.waiting_room`)."""
        identity = identity_of(request)
        assert identity is not None
        channel = channel_name(identity.staff_id or 0)

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            async with channels.start_subscription([channel]) as subscriber:
                yield ServerSentEventMessage(comment="waiting room open")
                async for raw in subscriber.iter_events():
                    event = WaitingRoomEvent.from_json(raw)
                    if event.kind == "checked_in":
                        html = (f'<li id="waiting-{event.appointment_id}"><span><span class="live-dot" '
                                f'aria-hidden="true"></span>{escape(event.patient_label)}</span>'
                                f'<span class="muted small">{escape(event.at_label)}</span></li>')
                        yield ServerSentEventMessage(event="checked_in", data=html)
                    else:
                        yield ServerSentEventMessage(
                            event="left", data=f'<span hidden data-left="{event.appointment_id}"></span>')

        return ServerSentEvent(stream())


class WishesController(Controller):
    """Leave and shift preferences for the next period, entered by staff themselves."""

    path = "/staff/wishes"
    guards = [requires(ENTERS_OWN_WISHES)]
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def form(self, request: Request, db: Session) -> Template:
        """Own leave and wishes, and the forms to add them."""
        identity = identity_of(request)
        assert identity is not None
        staff_id = identity.staff_id or 0
        today = dt.date.today()
        leave = db.exec(select(Leave).where(Leave.staff_id == staff_id, col(Leave.end_date) >= today)
                        .order_by(col(Leave.start_date))).all()
        wishes = db.exec(select(StaffRequest).where(StaffRequest.staff_id == staff_id,
                                                    col(StaffRequest.day) >= today)
                         .order_by(col(StaffRequest.day))).all()
        member = db.get(StaffMember, staff_id)
        shifts = db.exec(select(ShiftType).where(ShiftType.site_id == (member.site_id if member else 0))
                         .order_by(col(ShiftType.start_minute))).all()
        return page("staff/wishes.html", section="wishes", leave=leave, wishes=wishes, shifts=shifts,
                    shift_by_id={s.id: s for s in shifts}, error=request.query_params.get("error", ""),
                    saved=request.query_params.get("saved", ""))

    @post("/leave", sync_to_thread=True, status_code=303)
    def add_leave(self, request: Request, db: Session, data: Annotated[dict[str, Any], FORM]) -> Redirect:
        """Ask for leave (inclusive dates)."""
        identity = identity_of(request)
        assert identity is not None
        try:
            first = dt.date.fromisoformat(str(data.get("start_date", "")))
            last = dt.date.fromisoformat(str(data.get("end_date", "")))
            kind = LeaveKind(str(data.get("kind", "annual")))
        except ValueError:
            return see_other("/staff/wishes?error=leave_dates")
        if last < first or first < dt.date.today() or (last - first).days > 90:
            return see_other("/staff/wishes?error=leave_dates")
        db.add(Leave(staff_id=identity.staff_id or 0, start_date=first, end_date=last, kind=kind,
                     note=str(data.get("note", ""))[:200]))
        db.commit()
        audit_sync(request, "leave_add", "staff", identity.staff_id or "")
        return see_other("/staff/wishes?saved=leave")

    @post("/request", sync_to_thread=True, status_code=303)
    def add_request(self, request: Request, db: Session,
                    data: Annotated[dict[str, Any], FORM]) -> Redirect:
        """A wish for one day: a shift to work, a shift not to work, or a day off."""
        identity = identity_of(request)
        assert identity is not None
        try:
            day = dt.date.fromisoformat(str(data.get("day", "")))
            kind = RequestKind(str(data.get("kind", "")))
            shift = str(data.get("shift_type_id", ""))
            shift_id = int(shift) if shift else None
            weight = min(10, max(1, int(data.get("weight", 3))))
        except ValueError:
            return see_other("/staff/wishes?error=request")
        if day < dt.date.today() or (kind != RequestKind.DAY_OFF and shift_id is None):
            return see_other("/staff/wishes?error=request")
        db.add(StaffRequest(staff_id=identity.staff_id or 0, day=day, kind=kind,
                            shift_type_id=None if kind == RequestKind.DAY_OFF else shift_id,
                            weight=weight, created_at=utcnow()))
        db.commit()
        audit_sync(request, "request_add", "staff", identity.staff_id or "")
        return see_other("/staff/wishes?saved=request")
