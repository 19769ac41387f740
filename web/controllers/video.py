"""Video consultations in the browser: join links, pages, the waiting room and signalling.

- ``GET /video/{id}/join?t=<manage token>``: the patient's link (the booking manage token). A
  short-lived join token is minted and kept in a cookie scoped to the consultation page, so it
  never appears in an address (nor in access logs).
- ``GET /video/{id}``: the patient's page (camera check, connection test, waiting room, call).
- ``GET /staff/video/{id}``: the clinician's page; ``/staff/video/{id}/assist``: a pharmacist
  joins on the patient's side of an appointment booked at the counter.
- ``/staff/video`` (+ ``/waiting-room``, ``/waiting-room/stream``): the clinician's waiting room.
- ``/api/v1/video/{room}/…``: signalling, authenticated by the join token in an
  ``Authorization: Bearer`` header (or a ``token`` field of the JSON body). No cookie is used, so
  these routes are exempt from the staff CSRF check.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import anyio
from babel.dates import format_date
from litestar import Controller, Request, get, post
from litestar.channels import ChannelsPlugin
from litestar.exceptions import HTTPException, NotFoundException, PermissionDeniedException
from litestar.params import Parameter
from litestar.response import Redirect, Response, ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage
from sqlmodel import Session

from planner.auth.roles import HAS_OWN_DAY
from planner.booking.manage_links import read_manage_token
from planner.models import Role
from planner.video import (
    VideoAppointment,
    mark_attended,
    staff_zone,
    video_appointment,
    video_appointments_of,
)
from telecon.errors import (
    BadSdp,
    NotAdmitted,
    NotAllowed,
    RoomBusy,
    RoomClosed,
    RoomClosedReason,
    TeleconError,
    TokenError,
    TokenErrorReason,
    UnknownRoom,
)
from telecon.rooms import EventKind, RoomState
from telecon.tokens import JoinClaims, issue_token
from telecon.tokens import Role as JoinRole
from web.auth import identity_of, record_refusal, requires
from web.errors import error_responses
from web.i18n import N_, babel_locale, current_locale
from web.i18n import gettext_ as _
from web.templating import page
from web.video_runtime import VideoRuntime, browser_ice_servers, join_secret, waiting_room_channel

T = TypeVar("T")

TOKEN_COOKIE = "creneau_video"
MAX_BODY_BYTES = 64 * 1024
KEEPALIVE_SECONDS = 15.0
PATIENT_SIDE_ROLES = (JoinRole.PATIENT, JoinRole.PHARMACIST)


# --- plumbing ----------------------------------------------------------------------------------


def runtime_of(request: Request) -> VideoRuntime:
    """The process's video runtime (created on startup)."""
    return request.app.state.video


async def _in_thread(request: Request, work: Callable[[Session], T]) -> T:
    engine = request.app.state.engine

    def run() -> T:
        with Session(engine, expire_on_commit=False) as db:
            return work(db)

    return await anyio.to_thread.run_sync(run)


async def load_appointment(request: Request, appointment_id: int) -> VideoAppointment:
    """The video appointment or 404 (unknown, or not a video motif)."""
    found = await _in_thread(request, lambda db: video_appointment(db, appointment_id))
    if found is None:
        raise NotFoundException("No video consultation has this number.")
    return found


def verify_manage_link(signing_key: bytes, token: str, appointment_id: int) -> bool:
    """Whether ``token`` is the booking manage token of ``appointment_id`` (booking's verifier)."""
    return bool(token) and read_manage_token(signing_key, token) == appointment_id


def mint(request: Request, appointment_id: int, role: JoinRole, person_id: object) -> str:
    """A short-lived join token for this room."""
    settings = request.app.state.settings
    return issue_token(join_secret(settings.signing_key()), str(appointment_id), role,
                       str(person_id), runtime_of(request).token_ttl_seconds)


def _api_error(status: int, reason: str, detail: str) -> HTTPException:
    return HTTPException(status_code=status, detail=detail, extra={"reason": reason})


def to_http(exc: TeleconError) -> HTTPException:
    """The HTTP answer to a telecon refusal (mapping documented in :mod:`telecon.errors`)."""
    if isinstance(exc, TokenError):
        if exc.code is TokenErrorReason.WRONG_ROOM:
            return _api_error(403, exc.reason, "This join token is for another consultation.")
        return _api_error(401, exc.reason, "A valid join token is required.")
    if isinstance(exc, NotAdmitted):
        return _api_error(409, exc.reason, "Waiting for the clinician to admit you.")
    if isinstance(exc, RoomBusy):
        return _api_error(409, exc.reason, "Somebody else holds this place in the consultation.")
    if isinstance(exc, NotAllowed):
        return _api_error(403, exc.reason, "Your role cannot do this in a consultation.")
    if isinstance(exc, RoomClosed):
        gone = exc.code in (RoomClosedReason.ENDED, RoomClosedReason.CANCELLED)
        return _api_error(410 if gone else 403, exc.reason, "The consultation room is not open.")
    if isinstance(exc, UnknownRoom):
        return _api_error(404, exc.reason, "No consultation room is open for this appointment.")
    if isinstance(exc, BadSdp):
        status = 413 if exc.reason == "too_large" else 400
        return _api_error(status, exc.reason, "The session description was refused.")
    return _api_error(400, exc.reason, "The request was refused.")


def bearer_token(request: Request, body_token: str | None = None) -> str | None:
    """The join token: ``Authorization: Bearer …`` first, then the body's ``token`` field."""
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return body_token or None


@dataclass(frozen=True)
class Participant:
    """A verified participant of an open room."""

    room_id: str
    claims: JoinClaims
    appointment: VideoAppointment


async def participant(request: Request, room: str, token: str | None) -> Participant:
    """Check the token, the appointment and the person; open the room. Raises HTTP errors."""
    runtime = runtime_of(request)
    try:
        claims = runtime.signalling.verify(token, room)
    except TokenError as exc:
        raise to_http(exc) from None
    if not room.isdigit() or len(room) > 18:
        raise _api_error(404, "unknown_room", "No consultation has this number.")
    appointment = await _in_thread(request, lambda db: video_appointment(db, int(room)))
    if appointment is None:
        raise _api_error(404, "unknown_room", "No consultation has this number.")
    expected = {JoinRole.PATIENT: str(appointment.patient_id),
                JoinRole.CLINICIAN: str(appointment.staff_id)}.get(claims.role)
    if expected is not None and claims.person_id != expected:
        raise _api_error(403, "not_allowed", "This join token is not for this consultation.")
    if appointment.cancelled:
        await runtime.signalling.cancel(room)
        raise _api_error(410, "cancelled", "This appointment was cancelled.")
    runtime.open(appointment)
    return Participant(room, claims, appointment)


async def _call(action: Any) -> Any:
    try:
        return await action
    except TeleconError as exc:
        raise to_http(exc) from None


# --- request and response bodies ------------------------------------------------------------


@dataclass
class SessionDescription:
    """An SDP offer (request) or answer (response), as ``RTCSessionDescription``."""

    sdp: str
    type: str = "offer"
    token: str | None = None


@dataclass
class Answer:
    """The server's complete SDP answer (ICE gathering done)."""

    sdp: str
    type: str = "answer"


@dataclass
class TokenBody:
    """An optional body carrying the join token when no ``Authorization`` header is sent."""

    token: str | None = None


@dataclass
class RoomStatus:
    """What the room looks like to the caller after an action."""

    state: str
    clinician_present: bool
    admitted: bool


async def _room_action(request: Request, room: str, data: TokenBody | None,
                       action: str) -> tuple[VideoRuntime, Participant]:
    """Authenticate the caller of ``room`` and run one signalling ``action`` for them."""
    runtime = runtime_of(request)
    who = await participant(request, room, bearer_token(request, data.token if data else None))
    await _call(getattr(runtime.signalling, action)(room, who.claims))
    return runtime, who


def status_of(runtime: VideoRuntime, who: Participant) -> RoomStatus:
    """The room's state as seen by ``who``."""
    room = runtime.signalling.rooms.get(who.room_id)
    return RoomStatus(state=room.state.value, clinician_present=room.clinician_present,
                      admitted=room.is_admitted(who.claims) if who.claims.role.patient_side
                      else room.clinician_present)


API_DESCRIPTION = (
    "Authenticated by the consultation's join token: `Authorization: Bearer <token>` (or a "
    "`token` field in the JSON body). Errors are JSON with `detail` and `extra.reason`."
)


#: The refusals of the signalling API (see :func:`to_http`), documented in the OpenAPI schema.
API_ERRORS = error_responses(401, 403, 404, 409, 410, 413, 429)


class VideoApiController(Controller):
    """Signalling of video consultations (plain HTTP, one complete offer and answer)."""

    path = "/api/v1/video"
    tags = ["Video consultations"]
    opt = {"csrf_exempt": True}
    request_max_body_size = MAX_BODY_BYTES

    @post("/{room:str}/offer", responses=API_ERRORS, summary="Join the call: send an offer, get the answer",
          description=API_DESCRIPTION + " A patient who is not admitted yet gets 409 "
          "(`not_admitted`): they are checked in and wait for the `admitted` event.",
          status_code=200)
    async def offer(self, request: Request, room: str, data: SessionDescription) -> Answer:
        """Answer a complete offer (all ICE candidates gathered)."""
        runtime = runtime_of(request)
        who = await participant(request, room, bearer_token(request, data.token))
        sdp = await _call(runtime.signalling.handle_offer(room, who.claims, data.sdp, data.type))
        return Answer(sdp=sdp)

    @post("/{room:str}/echo", responses=API_ERRORS, summary="Connection test: your media comes back to you",
          description=API_DESCRIPTION, status_code=200)
    async def echo(self, request: Request, room: str, data: SessionDescription) -> Answer:
        """Answer a connection-test offer; the server sends the caller's media back."""
        runtime = runtime_of(request)
        who = await participant(request, room, bearer_token(request, data.token))
        sdp = await _call(runtime.signalling.echo_offer(room, who.claims, data.sdp, data.type))
        return Answer(sdp=sdp)

    @post("/{room:str}/check-in", responses=API_ERRORS, summary="Enter the waiting room",
          description=API_DESCRIPTION, status_code=200)
    async def check_in(self, request: Request, room: str, data: TokenBody | None = None) -> RoomStatus:
        """Check in (idempotent); the clinician's waiting room shows the patient at once."""
        runtime, who = await _room_action(request, room, data, "check_in")
        return status_of(runtime, who)

    @post("/{room:str}/admit", responses=API_ERRORS, summary="Admit the waiting patient (clinician only)",
          description=API_DESCRIPTION, status_code=200)
    async def admit(self, request: Request, room: str, data: TokenBody | None = None) -> RoomStatus:
        """The clinician admits the patient side, who then sends an offer."""
        runtime, who = await _room_action(request, room, data, "admit")
        return status_of(runtime, who)

    @post("/{room:str}/leave", responses=API_ERRORS, summary="Leave the consultation",
          description=API_DESCRIPTION, status_code=200)
    async def leave(self, request: Request, room: str, data: TokenBody | None = None) -> RoomStatus:
        """Close the caller's connections; a patient who comes back waits again."""
        runtime, who = await _room_action(request, room, data, "leave")
        return status_of(runtime, who)

    @post("/{room:str}/end", responses=API_ERRORS, summary="End the consultation (clinician only)",
          description=API_DESCRIPTION + " The appointment is marked attended.", status_code=200)
    async def end(self, request: Request, room: str, data: TokenBody | None = None) -> RoomStatus:
        """End the call for everybody and mark the appointment attended."""
        runtime, who = await _room_action(request, room, data, "end")
        identity = identity_of(request)
        actor = identity.user.email if identity else f"clinician:{who.claims.person_id}"
        await _in_thread(request, lambda db: mark_attended(
            db, who.appointment.id, actor=actor, role=who.claims.role.value,
            request_id=request.scope.get("state", {}).get("request_id", "")))
        return status_of(runtime, who)

    @get("/{room:str}/events", responses=API_ERRORS, summary="The caller's room events (server-sent events)",
         description=API_DESCRIPTION + " First a `state` event, then `checked_in`, "
         "`clinician_joined`, `admitted`, `left`, `ended`, `cancelled` (JSON `{kind, role}`).")
    async def events(self, request: Request, room: str) -> ServerSentEvent:
        """Server-sent events of the room, for the participant's page."""
        runtime = runtime_of(request)
        who = await participant(request, room, bearer_token(request))
        hub = runtime.signalling.events

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            async with hub.subscribe(room) as queue:
                status = status_of(runtime, who)
                yield ServerSentEventMessage(event="state", data=json.dumps(status.__dict__))
                while True:
                    try:
                        event = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
                    except TimeoutError:
                        yield ServerSentEventMessage(comment="keep-alive")
                        continue
                    mine = event.person_id == who.claims.person_id
                    yield ServerSentEventMessage(event=event.kind.value, data=json.dumps(
                        {"kind": event.kind.value, "role": event.role.value if event.role else None,
                         "mine": mine}))
                    if event.kind in (EventKind.ENDED, EventKind.CANCELLED):
                        return

        return ServerSentEvent(stream(), headers={"Cache-Control": "no-store",
                                                  "X-Accel-Buffering": "no"})


# --- pages -----------------------------------------------------------------------------------

#: Texts the page scripts show, translated when the page is rendered (data-i18n).
SCRIPT_TEXTS = {
    "camera_blocked": N_("Your camera or microphone is not available. Check that no other "
                         "application uses them and that this site may use them."),
    "testing": N_("Testing the connection…"),
    "test_ok": N_("Your picture and sound go through our server: you are ready."),
    "test_failed": N_("The connection test failed. Check your internet connection, then try again."),
    "fps": N_("Frames per second"),
    "rtt": N_("Round trip"),
    "loss": N_("Packets lost"),
    "waiting_clinician": N_("You are in the waiting room. The clinician has not joined yet."),
    "clinician_joining": N_("The clinician is here and will let you in in a moment."),
    "connecting": N_("Connecting…"),
    "in_call": N_("In consultation"),
    "reconnecting": N_("The connection dropped. Reconnecting…"),
    "ended": N_("The consultation has ended. You can close this page."),
    "cancelled": N_("This appointment was cancelled."),
    "left": N_("You left the consultation. Open your link again to come back."),
    "closed": N_("The consultation room is not open at this time."),
    "busy": N_("Somebody else has already joined with this link."),
    "error": N_("Something went wrong. Reload the page to try again."),
    "no_patient": N_("The patient has not arrived yet."),
    "patient_waiting": N_("The patient is in the waiting room."),
    "patient_in_call": N_("The patient is with you."),
    "patient_left": N_("The patient left the consultation."),
    "quality_good": N_("Good connection"),
    "quality_fair": N_("Fair connection"),
    "quality_poor": N_("Poor connection"),
    "quality_unknown": N_("Connection quality unknown"),
    "mute": N_("Mute"),
    "unmute": N_("Unmute"),
    "camera_off": N_("Turn camera off"),
    "camera_on": N_("Turn camera on"),
    "share_screen": N_("Share screen"),
    "stop_sharing": N_("Stop sharing"),
    "you": N_("You"),
    "them": N_("Them"),
    "confirm_end": N_("End the consultation for both of you?"),
    "default_device": N_("Default device"),
    "stop_test": N_("Stop the test"),
}


def script_texts() -> str:
    """The translated script texts as JSON for a ``data-i18n`` attribute."""
    return json.dumps({key: _(text) for key, text in SCRIPT_TEXTS.items()}, ensure_ascii=False)


def local_time(instant: dt.datetime, zone: str) -> str:
    """``HH:MM`` in the site's time zone."""
    return instant.astimezone(ZoneInfo(zone)).strftime("%H:%M")


def call_page(request: Request, template: str, who: VideoAppointment, token: str,
              role: JoinRole, **context: object) -> Template:
    """Render a consultation page with what its script needs in data attributes."""
    runtime = runtime_of(request)
    motif = who.motif_name_en if current_locale.get() == "en" and who.motif_name_en else who.motif_name
    response = page(
        template, appointment=who, motif=motif, token=token, role=role.value,
        starts=local_time(who.starts_at, who.timezone), ends=local_time(who.ends_at, who.timezone),
        day=format_date(who.starts_at.astimezone(ZoneInfo(who.timezone)).date(), format="full",
                        locale=babel_locale()),
        ice_servers=json.dumps(browser_ice_servers(runtime.signalling.config)),
        texts=script_texts(), api=f"/api/v1/video/{who.id}", **context)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def link_problem(status: int, title: str, detail: str) -> Template:
    """A finished-looking page for an expired or wrong link."""
    response = page("video/link_problem.html", title=title, detail=detail)
    response.status_code = status
    return response


class VideoPagesController(Controller):
    """The patient's side: the join link and the consultation page."""

    path = "/video"
    include_in_schema = False

    @get("/{appointment_id:int}/join")
    async def join(self, request: Request, appointment_id: int,
                   t: str = Parameter(default="", max_length=200)) -> Response | Template:
        """Check the manage link's token, mint a join token, go to the consultation page."""
        key = request.app.state.settings.signing_key()
        if not verify_manage_link(key, t, appointment_id):
            return link_problem(403, _("This link does not work"), _(
                "Open the link from your confirmation e-mail again, or call the centre."))
        appointment = await load_appointment(request, appointment_id)
        if appointment.cancelled:
            return link_problem(410, _("This appointment was cancelled"), _(
                "There is no video consultation to join. You can book another appointment."))
        token = mint(request, appointment_id, JoinRole.PATIENT, appointment.patient_id)
        response = Redirect(f"/video/{appointment_id}")
        response.set_cookie(TOKEN_COOKIE, token, path=f"/video/{appointment_id}", httponly=True,
                            samesite="lax", max_age=runtime_of(request).token_ttl_seconds,
                            secure=request.url.scheme == "https")
        return response

    @get("/{appointment_id:int}")
    async def consultation(self, request: Request, appointment_id: int) -> Template:
        """The patient's page: camera check, connection test, waiting room and call."""
        token = request.query_params.get("token") or request.cookies.get(TOKEN_COOKIE)
        runtime = runtime_of(request)
        try:
            claims = runtime.signalling.verify(token, str(appointment_id))
        except TokenError:
            return link_problem(401, _("Your link has expired"), _(
                "For your safety, consultation links last a short time. Open the link from "
                "your confirmation e-mail again."))
        if claims.role not in PATIENT_SIDE_ROLES:
            return link_problem(403, _("This link does not work"), _(
                "Open the link from your confirmation e-mail again, or call the centre."))
        appointment = await load_appointment(request, appointment_id)
        if appointment.cancelled:
            await runtime.signalling.cancel(str(appointment_id))
            return link_problem(410, _("This appointment was cancelled"), _(
                "There is no video consultation to join. You can book another appointment."))
        runtime.open(appointment)
        return call_page(request, "video/patient.html", appointment, token or "", claims.role)


async def _owned(request: Request, appointment_id: int) -> VideoAppointment:
    identity = identity_of(request)
    appointment = await load_appointment(request, appointment_id)
    if identity is None or identity.staff_id != appointment.staff_id:
        await record_refusal(request, "video_join", "appointment", appointment_id)
        raise PermissionDeniedException("This consultation is not yours.")
    return appointment


class StaffVideoController(Controller):
    """The clinician's side: waiting room, call page; a pharmacist assisting at the counter."""

    path = "/staff/video"
    include_in_schema = False

    @get("/", guards=[requires(HAS_OWN_DAY)])
    async def waiting_room_page(self, request: Request) -> Template:
        """Today's video consultations, updated live."""
        return page("video/waiting_room.html", section="day", **await self._list(request))

    @get("/waiting-room", guards=[requires(HAS_OWN_DAY)])
    async def waiting_room(self, request: Request) -> Template:
        """The htmx partial of the waiting room."""
        return page("video/_waiting_list.html", **await self._list(request))

    @get("/waiting-room/stream", guards=[requires(HAS_OWN_DAY)])
    async def waiting_room_stream(self, request: Request, channels: ChannelsPlugin) -> ServerSentEvent:
        """Server-sent events: ``changed`` whenever a room of this clinician changes."""
        identity = identity_of(request)
        assert identity is not None
        channel = waiting_room_channel(identity.staff_id or 0)

        async def stream() -> AsyncIterator[ServerSentEventMessage]:
            async with channels.start_subscription([channel]) as subscriber:
                queue: asyncio.Queue[bytes] = asyncio.Queue()

                async def pump() -> None:
                    async for raw in subscriber.iter_events():
                        queue.put_nowait(raw)

                pumping = asyncio.create_task(pump())
                try:
                    yield ServerSentEventMessage(event="ready", data="{}")
                    while True:
                        try:
                            raw = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
                        except TimeoutError:
                            yield ServerSentEventMessage(comment="keep-alive")
                            continue
                        text = raw.decode() if isinstance(raw, bytes) else str(raw)
                        yield ServerSentEventMessage(event="changed", data=text)
                finally:
                    pumping.cancel()
                    with contextlib.suppress(BaseException):
                        await pumping

        return ServerSentEvent(stream(), headers={"Cache-Control": "no-store"})

    @get("/{appointment_id:int}", guards=[requires(HAS_OWN_DAY)])
    async def call(self, request: Request, appointment_id: int) -> Template:
        """The clinician's consultation page (their own appointments only)."""
        appointment = await _owned(request, appointment_id)
        if appointment.cancelled:
            return link_problem(410, _("This appointment was cancelled"), _(
                "There is no video consultation to join."))
        runtime_of(request).open(appointment)
        token = mint(request, appointment_id, JoinRole.CLINICIAN, appointment.staff_id)
        return call_page(request, "video/clinician.html", appointment, token, JoinRole.CLINICIAN,
                         section="day")

    @get("/{appointment_id:int}/assist", guards=[requires(Role.PHARMACIST)])
    async def assist(self, request: Request, appointment_id: int) -> Template:
        """A pharmacist joins on the patient's side of an appointment booked at the counter."""
        appointment = await load_appointment(request, appointment_id)
        identity = identity_of(request)
        if (not appointment.booked_by_pharmacist or identity is None
                or appointment.booked_by != identity.user.id):
            await record_refusal(request, "video_assist", "appointment", appointment_id)
            raise PermissionDeniedException("This consultation was not booked at your counter.")
        if appointment.cancelled:
            return link_problem(410, _("This appointment was cancelled"), _(
                "There is no video consultation to join."))
        runtime_of(request).open(appointment)
        token = mint(request, appointment_id, JoinRole.PHARMACIST, f"user-{identity.user.id}")
        return call_page(request, "video/patient.html", appointment, token, JoinRole.PHARMACIST,
                         assisted=True)

    async def _list(self, request: Request) -> dict[str, object]:
        identity = identity_of(request)
        assert identity is not None
        staff_id = identity.staff_id or 0
        runtime = runtime_of(request)

        def load(db: Session) -> tuple[str, list[VideoAppointment]]:
            zone = staff_zone(db, staff_id)
            today = dt.datetime.now(ZoneInfo(zone)).replace(hour=0, minute=0, second=0, microsecond=0)
            since = today.astimezone(dt.UTC)
            until = (today + dt.timedelta(days=1)).astimezone(dt.UTC)
            return zone, video_appointments_of(db, staff_id, since, until)

        zone, appointments = await _in_thread(request, load)
        rows = []
        for item in appointments:
            room_id = runtime.open(item)
            room = runtime.signalling.rooms.get(room_id)
            state = room.state
            rows.append({"appointment": item, "time": local_time(item.starts_at, zone),
                         "end": local_time(item.ends_at, zone), "state": state.value,
                         "state_label": _(STATE_LABELS[state]),
                         "attended": item.status.value == "attended"})
        return {"rows": rows, "zone": zone}


STATE_LABELS = {
    RoomState.EMPTY: N_("Not arrived"),
    RoomState.WAITING: N_("Waiting"),
    RoomState.IN_CALL: N_("In consultation"),
    RoomState.ENDED: N_("Ended"),
    RoomState.CANCELLED: N_("Cancelled"),
}

VIDEO_CONTROLLERS = [VideoApiController, VideoPagesController, StaffVideoController]
