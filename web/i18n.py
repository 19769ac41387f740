"""French and English: Babel catalogues, the request's language, and gettext for templates."""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).with_name("locales")
SUPPORTED = ("fr", "en")
LANG_COOKIE = "lang"

current_locale: ContextVar[str] = ContextVar("current_locale", default="fr")


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The catalogue of ``locale``: every ``.po`` file of its folder, compiled in memory.

    Each area of the app keeps its own file (``messages.po``, ``booking.po``…) so that
    translations of different areas never collide in one file.
    """
    folder = LOCALES_DIR / locale / "LC_MESSAGES"
    merged: gettext.NullTranslations | None = None
    for po_file in sorted(folder.glob("*.po")) if folder.exists() else []:
        with po_file.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        buffer = BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        compiled = gettext.GNUTranslations(buffer)
        if merged is None:
            merged = compiled
        else:
            merged.add_fallback(compiled)
    return merged or gettext.NullTranslations()


def choose_locale(query: str | None, cookie: str | None, accept_language: str | None,
                  default: str) -> str:
    """Pick the language: explicit choice, then cookie, then the browser's preferences."""
    for explicit in (query, cookie):
        if explicit in SUPPORTED:
            return explicit
    if accept_language:
        preferred = []
        for part in accept_language.split(","):
            tag = part.split(";")[0].strip().replace("-", "_")
            if tag:
                preferred.append(tag)
        found = negotiate_locale(preferred, list(SUPPORTED), sep="_")
        if found:
            return found.split("_")[0]
        for tag in preferred:
            if tag.split("_")[0].lower() in SUPPORTED:
                return tag.split("_")[0].lower()
    return default


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated later, where it is shown."""
    return message


def gettext_(message: str, **variables: object) -> str:
    """Translate ``message`` into the current request's language."""
    text = translations(current_locale.get()).gettext(message)
    return text % variables if variables else text


def ngettext_(singular: str, plural: str, n: int, **variables: object) -> str:
    """Plural-aware translation into the current request's language."""
    text = translations(current_locale.get()).ngettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables


def babel_locale() -> Locale:
    """The Babel locale of the current request (for dates and numbers)."""
    return Locale.parse("fr_FR" if current_locale.get() == "fr" else "en_GB")
