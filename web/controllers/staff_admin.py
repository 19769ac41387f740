"""Team and rules, for managers: staff members, contracts, skills, shift types, cover demand, leave.

Plain forms (no script needed): a refused form comes back with 422, the values kept and one sentence
under each wrong field; a saved form redirects (303) to the list with a confirmation. Every change
is written to the audit trail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect, Template
from sqlmodel import Session, col, select

from planner import staff_admin as svc
from planner.auth.roles import ROSTER_MANAGERS
from planner.models import LeaveKind, Profession, Site
from planner.staff_admin import FieldError
from web.auth import audit_sync, requires, see_other
from web.i18n import N_, current_locale
from web.i18n import gettext_ as _
from web.staff_format import minutes_label
from web.templating import page

FORM = Body(media_type=RequestEncodingType.URL_ENCODED)
FormData = Annotated[dict[str, Any], FORM]

ERROR_MESSAGES = {
    "required": N_("This field is required."),
    "too_long": N_("At most %(max)s characters."),
    "code_chars": N_("Use letters, digits, - or _ only (no spaces)."),
    "code_taken": N_("Another entry already uses this code."),
    "whole_number": N_("Enter a whole number from %(min)s to %(max)s."),
    "hours": N_("Enter a number of hours from %(min)s to %(max)s, e.g. 7.5 or 7:30."),
    "time": N_("Enter a time such as 07:00."),
    "date": N_("Enter a date."),
    "choice": N_("Choose one of the options."),
    "colour": N_("Enter a colour such as #4c6ef5."),
    "min_above_max": N_("The minimum cannot be above the maximum."),
    "end_before_start": N_("The last day must be on or after the first day."),
    "too_many_days": N_("At most %(max)s days at once."),
    "contract_for_shifts": N_("Choose a contract: members of the shift team need one."),
}

LEAVE_KINDS = {LeaveKind.ANNUAL: N_("Annual leave"), LeaveKind.SICK: N_("Sick leave"),
               LeaveKind.TRAINING: N_("Training"), LeaveKind.OTHER: N_("Other")}
WEEKDAYS = [N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
            N_("Saturday"), N_("Sunday")]


def _decimal(value: object) -> object:
    """A number in the page's language (7,5 in French)."""
    if isinstance(value, str) and current_locale.get() == "fr":
        return value.replace(".", ",")
    return value


def messages_of(errors: dict[str, FieldError]) -> dict[str, str]:
    """Field errors as sentences in the page's language."""
    return {name: _(ERROR_MESSAGES.get(err.code, N_("This value is not valid.")),
                    **{k: _decimal(v) for k, v in err.params.items()})
            for name, err in errors.items()}


def _site(db: Session) -> Site:
    site = db.exec(select(Site).order_by(col(Site.id)).limit(1)).first()
    if site is None:
        raise NotFoundException("No site.")
    return site


def _hours(minutes: int) -> str:
    return str(_decimal(f"{minutes / 60:g}"))


def _save_form(request: Request, db: Session, data: dict[str, Any], row: Any, *,
               save: Callable[..., Any], template: str, context: Callable[..., dict[str, Any]],
               action: str, url: str) -> Template | Redirect:
    """Create (``row`` is None) or update one settings row: refuse with field errors, or audit
    the change and go back to the list."""
    saved = save(db, _site(db).id or 0, data, row)
    if not saved.ok:
        db.rollback()
        return _refused(template, saved.errors, context(db, row, _values(data)))
    audit_sync(request, f"staff_admin.{action}_" + ("update" if row else "create"), action,
               saved.row.id)
    return see_other(f"{url}?saved=1")


def _refused(template: str, problems: dict[str, FieldError], context: dict[str, Any]) -> Template:
    response = page(template, **{**context, "errors": messages_of(problems)})
    response.status_code = 422
    return response


def _values(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "_csrf"}


def _common(**context: Any) -> dict[str, Any]:
    return {"section": "team", "errors": {}, "values": {}, **context}


class StaffAdminController(Controller):
    """The manager's team and rules pages (``/staff/team``)."""

    path = "/staff/team"
    guards = [requires(ROSTER_MANAGERS)]
    include_in_schema = False

    # --- staff members ------------------------------------------------------------------------

    @get("/", sync_to_thread=True)
    def staff_list(self, request: Request, db: Session) -> Template:
        """Everyone at the site, with contract, skills and whether they work shifts."""
        site = _site(db)
        audit_sync(request, "staff_admin.read", "staff_list", site.id)
        return page("staff/admin_staff.html", **_common(
            tab="staff", members=svc.staff_members(db, site.id or 0),
            contracts={c.id: c for c in svc.contracts_of_site(db, site.id or 0)},
            skills={s.id: s for s in svc.skills_of_site(db, site.id or 0)},
            held=svc.skill_ids_by_staff(db, site.id or 0), saved=request.query_params.get("saved", "")))

    def _staff_form(self, db: Session, member: Any, values: dict[str, Any]) -> dict[str, Any]:
        site = _site(db)
        return _common(tab="staff", member=member, values=values,
                       professions=list(Profession),
                       contracts=svc.contracts_of_site(db, site.id or 0),
                       skills=svc.skills_of_site(db, site.id or 0))

    @staticmethod
    def _member_values(db: Session, member: Any) -> dict[str, Any]:
        held = svc.skill_ids_by_staff(db, member.site_id).get(member.id, set())
        return {"code": member.code, "given_name": member.given_name, "family_name": member.family_name,
                "title": member.title, "profession": member.profession.value,
                "contract_id": str(member.contract_id or ""), "works_shifts": member.works_shifts,
                "holds_sessions": member.holds_sessions, "active": member.active,
                "skills": [str(s) for s in held]}

    @get("/staff/new", sync_to_thread=True)
    def staff_new(self, db: Session) -> Template:
        """The form for a new staff member."""
        return page("staff/admin_staff_form.html", **self._staff_form(db, None, {"active": True}))

    @post("/staff", sync_to_thread=True, status_code=303)
    def staff_create(self, request: Request, db: Session, data: FormData) -> Template | Redirect:
        """Add a staff member."""
        saved = svc.save_staff(db, _site(db).id or 0, data)
        if not saved.ok:
            return _refused("staff/admin_staff_form.html", saved.errors,
                            self._staff_form(db, None, _values(data)))
        audit_sync(request, "staff_admin.staff_create", "staff", saved.row.id)
        return see_other("/staff/team?saved=staff")

    @get("/staff/{staff_id:int}", sync_to_thread=True)
    def staff_edit(self, db: Session, staff_id: int) -> Template:
        """The form of one staff member."""
        member = svc.staff_member(db, _site(db).id or 0, staff_id)
        if member is None:
            raise NotFoundException("No such staff member.")
        return page("staff/admin_staff_form.html",
                    **self._staff_form(db, member, self._member_values(db, member)))

    @post("/staff/{staff_id:int}", sync_to_thread=True, status_code=303)
    def staff_update(self, request: Request, db: Session, staff_id: int,
                     data: FormData) -> Template | Redirect:
        """Change a staff member (names, profession, contract, skills, shift team, active)."""
        site_id = _site(db).id or 0
        member = svc.staff_member(db, site_id, staff_id)
        if member is None:
            raise NotFoundException("No such staff member.")
        saved = svc.save_staff(db, site_id, data, member)
        if not saved.ok:
            db.rollback()
            return _refused("staff/admin_staff_form.html", saved.errors,
                            self._staff_form(db, member, _values(data)))
        audit_sync(request, "staff_admin.staff_update", "staff", staff_id)
        return see_other("/staff/team?saved=staff")

    # --- contracts ------------------------------------------------------------------------------

    def _contracts(self, db: Session, edit: Any = None, values: dict[str, Any] | None = None,
                   saved: str = "") -> dict[str, Any]:
        site_id = _site(db).id or 0
        if values is None:
            values = self._contract_values(edit) if edit else {
                "min_hours_4w": "0", "max_hours_4w": "160", "max_hours_7d": "48", "min_rest_hours": "11",
                "max_consecutive_shifts": "5", "min_consecutive_shifts": "1",
                "min_consecutive_days_off": "1", "max_weekends_4w": "2"}
        return _common(tab="contracts", contracts=svc.contracts_of_site(db, site_id), edit=edit,
                       values=values, saved=saved, hours=_hours)

    @staticmethod
    def _contract_values(row: Any) -> dict[str, Any]:
        return {"name": row.name, "min_hours_4w": _hours(row.min_minutes_per_4_weeks),
                "max_hours_4w": _hours(row.max_minutes_per_4_weeks),
                "max_hours_7d": _hours(row.max_minutes_per_7_days),
                "min_rest_hours": _hours(row.min_rest_minutes),
                "max_consecutive_shifts": str(row.max_consecutive_shifts),
                "min_consecutive_shifts": str(row.min_consecutive_shifts),
                "min_consecutive_days_off": str(row.min_consecutive_days_off),
                "max_weekends_4w": str(row.max_weekends_per_4_weeks)}

    @get("/contracts", sync_to_thread=True)
    def contracts(self, request: Request, db: Session, edit: int | None = None) -> Template:
        """Contracts and their limits; ``?edit=ID`` fills the form with one of them."""
        row = svc.contract(db, _site(db).id or 0, edit) if edit else None
        if edit and row is None:
            raise NotFoundException("No such contract.")
        return page("staff/admin_contracts.html",
                    **self._contracts(db, row, saved=request.query_params.get("saved", "")))

    @post("/contracts", sync_to_thread=True, status_code=303)
    def contract_create(self, request: Request, db: Session, data: FormData) -> Template | Redirect:
        """Add a contract."""
        return self._save_contract(request, db, data, None)

    @post("/contracts/{contract_id:int}", sync_to_thread=True, status_code=303)
    def contract_update(self, request: Request, db: Session, contract_id: int,
                        data: FormData) -> Template | Redirect:
        """Change a contract's limits."""
        row = svc.contract(db, _site(db).id or 0, contract_id)
        if row is None:
            raise NotFoundException("No such contract.")
        return self._save_contract(request, db, data, row)

    def _save_contract(self, request: Request, db: Session, data: dict[str, Any],
                       row: Any) -> Template | Redirect:
        return _save_form(request, db, data, row, save=svc.save_contract,
                          template="staff/admin_contracts.html", context=self._contracts,
                          action="contract", url="/staff/team/contracts")

    # --- skills ---------------------------------------------------------------------------------

    def _skills(self, db: Session, edit: Any = None, values: dict[str, Any] | None = None,
                saved: str = "") -> dict[str, Any]:
        site_id = _site(db).id or 0
        held = svc.skill_ids_by_staff(db, site_id)
        counts: dict[int, int] = {}
        for skill_ids in held.values():
            for skill_id in skill_ids:
                counts[skill_id] = counts.get(skill_id, 0) + 1
        if values is None:
            values = {"code": edit.code, "name": edit.name} if edit else {}
        return _common(tab="skills", skills=svc.skills_of_site(db, site_id), counts=counts, edit=edit,
                       values=values, saved=saved)

    @get("/skills", sync_to_thread=True)
    def skills(self, request: Request, db: Session, edit: int | None = None) -> Template:
        """Skills and how many people hold each."""
        row = svc.skill(db, _site(db).id or 0, edit) if edit else None
        if edit and row is None:
            raise NotFoundException("No such skill.")
        return page("staff/admin_skills.html",
                    **self._skills(db, row, saved=request.query_params.get("saved", "")))

    @post("/skills", sync_to_thread=True, status_code=303)
    def skill_create(self, request: Request, db: Session, data: FormData) -> Template | Redirect:
        """Add a skill."""
        return self._save_skill(request, db, data, None)

    @post("/skills/{skill_id:int}", sync_to_thread=True, status_code=303)
    def skill_update(self, request: Request, db: Session, skill_id: int,
                     data: FormData) -> Template | Redirect:
        """Rename a skill."""
        row = svc.skill(db, _site(db).id or 0, skill_id)
        if row is None:
            raise NotFoundException("No such skill.")
        return self._save_skill(request, db, data, row)

    def _save_skill(self, request: Request, db: Session, data: dict[str, Any],
                    row: Any) -> Template | Redirect:
        return _save_form(request, db, data, row, save=svc.save_skill,
                          template="staff/admin_skills.html", context=self._skills,
                          action="skill", url="/staff/team/skills")

    # --- shift types ----------------------------------------------------------------------------

    def _shifts(self, db: Session, edit: Any = None, values: dict[str, Any] | None = None,
                saved: str = "") -> dict[str, Any]:
        if values is None:
            values = {"code": edit.code, "name": edit.name, "start": minutes_label(edit.start_minute),
                      "length_hours": _hours(edit.length_minutes), "colour": edit.colour,
                      "is_night": edit.is_night} if edit else {"start": "07:00", "length_hours": "8",
                                                               "colour": "#4c6ef5"}
        return _common(tab="shifts", shifts=svc.shift_types_of_site(db, _site(db).id or 0), edit=edit,
                       values=values, saved=saved, hours=_hours)

    @get("/shifts", sync_to_thread=True)
    def shifts(self, request: Request, db: Session, edit: int | None = None) -> Template:
        """Shift types: code, name, start, length, colour, night."""
        row = svc.shift_type(db, _site(db).id or 0, edit) if edit else None
        if edit and row is None:
            raise NotFoundException("No such shift type.")
        return page("staff/admin_shifts.html",
                    **self._shifts(db, row, saved=request.query_params.get("saved", "")))

    @post("/shifts", sync_to_thread=True, status_code=303)
    def shift_create(self, request: Request, db: Session, data: FormData) -> Template | Redirect:
        """Add a shift type."""
        return self._save_shift(request, db, data, None)

    @post("/shifts/{shift_type_id:int}", sync_to_thread=True, status_code=303)
    def shift_update(self, request: Request, db: Session, shift_type_id: int,
                     data: FormData) -> Template | Redirect:
        """Change a shift type."""
        row = svc.shift_type(db, _site(db).id or 0, shift_type_id)
        if row is None:
            raise NotFoundException("No such shift type.")
        return self._save_shift(request, db, data, row)

    def _save_shift(self, request: Request, db: Session, data: dict[str, Any],
                    row: Any) -> Template | Redirect:
        return _save_form(request, db, data, row, save=svc.save_shift_type,
                          template="staff/admin_shifts.html", context=self._shifts,
                          action="shift_type", url="/staff/team/shifts")

    # --- cover demand ---------------------------------------------------------------------------

    def _cover(self, db: Session, values: dict[str, Any] | None = None, saved: str = "") -> dict[str, Any]:
        site_id = _site(db).id or 0
        shifts = svc.shift_types_of_site(db, site_id)
        skills = svc.skills_of_site(db, site_id)
        grid = svc.cover_grid(db, site_id)
        rows = [(s, None) for s in shifts]
        skill_by_id = {k.id: k for k in skills}
        seen = set()
        for row in svc.cover_of_site(db, site_id):
            if row.skill_id and (row.shift_type_id, row.skill_id) not in seen:
                seen.add((row.shift_type_id, row.skill_id))
        shift_by_id = {s.id: s for s in shifts}
        for shift_id, skill_id in sorted(seen, key=lambda p: (shift_by_id[p[0]].start_minute, p[1])):
            rows.append((shift_by_id[shift_id], skill_by_id[skill_id]))
        if values is None:
            values = {k: str(v) for k, v in grid.items()}
        return _common(tab="cover", rows=rows, shifts=shifts, skills=skills, values=values,
                       weekdays=[_(d) for d in WEEKDAYS], field=svc.cover_field, saved=saved)

    @get("/cover", sync_to_thread=True)
    def cover(self, request: Request, db: Session) -> Template:
        """People needed per weekday and shift, optionally with a skill."""
        return page("staff/admin_cover.html", **self._cover(db, saved=request.query_params.get("saved", "")))

    @post("/cover", sync_to_thread=True, status_code=303)
    def cover_save(self, request: Request, db: Session, data: FormData) -> Template | Redirect:
        """Store the grid (and add a skill row)."""
        site_id = _site(db).id or 0
        saved = svc.save_cover(db, site_id, data)
        if not saved.ok:
            db.rollback()
            return _refused("staff/admin_cover.html", saved.errors,
                            self._cover(db, {**svc.cover_grid(db, site_id), **_values(data)}))
        audit_sync(request, "staff_admin.cover_update", "site", site_id)
        return see_other("/staff/team/cover?saved=1")

    @post("/cover/remove", sync_to_thread=True, status_code=303)
    def cover_remove(self, request: Request, db: Session, data: FormData) -> Redirect:
        """Remove a skill row of the grid."""
        site_id = _site(db).id or 0
        try:
            shift_id, skill_id = int(data.get("shift_type_id", "")), int(data.get("skill_id", ""))
        except ValueError:
            return see_other("/staff/team/cover")
        svc.remove_cover_row(db, site_id, shift_id, skill_id)
        audit_sync(request, "staff_admin.cover_remove", "shift_type", f"{shift_id}:{skill_id}")
        return see_other("/staff/team/cover?saved=1")

    # --- leave ----------------------------------------------------------------------------------

    def _leave(self, db: Session, values: dict[str, Any] | None = None, saved: str = "") -> dict[str, Any]:
        site_id = _site(db).id or 0
        today = dt.date.today()
        return _common(tab="leave", leave=svc.coming_leave(db, site_id, today),
                       members=[m for m in svc.staff_members(db, site_id) if m.active],
                       kinds=[(k.value, _(label)) for k, label in LEAVE_KINDS.items()],
                       kind_label={k.value: _(label) for k, label in LEAVE_KINDS.items()},
                       values=values if values is not None else {"start_date": today.isoformat(),
                                                                 "end_date": today.isoformat()},
                       saved=saved)

    @get("/leave", sync_to_thread=True)
    def leave(self, request: Request, db: Session) -> Template:
        """Coming leave of everyone, and the form to enter leave for anyone."""
        audit_sync(request, "staff_admin.read", "leave_list", _site(db).id)
        return page("staff/admin_leave.html", **self._leave(db, saved=request.query_params.get("saved", "")))

    @post("/leave", sync_to_thread=True, status_code=303)
    def leave_add(self, request: Request, db: Session, data: FormData) -> Template | Redirect:
        """Enter leave for a staff member (sick leave included)."""
        saved = svc.save_leave(db, _site(db).id or 0, data)
        if not saved.ok:
            db.rollback()
            return _refused("staff/admin_leave.html", saved.errors,
                            self._leave(db, _values(data)))
        audit_sync(request, "staff_admin.leave_add", "staff", saved.row.staff_id)
        return see_other("/staff/team/leave?saved=1")

    @post("/leave/{leave_id:int}/delete", sync_to_thread=True, status_code=303)
    def leave_delete(self, request: Request, db: Session, leave_id: int) -> Redirect:
        """Remove one leave."""
        row = svc.remove_leave(db, _site(db).id or 0, leave_id)
        if row is None:
            raise NotFoundException("No such leave.")
        audit_sync(request, "staff_admin.leave_delete", "staff", row.staff_id)
        return see_other("/staff/team/leave?saved=1")
