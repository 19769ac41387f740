"""Subject and body of each e-mail to a patient, in the appointment's language."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from babel.dates import format_date, format_time

from planner.booking.mail.texts import PROFESSIONS, text
from planner.booking.views import AppointmentView

KINDS = ("confirmation", "change", "cancellation", "reminder_48h", "reminder_2h", "waitlist_offer")
ICS_METHOD = {"confirmation": "REQUEST", "change": "REQUEST", "cancellation": "CANCEL",
              "reminder_48h": "REQUEST", "reminder_2h": "REQUEST"}


class Offer(NamedTuple):
    """A waitlist offer: the freed slot, its clinician, until when it holds, the accept link."""

    starts_at: dt.datetime
    clinician: str
    expires_at: dt.datetime
    url: str


def _babel(locale: str) -> str:
    return "fr_FR" if locale == "fr" else "en_GB"


def local_when(instant: dt.datetime, view: AppointmentView) -> str:
    """E.g. "lundi 23 novembre 2026 à 08:30" in the site's zone."""
    local = instant.astimezone(view.timezone)
    return text(view.locale, "date", date=format_date(local.date(), "full", locale=_babel(view.locale)),
                time=format_time(local.time(), "HH:mm", locale=_babel(view.locale)))


def compose(kind: str, view: AppointmentView, manage_url: str, book_url: str = "",
            offer: Offer | None = None) -> tuple[str, str]:
    """``(subject, body)`` of a ``kind`` e-mail (``offer`` for a waitlist offer)."""
    locale = view.locale
    when = local_when(view.starts_at, view)
    time = format_time(view.local_start.time(), "HH:mm", locale=_babel(locale))
    if kind == "waitlist_offer":
        assert offer is not None
        subject = text(locale, "subject.waitlist_offer", when=local_when(offer.starts_at, view))
    else:
        subject = text(locale, f"subject.{kind}", when=when, time=time)
    profession = PROFESSIONS.get(locale, PROFESSIONS["fr"]).get(view.profession, "")
    lines = [text(locale, "greeting", name=view.patient.given_name), "", text(locale, f"lead.{kind}"), ""]
    if kind == "waitlist_offer":
        assert offer is not None
        lines += [text(locale, "when", when=local_when(offer.starts_at, view)),
                  text(locale, "with", clinician=offer.clinician, profession=profession), "",
                  text(locale, "offer", current=when, expires=local_when(offer.expires_at, view),
                       url=offer.url)]
    else:
        lines += [text(locale, "when", when=when),
                  text(locale, "with", clinician=view.clinician, profession=profession)]
        if view.mode == "video":
            lines.append(text(locale, "where.video"))
        else:
            room = f" ({view.room})" if view.room else ""
            lines.append(text(locale, "where.in_person", site=view.site.name,
                              address=view.site.address, room=room))
        lines.append("")
        if kind == "cancellation":
            if book_url:
                lines.append(text(locale, "rebook", url=book_url))
        else:
            lines.append(text(locale, "manage", url=manage_url))
            lines.append(text(locale, "cutoff", deadline=local_when(view.change_deadline, view),
                              phone=view.site.phone))
            lines.append(text(locale, "calendar"))
    lines += ["", text(locale, "signature", site=view.site.name, phone=view.site.phone)]
    return subject, "\n".join(lines) + "\n"
