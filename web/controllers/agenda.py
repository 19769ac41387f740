"""The front desk: the centre's agenda (secretary, pharmacist) and the pharmacy counter.

- ``/staff/agenda``: the day's or the week's appointments of every clinician, with the patient's
  name and contact (never the reason for the visit), cancelling on a patient's behalf, and a link to
  book for a patient (the booking pages at ``/book``).
- ``/staff/counter``: the pharmacist's page: assisted booking, and today's video consultations
  booked at this counter with the link to join them on the patient's side.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template
from sqlmodel import Session, col, select

from planner import agenda as agenda_service
from planner.auth.roles import AGENDA_MANAGERS
from planner.booking import booking as booking_service
from planner.booking.errors import NotActive, NotFound, TooLateToChange
from planner.models import Mode, Role, Site
from web.auth import audit_sync, identity_of, refuse, requires, see_other
from web.controllers.booking_common import clock, links_for
from web.templating import page


def _site(db: Session) -> Site:
    site = db.exec(select(Site).order_by(col(Site.id)).limit(1)).first()
    if site is None:
        raise NotFoundException("No site.")
    return site


def _today(request: Request, zone: ZoneInfo) -> dt.date:
    return clock(request.app.state).astimezone(zone).date()


def _day(value: str | None, today: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else today
    except ValueError:
        return today


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), zone)


class AgendaController(Controller):
    """Every clinician's appointments, for the front desk."""

    path = "/staff/agenda"
    guards = [requires(AGENDA_MANAGERS)]
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def agenda(self, request: Request, db: Session, date: str | None = None,
               view: str = "day") -> Template:
        """The day (or the week from its Monday), grouped by day then by clinician."""
        site = _site(db)
        zone = ZoneInfo(site.timezone)
        today = _today(request, zone)
        day = _day(date, today)
        week = view == "week"
        first = day - dt.timedelta(days=day.weekday()) if week else day
        length = 7 if week else 1
        rows = agenda_service.agenda(db, site.id or 0, _midnight(first, zone),
                                     _midnight(first + dt.timedelta(days=length), zone))
        days = []
        for offset in range(length):
            current = first + dt.timedelta(days=offset)
            todays = [r for r in rows if r.starts_at.astimezone(zone).date() == current]
            by_clinician = [(name, list(items)) for name, items in
                            groupby(sorted(todays, key=lambda r: (r.clinician_family, r.staff_id,
                                                                  r.starts_at)),
                                    key=lambda r: r.clinician)]
            days.append((current, by_clinician, todays))
        step = dt.timedelta(days=7 if week else 1)
        audit_sync(request, "read_agenda", "site", f"{site.id}:{first.isoformat()}:{length}")
        return page("staff/agenda.html", section="agenda", zone=zone, day=day, first=first,
                    week=week, days=days, view="week" if week else "day",
                    previous=(day - step).isoformat(), next=(day + step).isoformat(),
                    today=today, error=request.query_params.get("error", ""),
                    cancelled=request.query_params.get("cancelled", ""))

    @post("/appointments/{appointment_id:int}/cancel", sync_to_thread=True, status_code=303)
    def cancel(self, request: Request, db: Session, appointment_id: int) -> Redirect:
        """Cancel an appointment on the patient's behalf (the patient gets the usual e-mail)."""
        back = str(request.query_params.get("back", ""))
        back = back if back.startswith("/staff/agenda") else "/staff/agenda"
        joiner = "&" if "?" in back else "?"
        site_id = agenda_service.appointment_site(db, appointment_id)
        if site_id is None:
            raise NotFoundException("No such appointment.")
        if site_id != _site(db).id:
            raise refuse(request, "appointment", appointment_id, "cancel_appointment")
        try:
            booking_service.cancel(request.app.state.engine, appointment_id, links=links_for(request),
                                   now=clock(request.app.state), by_staff=True)
        except NotFound:
            raise NotFoundException("No such appointment.") from None
        except TooLateToChange:
            audit_sync(request, "agenda.cancel", "appointment", appointment_id, outcome="too_late")
            return see_other(f"{back}{joiner}error=too_late")
        except NotActive:
            return see_other(f"{back}{joiner}error=not_active")
        audit_sync(request, "agenda.cancel", "appointment", appointment_id)
        return see_other(f"{back}{joiner}cancelled={appointment_id}")


class CounterController(Controller):
    """The pharmacy counter: assisted booking and today's video consultations booked here."""

    path = "/staff/counter"
    guards = [requires(Role.PHARMACIST)]
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def counter(self, request: Request, db: Session) -> Template:
        """Today's video consultations booked by this pharmacist, with their join links."""
        identity = identity_of(request)
        assert identity is not None
        site = _site(db)
        zone = ZoneInfo(site.timezone)
        today = _today(request, zone)
        rows = agenda_service.agenda(db, site.id or 0, _midnight(today, zone),
                                     _midnight(today + dt.timedelta(days=1), zone),
                                     include_cancelled=False, booked_by=identity.user.id,
                                     mode=Mode.VIDEO)
        audit_sync(request, "read_counter", "account", identity.user.id)
        return page("staff/counter.html", section="counter", rows=rows, zone=zone, today=today)
