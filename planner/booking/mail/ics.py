"""The appointment as an iCalendar file (VEVENT in the site's time zone, with its VTIMEZONE)."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event, vCalAddress

from planner.booking.mail.texts import text
from planner.booking.views import AppointmentView


def appointment_uid(view: AppointmentView) -> str:
    """A stable UID: changes and cancellations update the same calendar entry."""
    return f"appointment-{view.id}@{view.site.slug}.creneau"


def appointment_ics(view: AppointmentView, method: str = "PUBLISH", manage_url: str = "",
                    now: dt.datetime | None = None) -> str:
    """An iCalendar document for ``view``; ``method`` CANCEL marks the event cancelled.

    Neither the appointment type nor the reason for the visit is written in it.
    """
    calendar = Calendar()
    calendar.add("prodid", "-//Créneau//Appointments//FR")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    event = Event()
    event.add("uid", appointment_uid(view))
    event.add("sequence", view.revision)
    event.add("dtstamp", now or dt.datetime.now(dt.UTC))
    event.add("dtstart", view.local_start)
    event.add("dtend", view.local_end)
    event.add("summary", text(view.locale, "summary", clinician=view.clinician))
    if view.mode == "video":
        event.add("location", text(view.locale, "ics.video"))
    else:
        event.add("location", ", ".join(p for p in (view.site.name, view.site.address) if p))
    if manage_url:
        event.add("url", manage_url)
        event.add("description", text(view.locale, "manage", url=manage_url))
    if view.site.email:
        organizer = vCalAddress(f"mailto:{view.site.email}")
        organizer.params["cn"] = view.site.name
        event.add("organizer", organizer)
    if view.patient.email:
        attendee = vCalAddress(f"mailto:{view.patient.email}")
        attendee.params["cn"] = f"{view.patient.given_name} {view.patient.family_name}"
        attendee.params["role"] = "REQ-PARTICIPANT"
        event.add("attendee", attendee)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode()
