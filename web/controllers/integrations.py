"""The administrator's integrations page: API tokens of system clients, every staff calendar
address, and the daily jobs' last runs."""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlmodel import Session, col, select

from planner import calendar_feeds as feeds
from planner import maintenance
from planner.auth.roles import INTEGRATION_ADMINS
from planner.fhir import tokens
from planner.models import Site
from web.auth import audit_sync, identity_of, requires, see_other
from web.templating import page

FormData = Annotated[dict[str, list[str] | str], Body(media_type=RequestEncodingType.URL_ENCODED)]
PATH = "/staff/integrations"


def _site(db: Session) -> Site:
    site = db.exec(select(Site).order_by(col(Site.id)).limit(1)).first()
    if site is None:
        raise NotFoundException("No site.")
    return site


def _values(data: dict[str, Any], name: str) -> list[str]:
    value = data.get(name, [])
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


class IntegrationsController(Controller):
    """API tokens, calendar addresses and daily jobs, for the administrator."""

    path = PATH
    guards = [requires(INTEGRATION_ADMINS)]
    include_in_schema = False

    def _page(self, request: Request, db: Session, *, status_code: int = 200, **extra: object) -> Template:
        site = _site(db)
        settings = request.app.state.settings
        template = page("staff/integrations.html", section="integrations",
                        api_tokens=tokens.list_tokens(db), scopes=tokens.SCOPES,
                        feeds=feeds.site_feeds(db, site.id or 0), runs=maintenance.recent_runs(db),
                        zone=ZoneInfo(site.timezone), retention_days=settings.retention_days,
                        maintenance_hour=settings.maintenance_hour,
                        jobs_on=settings.maintenance_interval_seconds > 0,
                        done=request.query_params.get("done", ""), **extra)
        template.status_code = status_code
        return template

    @get("/", sync_to_thread=True)
    def show(self, request: Request, db: Session) -> Template:
        """The three lists (never a secret)."""
        return self._page(request, db)

    @post("/tokens", sync_to_thread=True, status_code=200)
    def create_token(self, request: Request, db: Session, data: FormData) -> Template:
        """A new API token, shown on this answer only."""
        name = _values(data, "name")[0].strip() if data.get("name") else ""
        chosen = _values(data, "scope")
        errors = {}
        if not name or len(name) > 100:
            errors["name"] = "name"
        try:
            tokens.check_scopes(chosen)
        except tokens.UnknownScopeError:
            errors["scope"] = "scope"
        if errors:
            return self._page(request, db, status_code=422, errors=errors, form_name=name[:100],
                              form_scopes=chosen)
        row, secret = tokens.create_token(db, name, chosen)
        db.commit()
        audit_sync(request, "api_token.create", "ApiToken", row.id or "")
        return self._page(request, db, new_token=secret, new_token_name=row.name)

    @post("/tokens/{token_id:int}/revoke", sync_to_thread=True, status_code=303)
    def revoke_token(self, request: Request, db: Session, token_id: int) -> Redirect:
        """Revoke a token: the client's next call gets 401."""
        if not 0 < token_id < 2**63 or tokens.revoke_token(db, token_id) is None:
            raise NotFoundException("No such API token.")
        db.commit()
        audit_sync(request, "api_token.revoke", "ApiToken", token_id)
        return see_other(f"{PATH}?done=token_revoked")

    @post("/feeds/{feed_id:int}/revoke", sync_to_thread=True, status_code=303)
    def revoke_feed(self, request: Request, db: Session, feed_id: int) -> Redirect:
        """Revoke any staff member's calendar address (a lost phone, someone who left)."""
        identity = identity_of(request)
        if feeds.revoke_feed(db, feed_id, identity.user.id if identity else None) is None:
            raise NotFoundException("No such calendar address.")
        db.commit()
        audit_sync(request, "calendar_feed.revoke", "calendar_feed", feed_id)
        return see_other(f"{PATH}?done=feed_revoked")
