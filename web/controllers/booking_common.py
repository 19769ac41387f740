"""What the booking pages and the booking API share: the clock, links, local formats, messages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from litestar import Request
from litestar.datastructures import State

from planner.booking.manage_links import Links
from planner.models.types import utcnow
from planner.settings import Settings
from web.i18n import N_, babel_locale
from web.i18n import gettext_ as _

#: Field error codes of ``planner.booking.identity`` as sentences.
FIELD_MESSAGES = {
    "required": N_("This field is required."),
    "too_long": N_("This is too long."),
    "invalid_date": N_("Enter a date such as 1985-04-23."),
    "future_date": N_("The birth date cannot be in the future."),
    "invalid_email": N_("Enter an e-mail address such as name@example.org."),
    "invalid_phone": N_("Enter a phone number such as 06 12 34 56 78."),
    "email_or_phone": N_("Give an e-mail address or a phone number so that we can reach you."),
}
CONSENT_MESSAGE = N_("Please accept the privacy notice to book.")


def field_message(field: str, code: str) -> str:
    """A field error in the request's language."""
    if field == "consent":
        return _(CONSENT_MESSAGE)
    return _(FIELD_MESSAGES.get(code, N_("This value is not valid.")))


def clock(state: State) -> dt.datetime:
    """The current instant (tests may set ``app.state.clock``)."""
    now: Callable[[], dt.datetime] | None = state.get("clock")
    return now() if now else utcnow()


def base_url(request: Request) -> str:
    """The address patients reach us at: the setting, else this request's."""
    settings: Settings = request.app.state.settings
    return (settings.public_base_url or str(request.base_url)).rstrip("/")


def links_for(request: Request) -> Links:
    """Link builder signed with the server's key."""
    settings: Settings = request.app.state.settings
    return Links(key=settings.signing_key(), base_url=base_url(request))


class LocalFormat:
    """Dates and times in the site's zone and the request's language, for templates."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        # One page formats the same instants many times (clinicians share start times): once each.
        self._times: dict[dt.datetime, str] = {}
        self._longs: dict[dt.datetime, str] = {}

    def time(self, instant: dt.datetime) -> str:
        """E.g. 08:30."""
        text = self._times.get(instant)
        if text is None:
            text = self._times[instant] = format_time(instant.astimezone(self.tz).time(), "HH:mm",
                                                      locale=babel_locale())
        return text

    def day(self, day: dt.date) -> str:
        """E.g. lun. 23 nov."""
        return format_date(day, "EEE d MMM", locale=babel_locale())

    def weekday(self, day: dt.date) -> str:
        """E.g. lundi."""
        return format_date(day, "EEEE", locale=babel_locale())

    def short_day(self, day: dt.date) -> str:
        """E.g. 23 nov."""
        return format_date(day, "d MMM", locale=babel_locale())

    def long_day(self, instant: dt.datetime | dt.date) -> str:
        """E.g. lundi 23 novembre 2026."""
        day = instant.astimezone(self.tz).date() if isinstance(instant, dt.datetime) else instant
        return format_date(day, "full", locale=babel_locale())

    def long(self, instant: dt.datetime) -> str:
        """E.g. lundi 23 novembre 2026, 08:30."""
        text = self._longs.get(instant)
        if text is None:
            text = self._longs[instant] = _("%(day)s at %(time)s", day=self.long_day(instant),
                                            time=self.time(instant))
        return text

    def iso(self, instant: dt.datetime) -> str:
        """ISO 8601 with the site's offset."""
        return instant.astimezone(self.tz).isoformat()
