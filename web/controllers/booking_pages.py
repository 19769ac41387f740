"""Booking pages: choose a motif, see the week's free slots, give your identity, confirm.

Plain links and form posts first; htmx only swaps the week grid (previous/next week).
"""

from __future__ import annotations

import datetime as dt
import uuid
from itertools import groupby
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlalchemy import select
from sqlmodel import Session, col

from planner.booking import booking as booking_service
from planner.booking.availability import site_zone, unbookable_reason, week_view
from planner.booking.clock import monday_of
from planner.booking.errors import IdempotencyConflict, InvalidDetails, NotFound, SlotUnavailable
from planner.booking.identity import parse_booking_form
from planner.booking.manage_links import manage_token
from planner.directory import public_directory
from planner.models import Motif, Site, Slot, StaffMember
from web.controllers.booking_common import LocalFormat, clock, field_message, links_for
from web.i18n import current_locale
from web.templating import page

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


def motif_by_code(db: Session, code: str) -> Motif:
    """The active motif ``code`` or 404."""
    motif = db.execute(select(Motif).where(Motif.code == code, col(Motif.active))).scalars().first()
    if motif is None:
        raise NotFoundException()
    return motif


def _week_param(value: str | None, today: dt.date) -> dt.date:
    try:
        return monday_of(dt.date.fromisoformat(value)) if value else monday_of(today)
    except ValueError:
        return monday_of(today)


def week_context(db: Session, motif: Motif, now: dt.datetime, week: str | None,
                 clinician: int | None, exclude_slot_id: int | None = None) -> dict[str, Any]:
    """What the week grid shows (used by the booking and the move pages)."""
    tz = site_zone(db, motif.site_id)
    today = now.astimezone(tz).date()
    monday = max(_week_param(week, today), monday_of(today))
    view = week_view(db, motif, monday, now, staff_id=clinician, exclude_slot_id=exclude_slot_id)
    if not week and view.is_empty and view.next_free is not None:  # open on the first free week
        monday = monday_of(view.next_free.local_start(tz).date())
        view = week_view(db, motif, monday, now, staff_id=clinician, exclude_slot_id=exclude_slot_id)
    clinicians = db.execute(select(StaffMember).where(
        StaffMember.site_id == motif.site_id, StaffMember.profession == motif.profession,
        col(StaffMember.holds_sessions), col(StaffMember.active))
        .order_by(StaffMember.family_name)).scalars().all()
    last_week = monday_of(today + dt.timedelta(days=motif.horizon_days))
    return {
        "motif": motif, "week": view, "fmt": LocalFormat(tz), "today": today,
        "previous_week": monday - dt.timedelta(days=7) if monday > monday_of(today) else None,
        "next_week": monday + dt.timedelta(days=7) if monday < last_week else None,
        "clinicians": clinicians, "clinician": clinician,
        "week_end": monday + dt.timedelta(days=6),
    }


class BookingPagesController(Controller):
    """The patient's way through booking."""

    path = "/book"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def choose_motif(self, db: Session) -> Template:
        """Step 1: the reason for the visit, grouped by profession."""
        directory = public_directory(db)
        groups = [(profession, list(motifs)) for profession, motifs in
                  groupby(directory.motifs, key=lambda m: m.profession)]
        return page("booking/motifs.html", site=directory.site, groups=groups)

    @get("/{code:str}", sync_to_thread=True)
    def choose_slot(self, request: Request, db: Session, state: State, code: str,
                    week: str | None = None, clinician: int | None = None) -> Template:
        """Step 2: the free slots of a week; htmx asks for the grid alone."""
        motif = motif_by_code(db, code)
        context = week_context(db, motif, clock(state), week, clinician)
        context["grid_url"] = f"/book/{motif.code}"
        context["slot_url"] = f"/book/{motif.code}/slot/"
        if request.headers.get("hx-request") == "true":
            return page("booking/_week_grid.html", **context)
        return page("booking/week.html", **context)

    @get("/{code:str}/slot/{slot_id:int}", sync_to_thread=True)
    def identity_form(self, db: Session, state: State, code: str, slot_id: int) -> Template:
        """Step 3: who the appointment is for."""
        return self._identity_page(db, state, code, slot_id, values={}, errors={},
                                   key=uuid.uuid4().hex)

    @post("/{code:str}/slot/{slot_id:int}", sync_to_thread=True, status_code=200)
    def book(self, request: Request, db: Session, state: State, code: str, slot_id: int,
             data: FormData) -> Template | Redirect:
        """Step 4: book, then show the confirmation (an idempotency key makes retries safe)."""
        now = clock(state)
        key = str(data.get("idempotency_key") or "")[:100] or uuid.uuid4().hex
        values = {k: str(v) for k, v in data.items() if k != "_csrf"}
        try:
            patient, reason = parse_booking_form(data, now.astimezone(dt.UTC).date())
        except InvalidDetails as invalid:
            errors = {field: field_message(field, code_) for field, code_ in invalid.errors.items()}
            response = self._identity_page(db, state, code, slot_id, values, errors, key)
            response.status_code = 422
            return response
        links = links_for(request)
        try:
            result = booking_service.book(state.engine, slot_id=slot_id, patient=patient, links=links,
                                          idempotency_key=key, reason=reason,
                                          locale=current_locale.get(), now=now,
                                          booked_by=_staff_booker(request))
        except NotFound:
            raise NotFoundException() from None
        except (SlotUnavailable, IdempotencyConflict):
            response = self._identity_page(db, state, code, slot_id, values, {}, uuid.uuid4().hex,
                                           taken=True)
            response.status_code = 409
            return response
        token = manage_token(links.key, result.view.id)
        return Redirect(f"/book/manage/{token}?booked=1", status_code=303)

    def _identity_page(self, db: Session, state: State, code: str, slot_id: int,
                       values: dict[str, str], errors: dict[str, str], key: str,
                       taken: bool = False) -> Template:
        motif = motif_by_code(db, code)
        slot = db.get(Slot, slot_id)
        if slot is None or slot.motif_id != motif.id:
            raise NotFoundException()
        now = clock(state)
        if not taken and (unbookable_reason(slot, motif, now) or _is_taken(db, slot_id)):
            taken = True
        member = db.get(StaffMember, slot.staff_id)
        site = db.get(Site, motif.site_id)
        tz = site_zone(db, motif.site_id)
        return page("booking/identity.html", motif=motif, slot=slot, clinician=member, site=site,
                    fmt=LocalFormat(tz), values=values, errors=errors, idempotency_key=key,
                    taken=taken, week=monday_of(slot.starts_at.astimezone(tz).date()))


def _is_taken(db: Session, slot_id: int) -> bool:
    from planner.booking.availability import active_appointment_exists

    return db.execute(select(Slot.id).where(Slot.id == slot_id, active_appointment_exists())).first() \
        is not None


def _staff_booker(request: Request) -> int | None:
    """The signed-in staff account booking for a patient (front desk, pharmacy counter), if any."""
    from web.auth import identity_of

    identity = identity_of(request)
    return identity.user.id if identity and identity.session.second_factor_ok else None
