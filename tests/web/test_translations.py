"""Every message shown to people is translated into French."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "gettext_": None, "ngettext_": (1, 2), "N_": None}
METHODS = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
OPTIONS = {"web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def _extracted() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), METHODS, OPTIONS, KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_message_has_a_french_translation() -> None:
    translated: set[str] = set()
    for po_file in (ROOT / "web/locales/fr/LC_MESSAGES").glob("*.po"):
        with po_file.open("rb") as handle:
            catalog = read_po(handle, locale="fr")
        translated |= {message.id for message in catalog if message.id and message.string}
    missing = sorted(_extracted() - translated)
    assert not missing, f"add French translations (make messages) for: {missing}"
