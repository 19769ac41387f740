"""The booking JSON API: motifs, free slots, bookings and their cancellation."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Controller, MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.params import Parameter
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col

from planner.booking import booking as booking_service
from planner.booking.answer_cache import AnswerCache
from planner.booking.availability import (
    MotifZone,
    SlotQuery,
    active_motif_zone,
    free_slot_rows,
    free_slots_stable_until,
    read_instant,
    site_zone,
)
from planner.booking.errors import (
    IdempotencyConflict,
    InvalidDetails,
    NotActive,
    NotFound,
    SlotUnavailable,
    TooLateToChange,
)
from planner.booking.identity import check_consent, parse_patient
from planner.booking.manage_links import Links, manage_token, read_manage_token
from planner.booking.views import AppointmentView
from planner.models import Mode, Motif
from web.controllers.booking_common import clock, links_for
from web.errors import error_responses

API_PREFIX = "/api/v1"
#: On SQLite (WAL: readers never wait for writers) a slots read of up to this many rows runs on
#: the event loop; bigger pages and other databases go to a worker thread.
INLINE_SLOTS_LIMIT = 200


class PatientIn(BaseModel):
    """Who the appointment is for (no account needed)."""

    given_name: str = Field(max_length=100, examples=["Jeanne"])
    family_name: str = Field(max_length=100, examples=["Durand"])
    birth_date: dt.date = Field(examples=["1980-01-02"])
    email: str | None = Field(default=None, max_length=200, examples=["jeanne@example.org"])
    phone: str | None = Field(default=None, max_length=40, examples=["06 12 34 56 78"])


class BookingIn(BaseModel):
    """A booking request; ``consent`` means the patient accepted the privacy notice."""

    slot_id: int
    patient: PatientIn
    consent: bool


class CancelIn(BaseModel):
    """The manage token from the booking's manage link."""

    token: str


class ClinicianOut(BaseModel):
    """Who holds the slot."""

    id: int
    name: str
    profession: str


class SlotOut(BaseModel):
    """A free slot; times are ISO 8601 in the site's local time with its offset."""

    id: int
    start: str
    end: str
    motif_id: int
    mode: str
    clinician: ClinicianOut


class SlotsOut(BaseModel):
    """Free slots, earliest first."""

    timezone: str
    slots: list[SlotOut]


class MotifOut(BaseModel):
    """An appointment type patients can book."""

    id: int
    code: str
    name: str
    name_en: str
    profession: str
    mode: str
    duration_minutes: int
    min_notice_minutes: int
    horizon_days: int
    cancel_cutoff_minutes: int
    urgent: bool


class BookingOut(BaseModel):
    """A booking, its manage link and token."""

    id: int
    status: str
    slot_id: int
    motif_id: int
    start: str
    end: str
    mode: str
    clinician: str
    manage_url: str
    manage_token: str
    ics_url: str


def _booking_out(view: AppointmentView, links: Links) -> BookingOut:
    return BookingOut(
        id=view.id, status=view.status.value, slot_id=view.slot_id, motif_id=view.motif.id,
        start=view.local_start.isoformat(), end=view.local_end.isoformat(), mode=view.mode.value,
        clinician=view.clinician, manage_url=links.manage_url(view.id),
        manage_token=manage_token(links.key, view.id), ics_url=links.ics_url(view.id),
    )


def _unprocessable(errors: list[dict[str, str]], detail: str = "Some fields are not valid.") -> Response:
    return Response({"status_code": 422, "detail": detail, "errors": errors}, status_code=422,
                    media_type=MediaType.JSON)


def validation_to_422(_request: Request, exc: ValidationException) -> Response:
    """Body and parameter errors as 422 with one entry per field."""
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            key = str(item.get("key") or item.get("source") or "body")
            errors.append({"field": key, "message": str(item.get("message", "not valid"))})
    return _unprocessable(errors or [{"field": "body", "message": str(exc.detail)}])


def _parse_instant(value: str | None, name: str, tz: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        if len(value) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(0), tz)
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValidationException(extra=[{"key": name, "message": "use an ISO 8601 date or date-time"}]) \
            from None
    return instant if instant.tzinfo else instant.replace(tzinfo=tz)


def _motif(db: Connection, value: str | None) -> MotifZone | None:
    """The active motif given by id or code, with its site's zone (404 when there is none)."""
    if not value:
        return None
    found = active_motif_zone(db, value)
    if found is None:
        raise NotFoundException(f"No motif {value!r}.")
    return found


def _slots_body(db: Connection, now: dt.datetime, motif: str | None, from_: str | None, to: str | None,
                mode: Mode | None, profession: str | None, clinician: int | None,
                limit: int) -> tuple[bytes, dt.datetime]:
    """The answer of ``GET /slots`` as JSON, and until when it holds if the data do not change."""
    found = _motif(db, motif)
    tz = found.timezone if found else site_zone(db, 1)
    start = _parse_instant(from_, "from", tz) or now
    end = _parse_instant(to, "to", tz) or start + dt.timedelta(days=7)
    query = SlotQuery(motif_id=found.id if found else None, mode=mode, profession=profession,
                      staff_id=clinician, start=start, end=end, limit=limit)
    known = None  # the motif just read serves, unless other criteria may exclude it
    if found and mode is None and profession is None:
        known = [(found.id, found.min_notice_minutes, found.horizon_days)]
    free = free_slot_rows(db, query, now, motifs=known)
    until = free_slots_stable_until(db, query, now, free, motifs=known, end_follows_now=not to)
    # Encoded once here (the answer is cached): plain dicts in the shape of SlotsOut. Slots share
    # their times (one per clinician): each stored instant is converted once, and each clinician once.
    rows = free.rows
    local = {value: read_instant(value).astimezone(tz).isoformat()
             for value in {row[1] for row in rows} | {row[2] for row in rows}}
    who = {staff_id: {"id": staff_id, "name": name, "profession": job}
           for staff_id, (name, job) in free.staff.items()}
    slots = [{"id": slot_id, "start": local[starts_at], "end": local[ends_at], "motif_id": motif_id,
              "mode": slot_mode, "clinician": who[staff_id]}
             for slot_id, starts_at, ends_at, motif_id, staff_id, slot_mode in rows]
    return msgspec.json.encode({"timezone": tz.key, "slots": slots}), until


def _slots_answer(engine: Engine, cache: AnswerCache, now: dt.datetime, params: tuple,
                  local: bool) -> bytes:
    """The answer of ``GET /slots`` from the cache when it is still right, else from the database.

    The database's booking generation is read first, then (on a miss) the data: an answer is
    never older than the generation it is kept under. ``local``: on the event loop, on SQLite,
    where the cache reads the generation on a connection of its own.
    """
    if local:
        generation = cache.local_generation()
        body = cache.get(params, generation, now)
        if body is not None:
            return body
    with engine.connect() as db:
        if not local:
            generation = cache.generation_on(db.connection.dbapi_connection)
            body = cache.get(params, generation, now)
            if body is not None:
                return body
        body, until = _slots_body(db, now, *params)
    cache.put(params, generation, now, until, body)
    return body


def _slots_cache(state: State) -> AnswerCache:
    cache = state.get("slots_cache")
    if cache is None:
        cache = state.slots_cache = AnswerCache(state.engine)
    return cache


class BookingApiController(Controller):
    """Free slots and bookings for programs (a pharmacy's counter software, a portal…)."""

    path = API_PREFIX
    tags = ["booking"]
    exception_handlers = {ValidationException: validation_to_422}

    @get("/ping", summary="Booking API liveness", responses=error_responses(429))
    async def ping(self) -> dict[str, bool]:
        """Answer at once, touching nothing (load balancers; the booking benchmark's baseline)."""
        return {"ok": True}

    @get("/motifs", sync_to_thread=True, summary="Appointment types", responses=error_responses(429))
    def motifs(self, db: Session) -> list[MotifOut]:
        """Every appointment type that patients can book."""
        rows = db.execute(select(Motif).where(col(Motif.active)).order_by(Motif.id)).scalars()
        return [MotifOut(id=m.id, code=m.code, name=m.name, name_en=m.name_en,
                         profession=m.profession, mode=m.mode, duration_minutes=m.duration_minutes,
                         min_notice_minutes=m.min_notice_minutes, horizon_days=m.horizon_days,
                         cancel_cutoff_minutes=m.cancel_cutoff_minutes, urgent=m.urgent) for m in rows]

    @get("/slots", summary="Free slots", responses=error_responses(404, 422, 429))
    async def slots(
        self, state: State,
        motif: Annotated[str | None, Parameter(description="Motif id or code.")] = None,
        from_: Annotated[str | None, Parameter(query="from", description="Start (date or date-time); "
                                               "default now.")] = None,
        to: Annotated[str | None, Parameter(description="End (excluded); default 7 days later.")] = None,
        mode: Annotated[Mode | None, Parameter(description="in_person or video.")] = None,
        profession: Annotated[str | None, Parameter(description="e.g. general_practitioner.")] = None,
        clinician: Annotated[int | None, Parameter(description="Staff member id.")] = None,
        limit: Annotated[int, Parameter(ge=1, le=1000)] = 200,
    ) -> Response[SlotsOut]:
        """Free slots by motif, mode, profession, clinician and period (minimum notice, horizon
        and bookings taken into account)."""
        engine = state.engine
        params = (motif, from_, to, mode, profession, clinician, limit)
        if engine.dialect.name == "sqlite" and limit <= INLINE_SLOTS_LIMIT:
            # a short local read (a cache hit, mostly): cheaper than a thread hop
            body = _slots_answer(engine, _slots_cache(state), clock(state), params, True)
        else:
            body = await anyio.to_thread.run_sync(_slots_answer, engine, _slots_cache(state),
                                                  clock(state), params, False)
        return Response(body, media_type=MediaType.JSON)

    @post("/bookings", sync_to_thread=True, status_code=201, summary="Book a slot",
          responses=error_responses(404, 409, 422, 429))
    def create_booking(
        self, request: Request, state: State, data: BookingIn,
        idempotency_key: Annotated[str | None, Parameter(
            header="Idempotency-Key", max_length=100,
            description="A unique key per booking attempt: a retry with the same key books once "
                        "and returns the same booking.")] = None,
    ) -> Response[BookingOut]:
        """Book a free slot for a guest patient. 409 when the slot is no longer free, 422 with
        field errors on bad input."""
        now = clock(state)
        errors: dict[str, str] = {}
        patient = None
        try:
            patient = parse_patient(data.patient.model_dump(), now.date())
        except InvalidDetails as invalid:
            errors.update({f"patient.{k}": v for k, v in invalid.errors.items()})
        try:
            check_consent(data.consent)
        except InvalidDetails:
            errors["consent"] = "required"
        if errors or patient is None:
            return _unprocessable([{"field": k, "message": v} for k, v in errors.items()])
        links = links_for(request)
        try:
            result = booking_service.book(
                state.engine, slot_id=data.slot_id, patient=patient, links=links,
                idempotency_key=idempotency_key, locale=_locale(request), now=now)
        except NotFound:
            raise NotFoundException("No such slot.") from None
        except SlotUnavailable:
            raise HTTPException(status_code=409, detail="This slot is no longer free.") from None
        except IdempotencyConflict:
            return _unprocessable([{"field": "Idempotency-Key",
                                    "message": "already used for another slot"}])
        headers = {"Idempotent-Replayed": "true"} if result.replayed else {}
        return Response(_booking_out(result.view, links), status_code=201, headers=headers)

    @post("/bookings/{booking_id:int}/cancel", sync_to_thread=True, status_code=200,
          summary="Cancel a booking", responses=error_responses(403, 404, 409, 422, 429))
    def cancel_booking(self, request: Request, state: State, booking_id: int,
                       data: CancelIn) -> BookingOut:
        """Cancel with the manage token, up to the motif's cancellation cut-off (409 after it)."""
        links = links_for(request)
        if read_manage_token(links.key, data.token) != booking_id:
            raise HTTPException(status_code=403, detail="The manage token does not match this booking.")
        try:
            view = booking_service.cancel(state.engine, booking_id, links=links, now=clock(state))
        except NotFound:
            raise NotFoundException("No such booking.") from None
        except TooLateToChange:
            raise HTTPException(status_code=409, detail="Too late to cancel online: call the centre.") \
                from None
        except NotActive:
            raise HTTPException(status_code=409, detail="This booking is already cancelled.") from None
        return _booking_out(view, links)


def _locale(request: Request) -> str:
    from web.i18n import current_locale

    return current_locale.get()
