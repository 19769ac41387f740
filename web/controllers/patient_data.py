"""Patients' data rights in the browser: the privacy notice, export and erasure.

A patient reaches "My data" from their manage link and re-confirms who they are with their date
of birth before anything is shown or changed. A secretary (or the administrator) can export a
patient's data on their behalf from the staff side.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import anyio
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import NotFoundException
from litestar.response import Template
from sqlmodel import Session

from planner import audit
from planner.booking.views import AppointmentView
from planner.models import Role
from planner.privacy.patient_bundle import patient_bundle
from planner.privacy.patient_data import ERASED, UnknownPatient, export_patient
from planner.privacy.rights import erase_on_request
from web.auth import audit_sync, requires
from web.controllers.booking_common import LocalFormat, base_url, clock, links_for
from web.controllers.booking_manage_pages import appointment_id_of, appointment_or_404
from web.controllers.booking_pages import FormData
from web.i18n import gettext_ as _
from web.templating import page

FORMATS = ("json", "fhir")


def _download(data: dict[str, Any], fmt: str, patient_id: int) -> Response[bytes]:
    media = "application/fhir+json" if fmt == "fhir" else "application/json"
    name = f"creneau-patient-{patient_id}-{'fhir' if fmt == 'fhir' else 'data'}.json"
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str).encode()
    return Response(body, media_type=media, headers={
        "content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"})


def _export(db: Session, patient_id: int, fmt: str, request: Request) -> dict[str, Any]:
    if fmt == "fhir":
        return patient_bundle(db, patient_id, base_url(request))
    return export_patient(db, patient_id)


def _confirmed(view: AppointmentView, data: dict[str, Any]) -> dict[str, str]:
    """Field errors: the date of birth must match the appointment's patient."""
    given = str(data.get("birth_date", "")).strip()
    try:
        birth_date = dt.date.fromisoformat(given)
    except ValueError:
        return {"birth_date": _("Enter your date of birth, for example 1985-04-23.")}
    if birth_date != view.patient.birth_date:
        return {"birth_date": _("This date of birth does not match the appointment.")}
    return {}


class PrivacyController(Controller):
    """The privacy notice every page links to."""

    include_in_schema = False

    @get("/privacy", sync_to_thread=True)
    def notice(self, db: Session, state: State) -> Template:
        """What Créneau stores, why, for how long, and the patient's rights."""
        from planner.directory import public_directory

        return page("privacy/notice.html", site=public_directory(db).site,
                    retention_days=state.settings.retention_days)


class MyDataController(Controller):
    """Export or erase one's own data, behind the manage link and the date of birth."""

    path = "/book/manage/{token:str}/my-data"
    include_in_schema = False

    def _load(self, request: Request, db: Session, token: str) -> AppointmentView:
        view = appointment_or_404(db, appointment_id_of(request, token))
        if view.patient.given_name == ERASED:
            raise NotFoundException()
        return view

    def _page(self, view: AppointmentView, token: str, status: int = 200,
              errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
              form: str = "") -> Template:
        response = page("privacy/my_data.html", view=view, token=token, errors=errors or {},
                        values=values or {}, form=form, fmt=LocalFormat(view.timezone))
        response.status_code = status
        response.headers["cache-control"] = "no-store"
        return response

    @get("/", sync_to_thread=True)
    def show(self, request: Request, db: Session, token: str) -> Template:
        """The two choices: download my data, erase my data."""
        return self._page(self._load(request, db, token), token)

    @post("/export", sync_to_thread=True, status_code=200)
    def export(self, request: Request, db: Session, token: str,
               data: FormData) -> Response[bytes] | Template:
        """Download everything held about me, once my date of birth is confirmed."""
        view = self._load(request, db, token)
        errors = _confirmed(view, data)
        fmt = str(data.get("format", "json"))
        if fmt not in FORMATS:
            errors["format"] = _("Choose one of the formats offered.")
        if errors:
            audit.record(request.app.state.engine, actor=f"patient:{view.patient.id}",
                         role="patient", action="patient.export", object_type="patient",
                         object_id=view.patient.id, outcome="refused")
            return self._page(view, token, 422, errors, data, form="export")
        assert view.patient.id is not None
        exported = _export(db, view.patient.id, fmt, request)
        audit.record(request.app.state.engine, actor=f"patient:{view.patient.id}", role="patient",
                     action="patient.export", object_type="patient", object_id=view.patient.id)
        return _download(exported, fmt, view.patient.id)

    @post("/erase", sync_to_thread=True, status_code=200)
    def erase(self, request: Request, db: Session, state: State, token: str,
              data: FormData) -> Template:
        """Erase my data: future appointments are cancelled, my identity is removed."""
        view = self._load(request, db, token)
        errors = _confirmed(view, data)
        if data.get("confirm") != "yes":
            errors["confirm"] = _("Tick the box to confirm that you want your data erased.")
        if errors:
            return self._page(view, token, 422, errors, data, form="erase")
        assert view.patient.id is not None
        cancelled = erase_on_request(
            request.app.state.engine, view.patient.id, links=links_for(request), now=clock(state),
            actor=f"patient:{view.patient.id}")
        video = getattr(request.app.state, "video", None)
        for appointment_id in cancelled if video is not None else []:
            if str(appointment_id) in video.signalling.rooms:  # close an open video room at once
                anyio.from_thread.run(video.signalling.cancel, str(appointment_id))
        response = page("privacy/erased.html", site=view.site, cancelled=len(cancelled))
        response.headers["cache-control"] = "no-store"
        return response


class StaffPatientDataController(Controller):
    """A secretary exports a patient's data on their behalf."""

    path = "/staff/patients"
    guards = [requires(Role.SECRETARY, Role.ADMIN)]
    include_in_schema = False

    @get("/{patient_id:int}/export", sync_to_thread=True)
    def export(self, request: Request, db: Session, patient_id: int,
               format: str = "json") -> Response[bytes]:  # noqa: A002 - the query parameter's name
        """Download a patient's data (JSON or a FHIR Bundle); audited."""
        if format not in FORMATS:
            raise NotFoundException()
        try:
            exported = _export(db, patient_id, format, request)
        except UnknownPatient:
            raise NotFoundException() from None
        audit_sync(request, "patient.export", "patient", patient_id)
        return _download(exported, format, patient_id)
