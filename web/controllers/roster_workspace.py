"""The manager's roster workspace: generate (background solve, live progress), grid, pin, re-solve,
compare, publish, exports."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import quote

import anyio
from litestar import Controller, Litestar, Request, get, post
from litestar.channels import ChannelsPlugin
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import Body
from litestar.response import Redirect, Response, ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage
from sqlmodel import Session, col, select

from planner.auth.roles import ROSTER_MANAGERS
from planner.demo import period_start
from planner.models import Roster, RosterStatus, Site
from planner.rostering import exports, service
from planner.rostering.past import days_over
from planner.rostering.service import JobRegistry, ProgressEvent, RosterError, RosterJob
from planner.rostering.stop_requests import request_stop
from web.auth import audit_sync, requires, see_other
from web.i18n import gettext_ as _
from web.live import ThreadPublisher
from web.templating import page

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
DEFAULT_TIME_LIMIT = 20
DONE_LINGER_SECONDS = 3.0
FINISHED = {"optimal", "feasible", "infeasible", "unknown", "model_invalid", "error"}


def channel_of(roster_id: int) -> str:
    """The channel a roster's solve progress is published on."""
    return f"roster-solve:{roster_id}"


def jobs_of(app: Litestar) -> JobRegistry:
    """The solves running in this worker."""
    if not hasattr(app.state, "roster_jobs"):
        app.state.roster_jobs = JobRegistry()
    return app.state.roster_jobs


def _limits(app: Litestar) -> dict[int, float]:
    if not hasattr(app.state, "solve_limits"):
        app.state.solve_limits = {}
    return app.state.solve_limits


def stop_roster_jobs(app: Litestar) -> None:
    """Shutdown hook: stop every running solve."""
    if hasattr(app.state, "roster_jobs"):
        app.state.roster_jobs.stop_all()


def _site(db: Session) -> Site:
    site = db.exec(select(Site).order_by(col(Site.id)).limit(1)).first()
    if site is None:
        raise NotFoundException("No site.")
    return site


def _roster(db: Session, roster_id: int) -> Roster:
    roster = db.get(Roster, roster_id)
    if roster is None:
        raise NotFoundException("No such roster.")
    return roster


def _progress_html(event: dict[str, Any], time_limit: float | None) -> str:
    def fmt(value: object) -> str:
        return "—" if value is None else f"{float(value):.0f}"  # type: ignore[arg-type]
    seconds = float(event.get("seconds") or 0)
    share = min(100, int(100 * seconds / time_limit)) if time_limit else 0
    return (
        f'<dl class="solve-stats"><div><dt>{_("Best cost")}</dt><dd data-testid="best">'
        f'{fmt(event.get("objective"))}</dd></div><div><dt>{_("Lower bound")}</dt>'
        f'<dd data-testid="bound">{fmt(event.get("bound"))}</dd></div><div><dt>{_("Elapsed time")}</dt>'
        f'<dd data-testid="seconds">{seconds:.1f} s</dd></div></dl>'
        f'<div class="solve-bar" role="presentation"><span class="solve-bar-fill w{share // 5 * 5}">'
        f'</span></div>'
    )


class RosterWorkspaceController(Controller):
    """Rosters of the site, for managers."""

    path = "/staff/roster"
    guards = [requires(ROSTER_MANAGERS)]
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def index(self, db: Session, request: Request) -> Template:
        """Versions and the form to generate a roster."""
        site = _site(db)
        rosters = db.exec(select(Roster).where(Roster.site_id == site.id)
                          .order_by(col(Roster.start_date).desc(), col(Roster.version).desc())).all()
        today = dt.date.today()
        return page("staff/roster_index.html", section="roster", rosters=rosters,
                    default_start=period_start(today) + dt.timedelta(days=7 if today.weekday() else 0),
                    error=request.query_params.get("error", ""))

    @post("/generate", status_code=303)
    async def generate(self, request: Request, channels: ChannelsPlugin,
                       data: Annotated[dict[str, Any], FORM]) -> Redirect | Template:
        """Create a draft for a period and solve it in the background."""
        try:
            start = dt.date.fromisoformat(str(data.get("start", "")))
            weeks = int(data.get("weeks", 4))
            limit = float(data.get("time_limit", DEFAULT_TIME_LIMIT))
            if not 1 <= weeks <= 12 or not 1 <= limit <= 300:
                raise ValueError
        except ValueError:
            return see_other("/staff/roster?error=" + quote(_(
                "Check the start date, the number of weeks (1 to 12) and the time limit (1 to 300 s).")))

        def create() -> int:
            with Session(request.app.state.engine, expire_on_commit=False) as db:
                roster = service.new_version(db, _site(db).id or 0, start, weeks * 7)
                return roster.id or 0

        roster_id = await anyio.to_thread.run_sync(create)
        await anyio.to_thread.run_sync(lambda: audit_sync(request, "roster_generate", "roster", roster_id))
        self._start(request, channels, roster_id, limit)
        return see_other(f"/staff/roster/{roster_id}")

    @staticmethod
    def _start(request: Request, channels: ChannelsPlugin, roster_id: int, limit: float) -> None:
        publisher = ThreadPublisher(channels, asyncio.get_running_loop())

        def forward(event: ProgressEvent) -> None:
            publisher.publish(json.dumps({
                "seconds": event.seconds, "objective": event.objective, "bound": event.bound,
                "done": event.done, "status": event.status, "limit": limit}), channel_of(roster_id))

        jobs_of(request.app).start(RosterJob(request.app.state.engine, roster_id, time_limit=limit,
                                             workers=2, on_progress=forward))
        _limits(request.app)[roster_id] = limit

    @get("/{roster_id:int}", sync_to_thread=True)
    def show(self, db: Session, request: Request, roster_id: int) -> Template:
        """The grid (or the live progress while solving)."""
        roster = _roster(db, roster_id)
        view = service.roster_view(db, roster)
        versions = db.exec(select(Roster).where(
            Roster.site_id == roster.site_id, Roster.start_date == roster.start_date,
            Roster.days == roster.days).order_by(col(Roster.version))).all()
        edit_staff = request.query_params.get("staff")
        edit_day = request.query_params.get("day")
        return page("staff/roster.html", section="roster", view=view, roster=roster,
                    versions=versions, solving=roster.solver_status not in FINISHED,
                    edit_staff=int(edit_staff) if edit_staff and edit_staff.isdigit() else None,
                    edit_day=edit_day or "", error=request.query_params.get("error", ""),
                    time_limit=_limits(request.app).get(roster_id),
                    worked_until=_worked_until(roster, dt.date.today()))

    @get("/{roster_id:int}/progress")
    async def progress(self, request: Request, channels: ChannelsPlugin,
                       roster_id: int) -> ServerSentEvent:
        """Server-sent events: ``progress`` (HTML of best cost, bound, time), then ``done``."""
        engine = request.app.state.engine
        limit = _limits(request.app).get(roster_id)

        def current() -> dict[str, Any] | None:
            with Session(engine) as db:
                roster = db.get(Roster, roster_id)
                if roster is None:
                    return None
                return {"seconds": roster.solve_seconds or 0, "objective": roster.objective,
                        "bound": roster.bound, "status": roster.solver_status,
                        "done": roster.solver_status in FINISHED}

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            async with channels.start_subscription([channel_of(roster_id)]) as subscriber:
                queue: asyncio.Queue[bytes] = asyncio.Queue()

                async def pump() -> None:
                    async for raw in subscriber.iter_events():
                        queue.put_nowait(raw)

                pumping = asyncio.create_task(pump())
                try:
                    state = await anyio.to_thread.run_sync(current)
                    if state is None:
                        return
                    yield ServerSentEventMessage(event="progress", data=_progress_html(state, limit))
                    while not state.get("done"):
                        try:
                            state = json.loads(await asyncio.wait_for(queue.get(), timeout=2.0))
                        except TimeoutError:
                            state = await anyio.to_thread.run_sync(current) or {"done": True}
                        yield ServerSentEventMessage(event="progress", data=_progress_html(state, limit))
                    yield ServerSentEventMessage(event="done", data=(
                        f'<a href="/staff/roster/{roster_id}">{_("Show the roster")}</a>'))
                    # keep the stream open a moment: the page reloads itself and closes it (a
                    # stream closed by the server makes the browser log an error and reconnect)
                    await asyncio.sleep(DONE_LINGER_SECONDS)
                finally:
                    pumping.cancel()
                    with contextlib.suppress(BaseException):
                        await pumping

        return ServerSentEvent(stream())

    @post("/{roster_id:int}/stop", status_code=303, sync_to_thread=True)
    def stop(self, request: Request, db: Session, roster_id: int) -> Redirect:
        """Stop the solve; the best roster found so far is kept."""
        _roster(db, roster_id)
        if not jobs_of(request.app).stop(roster_id):  # not solving in this worker: maybe in another
            request_stop(request.app.state.engine, roster_id)
        audit_sync(request, "roster_stop", "roster", roster_id)
        return see_other(f"/staff/roster/{roster_id}")

    @post("/{roster_id:int}/cell", status_code=303, sync_to_thread=True)
    def set_cell(self, request: Request, db: Session, roster_id: int,
                 data: Annotated[dict[str, Any], FORM]) -> Redirect:
        """Pin one cell to a shift or a day off."""
        try:
            staff_id = int(data.get("staff_id", 0))
            day = dt.date.fromisoformat(str(data.get("day", "")))
            shift = str(data.get("shift", ""))
            shift_id = None if shift in ("", "off") else int(shift)
            if data.get("action") == "unpin":
                service.unpin_cell(db, roster_id, staff_id, day)
            else:
                service.set_cell(db, roster_id, staff_id, day, shift_id)
        except (ValueError, RosterError) as error:
            message = _(str(error)) if isinstance(error, RosterError) else _(
                "Choose a person, a day and a shift.")
            return see_other(f"/staff/roster/{roster_id}?error={quote(message)}")
        audit_sync(request, "roster_pin", "roster", roster_id)
        return see_other(f"/staff/roster/{roster_id}#grid")

    @post("/{roster_id:int}/resolve", status_code=303)
    async def resolve(self, request: Request, channels: ChannelsPlugin, roster_id: int,
                      data: Annotated[dict[str, Any], FORM]) -> Redirect:
        """A new version that keeps the pins and changes as little as possible."""
        try:
            limit = min(300.0, max(1.0, float(data.get("time_limit", DEFAULT_TIME_LIMIT))))
        except ValueError:
            limit = DEFAULT_TIME_LIMIT

        def create() -> int:
            with Session(request.app.state.engine, expire_on_commit=False) as db:
                parent = _roster(db, roster_id)
                roster = service.new_version(db, parent.site_id, parent.start_date, parent.days, parent)
                return roster.id or 0

        new_id = await anyio.to_thread.run_sync(create)
        await anyio.to_thread.run_sync(lambda: audit_sync(request, "roster_resolve", "roster", new_id))
        self._start(request, channels, new_id, limit)
        return see_other(f"/staff/roster/{new_id}")

    @get("/{roster_id:int}/compare", sync_to_thread=True)
    def compare(self, db: Session, roster_id: int, other: int | None = None) -> Template:
        """Cells that differ from the previous version (or from ``other``)."""
        roster = _roster(db, roster_id)
        other_id = other or roster.parent_id
        before = _roster(db, other_id) if other_id else None
        changes = service.compare(db, roster, before) if before else []
        return page("staff/roster_compare.html", section="roster", roster=roster, before=before,
                    changes=changes)

    @post("/{roster_id:int}/publish", status_code=303, sync_to_thread=True)
    def publish(self, request: Request, db: Session, roster_id: int) -> Redirect:
        """Publish the version: staff see it in their day and their calendar."""
        try:
            service.publish(db, roster_id)
        except RosterError as error:
            return see_other(f"/staff/roster/{roster_id}?error={quote(_(str(error)))}")
        audit_sync(request, "roster_publish", "roster", roster_id)
        return see_other(f"/staff/roster/{roster_id}?published=1")

    @get("/{roster_id:int}/export.csv", sync_to_thread=True)
    def export_csv(self, request: Request, db: Session, roster_id: int) -> Response[str]:
        """The roster as CSV (published rosters only)."""
        roster = _roster(db, roster_id)
        if roster.status != RosterStatus.PUBLISHED:
            audit_sync(request, "roster_export", "roster", roster_id, outcome="refused")
            raise PermissionDeniedException(_("Only a published roster can be exported."))
        audit_sync(request, "roster_export", "roster", roster_id)
        name = f"roster-{roster.start_date.isoformat()}-v{roster.version}.csv"
        return Response(exports.roster_csv(db, roster), media_type="text/csv; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{name}"'})


def _worked_until(roster: Roster, today: dt.date) -> dt.date | None:
    """The first day a re-solve may change, when the period has started (the days before are
    over and keep their shifts: see :func:`planner.rostering.past.worked_pins`)."""
    over = days_over(roster.start_date, roster.days, today)
    return roster.start_date + dt.timedelta(days=over) if over else None


class ShiftColoursController(Controller):
    """One colour per shift type, as a stylesheet (the CSP forbids inline styles)."""

    path = "/staff/shift-colours.css"
    include_in_schema = False

    @get("/", sync_to_thread=True, cache=60)
    def colours(self, db: Session) -> Response[str]:
        """``.shift-<id>`` classes with each shift type's colour."""
        import re

        from planner.models import ShiftType

        lines = []
        for shift in db.exec(select(ShiftType)):
            colour = shift.colour if re.fullmatch(r"#[0-9a-fA-F]{3,8}", shift.colour) else "#4c6ef5"
            lines.append(f".shift-{shift.id} {{ background: {colour}; color: #fff; }}")
            lines.append(f".shift-dot-{shift.id} {{ background: {colour}; }}")
        return Response("\n".join(lines) + "\n", media_type="text/css; charset=utf-8")
