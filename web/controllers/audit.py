"""Managers (and the administrator) search the audit trail and see whether its hash chain holds."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from litestar import Controller, Request, get
from litestar.response import Template
from sqlmodel import Session, col, select

from planner import audit
from planner.auth.roles import AUDIT_READERS
from planner.models import Site
from web.auth import audit_sync, requires
from web.templating import page


class AuditController(Controller):
    """The audit search page."""

    path = "/staff/audit"
    guards = [requires(AUDIT_READERS)]
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def search(self, request: Request, db: Session, actor: str = "", action: str = "",
               object_type: str = "", outcome: str = "") -> Template:
        """The newest 200 rows matching the filters, and the chain check."""
        query = audit.AuditQuery(actor=actor[:200], action=action[:60], object_type=object_type[:60],
                                 outcome=outcome[:20])
        audit_sync(request, "audit_search", "audit", "")
        site = db.exec(select(Site).order_by(col(Site.id)).limit(1)).first()
        return page("staff/audit.html", section="audit", query=query,
                    events=audit.search(db, query), chain=audit.verify_chain(db),
                    zone=ZoneInfo(site.timezone if site else "Europe/Paris"))
