"""The patient's manage link: see, add to calendar, cancel, move, waitlist; waitlist offers."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.response import Redirect, Template
from sqlmodel import Session

from planner.booking import booking as booking_service
from planner.booking import waitlist
from planner.booking.availability import site_zone
from planner.booking.errors import NotActive, NotFound, OfferUnavailable, SlotUnavailable, TooLateToChange
from planner.booking.mail.ics import appointment_ics
from planner.booking.manage_links import manage_token, read_manage_token, read_offer_token
from planner.booking.views import AppointmentView, appointment_view
from planner.models import Slot, StaffMember
from web.controllers.booking_common import LocalFormat, clock, links_for
from web.controllers.booking_pages import FormData, week_context
from web.templating import page


def appointment_id_of(request: Request, token: str) -> int:
    appointment_id = read_manage_token(links_for(request).key, token)
    if appointment_id is None:
        raise NotFoundException()
    return appointment_id


def appointment_or_404(db: Session, appointment_id: int) -> AppointmentView:
    try:
        return appointment_view(db, appointment_id)
    except NotFound:
        raise NotFoundException() from None


def _manage(token: str, notice: str = "") -> Redirect:
    suffix = f"?notice={notice}" if notice else ""
    return Redirect(f"/book/manage/{token}{suffix}", status_code=303)


class ManageAppointmentController(Controller):
    """Pages behind a signed manage link (the token is the only key)."""

    path = "/book/manage/{token:str}"
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def show(self, request: Request, db: Session, state: State, token: str,
             booked: bool = False, notice: str = "") -> Template:
        """The appointment, what can still be done, and whom to call after the cut-off."""
        view = appointment_or_404(db, appointment_id_of(request, token))
        now = clock(state)
        links = links_for(request)
        entry = waitlist.latest_entry(db, view.id)
        return page("booking/manage.html", view=view, token=token, booked=booked, notice=notice,
                    can_change=view.can_change(now), fmt=LocalFormat(view.timezone),
                    manage_url=links.manage_url(view.id), waitlist_entry=entry,
                    site=view.site, upcoming=view.starts_at > now)

    @get("/appointment.ics", sync_to_thread=True)
    def ics(self, request: Request, db: Session, token: str) -> Response[bytes]:
        """The appointment as a calendar file."""
        view = appointment_or_404(db, appointment_id_of(request, token))
        method = "PUBLISH" if view.active else "CANCEL"
        body = appointment_ics(view, method, links_for(request).manage_url(view.id))
        return Response(body.encode(), media_type="text/calendar; charset=utf-8",
                        headers={"content-disposition": 'attachment; filename="rendez-vous.ics"'})

    @post("/cancel", sync_to_thread=True)
    def cancel(self, request: Request, state: State, token: str) -> Redirect:
        """Cancel, then show the page again with the outcome."""
        appointment_id = appointment_id_of(request, token)
        try:
            booking_service.cancel(state.engine, appointment_id, links=links_for(request),
                                   now=clock(state))
        except TooLateToChange:
            return _manage(token, "too_late")
        except NotActive:
            return _manage(token, "already_cancelled")
        except NotFound:
            raise NotFoundException() from None
        return _manage(token, "cancelled")

    @get("/move", sync_to_thread=True)
    def move_grid(self, request: Request, db: Session, state: State, token: str,
                  week: str | None = None, clinician: int | None = None) -> Template | Redirect:
        """Free slots of the same motif to move to."""
        view = appointment_or_404(db, appointment_id_of(request, token))
        now = clock(state)
        if not view.can_change(now):
            return _manage(token, "too_late")
        context = week_context(db, view.motif, now, week, clinician, exclude_slot_id=view.slot_id)
        context.update(grid_url=f"/book/manage/{token}/move", slot_url=f"/book/manage/{token}/move/",
                       moving=view, back_url=f"/book/manage/{token}")
        if request.headers.get("hx-request") == "true":
            return page("booking/_week_grid.html", **context)
        return page("booking/week.html", **context)

    @get("/move/{slot_id:int}", sync_to_thread=True)
    def move_confirm(self, request: Request, db: Session, state: State, token: str,
                     slot_id: int) -> Template:
        """Confirm the new time."""
        view = appointment_or_404(db, appointment_id_of(request, token))
        slot = db.get(Slot, slot_id)
        if slot is None or slot.motif_id != view.motif.id:
            raise NotFoundException()
        member = db.get(StaffMember, slot.staff_id)
        return page("booking/move_confirm.html", view=view, slot=slot, clinician=member, token=token,
                    fmt=LocalFormat(view.timezone), taken=False)

    @post("/move/{slot_id:int}", sync_to_thread=True, status_code=200)
    def move(self, request: Request, db: Session, state: State, token: str,
             slot_id: int) -> Template | Redirect:
        """Move the appointment; if the slot went meanwhile, say so."""
        appointment_id = appointment_id_of(request, token)
        try:
            booking_service.move(state.engine, appointment_id, slot_id, links=links_for(request),
                                 now=clock(state))
        except TooLateToChange:
            return _manage(token, "too_late")
        except NotActive:
            return _manage(token, "already_cancelled")
        except NotFound:
            raise NotFoundException() from None
        except SlotUnavailable:
            view = appointment_or_404(db, appointment_id)
            slot = db.get(Slot, slot_id)
            response = page("booking/move_confirm.html", view=view, slot=slot, token=token,
                            clinician=db.get(StaffMember, slot.staff_id) if slot else None,
                            fmt=LocalFormat(view.timezone), taken=True)
            response.status_code = 409
            return response
        return _manage(token, "moved")

    @post("/waitlist", sync_to_thread=True)
    def join_waitlist(self, request: Request, state: State, token: str, data: FormData) -> Redirect:
        """Ask to be told when an earlier slot opens (or stop asking)."""
        appointment_id = appointment_id_of(request, token)
        if data.get("action") == "leave":
            waitlist.leave(state.engine, appointment_id)
            return _manage(token, "waitlist_left")
        try:
            waitlist.join(state.engine, appointment_id, now=clock(state))
        except NotActive:
            return _manage(token, "already_cancelled")
        return _manage(token, "waitlist_joined")


class WaitlistOfferController(Controller):
    """A waitlist offer received by e-mail."""

    path = "/book/offer/{token:str}"
    include_in_schema = False

    def _offer(self, request: Request, db: Session, token: str) -> tuple[int, int]:
        ids = read_offer_token(links_for(request).key, token)
        if ids is None:
            raise NotFoundException()
        try:
            waitlist.offer_details(db, *ids)
        except NotFound:
            raise NotFoundException() from None
        return ids

    @get("/", sync_to_thread=True)
    def show(self, request: Request, db: Session, state: State, token: str) -> Template:
        """The offered time, and a button to take it."""
        entry_id, slot_id = self._offer(request, db, token)
        entry, slot = waitlist.offer_details(db, entry_id, slot_id)
        view = appointment_or_404(db, entry.appointment_id)
        tz = site_zone(db, view.motif.site_id)
        return page("booking/offer.html", view=view, slot=slot, token=token,
                    manage_token=manage_token(links_for(request).key, view.id),
                    clinician=db.get(StaffMember, slot.staff_id), fmt=LocalFormat(tz),
                    open=waitlist.offer_is_open(entry, slot_id, clock(state)), taken=False)

    @post("/", sync_to_thread=True, status_code=200)
    def accept(self, request: Request, db: Session, state: State, token: str) -> Template | Redirect:
        """Take the offered slot: the appointment moves there."""
        entry_id, slot_id = self._offer(request, db, token)
        links = links_for(request)
        try:
            view = waitlist.accept_offer(state.engine, entry_id, slot_id, links=links, now=clock(state))
        except OfferUnavailable:
            entry, slot = waitlist.offer_details(db, entry_id, slot_id)
            view = appointment_or_404(db, entry.appointment_id)
            response = page("booking/offer.html", view=view, slot=slot, token=token,
                            manage_token=manage_token(links.key, view.id),
                            clinician=db.get(StaffMember, slot.staff_id),
                            fmt=LocalFormat(view.timezone), open=False, taken=True)
            response.status_code = 409
            return response
        return Redirect(links.manage_url(view.id).replace(links.base_url.rstrip("/"), "")
                        + "?notice=moved", status_code=303)
