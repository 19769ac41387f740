"""Calendar feeds: each staff member makes, replaces and revokes their own secret addresses, and
calendar apps read them at ``/calendar/<secret>.ics`` (they cannot sign in)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Response, Template
from sqlmodel import Session

from planner import audit
from planner import calendar_feeds as feeds
from planner.auth.roles import HAS_OWN_CALENDAR
from planner.models import CalendarFeed, FeedKind, StaffMember
from web.auth import audit_sync, identity_of, refuse, request_id_of, requires, see_other
from web.controllers.booking_common import base_url, clock
from web.templating import page

FormData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]
FEED_PATH = "/calendar"
GONE = "This calendar address does not exist or was revoked. Make a new one in Créneau (My calendar)."


def feed_url(request: Request, secret: str) -> str:
    """The full address a calendar app subscribes to."""
    return f"{base_url(request)}{FEED_PATH}/{secret}.ics"


class CalendarFeedController(Controller):
    """What calendar apps read: the secret is the only credential."""

    path = FEED_PATH
    include_in_schema = False

    @get("/{feed_name:str}", sync_to_thread=True)
    def feed(self, request: Request, db: Session, feed_name: str) -> Response[bytes]:
        """The feed's iCalendar file; 404 for an unknown or revoked address (the same answer)."""
        secret = feed_name.removesuffix(".ics")
        row = feeds.resolve(db, secret) if feed_name.endswith(".ics") else None
        if row is None:
            audit.record(request.app.state.engine, actor="anonymous", action="calendar_read",
                         object_type="calendar_feed", outcome="refused", request_id=request_id_of(request))
            raise NotFoundException(GONE)
        now = clock(request.app.state)
        member = db.get(StaffMember, row.staff_id)
        today = now.astimezone(feeds.site_zone(db, member)).date() if member else now.date()
        try:
            body = feeds.render(db, row, today, f"{base_url(request)}/staff/day")
        except LookupError as exc:
            raise NotFoundException(GONE) from exc
        db.commit()  # last_used_at
        audit.record(request.app.state.engine, actor=f"calendar-feed:{row.id}", action="calendar_read",
                     object_type="staff", object_id=row.staff_id, request_id=request_id_of(request))
        return Response(body, media_type="text/calendar; charset=utf-8",
                        headers={"Cache-Control": "private, max-age=300"})


class MyCalendarController(Controller):
    """A staff member's own calendar addresses."""

    path = "/staff/calendar"
    guards = [requires(HAS_OWN_CALENDAR)]
    include_in_schema = False

    def _member(self, request: Request, db: Session) -> StaffMember:
        identity = identity_of(request)
        member = db.get(StaffMember, identity.staff_id) if identity and identity.staff_id else None
        if member is None:
            raise NotFoundException("Your account is not linked to a staff member.")
        return member

    def _page(self, request: Request, db: Session, member: StaffMember, *, new_kind: str = "",
              new_url: str = "", done: str = "", status_code: int = 200) -> Template:
        active = feeds.active_feeds(db, member.id or 0)
        template = page("staff/calendar.html", section="calendar", kinds=feeds.kinds_for(member),
                        active=active, new_kind=new_kind, new_url=new_url, zone=feeds.site_zone(db, member),
                        done=done or request.query_params.get("done", ""))
        template.status_code = status_code
        return template

    @get("/", sync_to_thread=True)
    def show(self, request: Request, db: Session) -> Template:
        """Which addresses exist (never the secrets), and the buttons to make or revoke them."""
        return self._page(request, db, self._member(request, db))

    @post("/new", sync_to_thread=True, status_code=200)
    def create(self, request: Request, db: Session, data: FormData) -> Template:
        """A new address for one kind (the previous one stops working); shown on this page only."""
        member = self._member(request, db)
        try:
            kind = FeedKind(str(data.get("kind", "")))
            row, secret = feeds.create_feed(db, member, kind, identity_of(request).user.id)  # type: ignore[union-attr]
        except ValueError:
            return self._page(request, db, member, done="bad_kind", status_code=422)
        db.commit()
        audit_sync(request, "calendar_feed.create", "calendar_feed", row.id or "")
        return self._page(request, db, member, new_kind=kind.value, new_url=feed_url(request, secret))

    @post("/{feed_id:int}/revoke", sync_to_thread=True, status_code=303)
    def revoke(self, request: Request, db: Session, feed_id: int) -> Redirect:
        """Revoke one of one's own addresses."""
        member = self._member(request, db)
        row = db.get(CalendarFeed, feed_id) if 0 < feed_id < 2**63 else None
        if row is None or row.staff_id != member.id:
            raise refuse(request, "calendar_feed", feed_id, action="calendar_feed.revoke")
        feeds.revoke_feed(db, feed_id, identity_of(request).user.id)  # type: ignore[union-attr]
        db.commit()
        audit_sync(request, "calendar_feed.revoke", "calendar_feed", feed_id)
        return see_other("/staff/calendar?done=revoked")
