"""The home page and the health endpoint."""

from __future__ import annotations

from itertools import groupby

from litestar import Controller, MediaType, get
from litestar.datastructures import State
from litestar.response import Response, Template
from sqlalchemy import text
from sqlmodel import Session

from planner.directory import public_directory
from web.templating import page


class HomeController(Controller):
    """Pages that every visitor can see."""

    include_in_schema = False

    @get("/", sync_to_thread=True)
    def home(self, db: Session) -> Template:
        """Route each kind of visitor: patients, clinicians, managers."""
        directory = public_directory(db)
        team = [(profession, list(members)) for profession, members in
                groupby(directory.clinicians, key=lambda member: member.profession)]
        return page(
            "home.html", site=directory.site, motifs=directory.motifs, team=team,
            clinician_count=len(directory.clinicians),
            video_count=sum(1 for motif in directory.motifs if motif.mode == "video"),
        )


class HealthController(Controller):
    """Liveness and readiness for operators and load balancers."""

    @get("/health", media_type=MediaType.JSON, sync_to_thread=True, tags=["operations"],
         summary="Service health")
    def health(self, state: State) -> Response[dict[str, str]]:
        """Report whether the service and its database answer."""
        try:
            with Session(state.engine) as session:
                session.execute(text("SELECT 1"))
            database = "ok"
        except Exception:  # noqa: BLE001 - any failure means "not ready"
            database = "unreachable"
        status = "ok" if database == "ok" else "degraded"
        return Response({"status": status, "database": database},
                        status_code=200 if status == "ok" else 503)
