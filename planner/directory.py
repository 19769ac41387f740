"""What the public can see of a centre: the site, its bookable motifs and its clinicians."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from planner.models import Motif, Profession, Site, StaffMember

_PROFESSION_ORDER = list(Profession)


@dataclass(frozen=True)
class PublicDirectory:
    """The centre as patients see it."""

    site: Site | None
    motifs: list[Motif]
    clinicians: list[StaffMember]


def public_directory(session: Session) -> PublicDirectory:
    """The first site, its active motifs and its clinicians grouped by profession."""
    site = session.exec(select(Site).order_by(col(Site.id)).limit(1)).first()
    if site is None:
        return PublicDirectory(site=None, motifs=[], clinicians=[])
    motifs = list(session.exec(
        select(Motif).where(Motif.site_id == site.id, col(Motif.active))
        .order_by(col(Motif.profession), col(Motif.mode), col(Motif.name))
    ))
    staff = session.exec(
        select(StaffMember).where(
            StaffMember.site_id == site.id, col(StaffMember.active),
            col(StaffMember.holds_sessions) | col(StaffMember.works_shifts),
        )
    ).all()
    clinicians = sorted(staff, key=lambda m: (_PROFESSION_ORDER.index(m.profession),
                                              m.family_name, m.given_name))
    return PublicDirectory(site=site, motifs=motifs, clinicians=clinicians)


def centre_name(session: Session) -> str | None:
    """The name of the first site, if any."""
    return session.exec(select(Site.name).order_by(col(Site.id)).limit(1)).first()
