"""The Jinja environment: templates, translations and the helpers every page uses."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from planner.models import Motif, Profession
from web.i18n import N_, current_locale, gettext_, ngettext_  # noqa: F401

TEMPLATES_DIR = Path(__file__).with_name("templates")

_PROFESSIONS = {
    Profession.GENERAL_PRACTITIONER: (N_("General practitioner"), N_("General practitioners")),
    Profession.NURSE: (N_("Nurse"), N_("Nurses")),
    Profession.MIDWIFE: (N_("Midwife"), N_("Midwives")),
    Profession.PHYSIOTHERAPIST: (N_("Physiotherapist"), N_("Physiotherapists")),
    Profession.PHARMACIST: (N_("Pharmacist"), N_("Pharmacists")),
    Profession.SECRETARY: (N_("Medical secretary"), N_("Medical secretaries")),
    Profession.MANAGER: (N_("Manager"), N_("Managers")),
}


def profession_label(profession: Profession, count: int = 1) -> str:
    """The profession's name in the request's language."""
    singular, plural = _PROFESSIONS[Profession(profession)]
    return gettext_(singular if count == 1 else plural)


def motif_name(motif: Motif) -> str:
    """The motif's name in the request's language (French is the reference)."""
    if current_locale.get() == "en" and motif.name_en:
        return motif.name_en
    return motif.name


def build_environment(centre_name: str = "Créneau") -> Environment:
    """A Jinja environment with autoescaping and the gettext callables installed."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext_, ngettext_, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        centre_name=centre_name,
        profession_label=profession_label,
        motif_name=motif_name,
    )
    return env


def page(template_name: str, **context: object) -> Template:
    """A page response with the request's language in its context."""
    return Template(template_name=template_name, context={"lang": current_locale.get(), **context})


def template_config(environment: Environment) -> TemplateConfig:
    """Litestar's template configuration for ``environment``."""
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(environment))
