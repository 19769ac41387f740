"""Every route handler of the app, in one list. Add a controller here to serve it."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from web.controllers.home import HealthController, HomeController

ROUTE_HANDLERS: list[ControllerRouterHandler] = [
    HomeController,
    HealthController,
]

# --- staff side (issue 5) ---
from web.controllers.audit import AuditController  # noqa: E402
from web.controllers.auth import AuthController  # noqa: E402
from web.controllers.clinician_day import ClinicianDayController, WishesController  # noqa: E402
from web.controllers.roster_workspace import RosterWorkspaceController, ShiftColoursController  # noqa: E402

ROUTE_HANDLERS += [AuthController, RosterWorkspaceController, ShiftColoursController,
                   ClinicianDayController, WishesController, AuditController]

from web.controllers.agenda import AgendaController, CounterController  # noqa: E402
from web.controllers.staff_admin import StaffAdminController  # noqa: E402

ROUTE_HANDLERS += [StaffAdminController, AgendaController, CounterController]

# --- FHIR API (issue 7) ---
from web.controllers.fhir import fhir_router  # noqa: E402

ROUTE_HANDLERS += [fhir_router]

# --- video consultations (issue 6) ---
from web.controllers.video import VIDEO_CONTROLLERS  # noqa: E402

ROUTE_HANDLERS += VIDEO_CONTROLLERS

# --- patient booking (issue 4) ---
from web.controllers.booking_api import BookingApiController  # noqa: E402
from web.controllers.booking_manage_pages import (  # noqa: E402
    ManageAppointmentController,
    WaitlistOfferController,
)
from web.controllers.booking_pages import BookingPagesController  # noqa: E402

ROUTE_HANDLERS += [BookingPagesController, ManageAppointmentController, WaitlistOfferController,
                   BookingApiController]

# --- patients' data rights (issue 7) ---
from web.controllers.patient_data import (  # noqa: E402
    MyDataController,
    PrivacyController,
    StaffPatientDataController,
)

ROUTE_HANDLERS += [PrivacyController, MyDataController, StaffPatientDataController]

# --- calendar feeds and the administrator's integrations page (issue 7) ---
from web.controllers.calendar_feeds import CalendarFeedController, MyCalendarController  # noqa: E402
from web.controllers.integrations import IntegrationsController  # noqa: E402

ROUTE_HANDLERS += [CalendarFeedController, MyCalendarController, IntegrationsController]
