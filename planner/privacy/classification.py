"""Every column of every table, classified in one place.

- ``IDENTIFYING``: names a person or lets someone reach them (name, birth date, e-mail, phone…).
- ``HEALTH``: says something about a person's health (the reason for a visit, a visit's outcome).
- ``OPERATIONAL``: everything else (ids, times, settings, counts).
- ``SECRET``: credentials and keys, never exported.

A test fails when a column is missing here, so a new column cannot slip in unclassified; exports,
erasure and retention read this table.
"""

from __future__ import annotations

from enum import StrEnum


class DataClass(StrEnum):
    """How sensitive a column is."""

    IDENTIFYING = "identifying"
    HEALTH = "health"
    OPERATIONAL = "operational"
    SECRET = "secret"


I, H, O, S = DataClass.IDENTIFYING, DataClass.HEALTH, DataClass.OPERATIONAL, DataClass.SECRET  # noqa: E741

CLASSIFICATION: dict[str, dict[str, DataClass]] = {
    "site": {"id": O, "slug": O, "name": O, "timezone": O, "address": O, "phone": O, "email": O},
    "room": {"id": O, "site_id": O, "name": O},
    "contract": {
        "id": O, "site_id": O, "name": O, "min_minutes_per_4_weeks": O,
        "max_minutes_per_4_weeks": O, "max_consecutive_shifts": O, "min_consecutive_shifts": O,
        "min_consecutive_days_off": O, "max_weekends_per_4_weeks": O, "min_rest_minutes": O,
        "max_minutes_per_7_days": O,
    },
    "staffmember": {
        "id": O, "site_id": O, "code": O, "given_name": I, "family_name": I, "title": O,
        "profession": O, "contract_id": O, "works_shifts": O, "holds_sessions": O,
        "max_shifts": O, "active": O,
    },
    "skill": {"id": O, "site_id": O, "code": O, "name": O},
    "staffskill": {"staff_id": O, "skill_id": O},
    "useraccount": {
        "id": O, "email": I, "password_hash": S, "role": O, "staff_id": O, "totp_secret": S,
        "active": O, "created_at": O,
    },
    "shifttype": {
        "id": O, "site_id": O, "code": O, "name": O, "start_minute": O, "length_minutes": O,
        "colour": O, "is_night": O,
    },
    "coverdemand": {
        "id": O, "site_id": O, "shift_type_id": O, "weekday": O, "required": O, "skill_id": O,
        "under_weight": O, "over_weight": O,
    },
    "staffrequest": {
        "id": O, "staff_id": O, "day": O, "kind": O, "shift_type_id": O, "weight": O,
        "created_at": O,
    },
    "leave": {"id": O, "staff_id": O, "start_date": O, "end_date": O, "kind": H, "note": H},
    "roster": {
        "id": O, "site_id": O, "start_date": O, "days": O, "version": O, "status": O,
        "parent_id": O, "solver_status": O, "objective": O, "bound": O, "solve_seconds": O,
        "created_at": O, "published_at": O,
    },
    "assignment": {
        "id": O, "roster_id": O, "staff_id": O, "day": O, "shift_type_id": O, "pinned": O,
    },
    "rosterviolation": {
        "id": O, "roster_id": O, "rule": O, "staff_id": O, "day": O, "cost": O, "message": O,
        "shift_type_id": O,
    },
    "rosterpin": {"id": O, "roster_id": O, "staff_id": O, "day": O, "shift_type_id": O},
    "staffsession": {
        "id": S, "user_id": O, "created_at": O, "last_seen_at": O, "csrf_token": S,
        "second_factor_ok": O, "ip": I,
    },
    "signinfailure": {"id": O, "at": O, "account": I, "ip": I},
    "motif": {
        "id": O, "site_id": O, "code": O, "name": O, "name_en": O, "profession": O, "mode": O,
        "duration_minutes": O, "buffer_before_minutes": O, "buffer_after_minutes": O,
        "min_notice_minutes": O, "horizon_days": O, "cancel_cutoff_minutes": O, "urgent": O,
        "new_patients": O, "active": O,
    },
    "consultationsession": {
        "id": O, "site_id": O, "staff_id": O, "room_id": O, "starts_at": O, "ends_at": O,
        "video": O, "roster_id": O,
    },
    "slot": {
        "id": O, "session_id": O, "staff_id": O, "room_id": O, "motif_id": O, "mode": O,
        "starts_at": O, "ends_at": O, "held_until": O, "withdrawn": O,
    },
    "patient": {
        "id": O, "given_name": I, "family_name": I, "birth_date": I, "email": I, "phone": I,
        "created_at": O,
    },
    "appointment": {
        "id": O, "slot_id": O, "patient_id": O, "motif_id": H, "status": H, "reason": H,
        "idempotency_key": O, "booked_by": O, "created_at": O, "cancelled_at": O,
        "locale": O, "revision": O,
    },
    "mailmessage": {
        "id": O, "kind": O, "to_address": I, "subject": I, "body": I, "ics": I,
        "appointment_id": O, "dedupe_key": O, "status": O, "attempts": O, "next_attempt_at": O,
        "claimed_until": O, "last_error": O, "created_at": O, "sent_at": O,
    },
    "waitlistentry": {
        "id": O, "patient_id": O, "motif_id": H, "appointment_id": O, "wanted_before": O,
        "status": O, "offered_slot_id": O, "offer_expires_at": O, "created_at": O,
    },
    "booking_generation": {"id": O, "value": O},
    "apitoken": {
        "id": O, "name": O, "token_hash": S, "scopes": O, "created_at": O, "revoked_at": O,
        "last_used_at": O,
    },
    "calendarfeed": {
        "id": O, "staff_id": O, "kind": O, "token_hash": S, "created_at": O, "created_by": O,
        "revoked_at": O, "revoked_by": O, "last_used_at": O,
    },
    "maintenancerun": {
        "id": O, "job": O, "day": O, "started_at": O, "finished_at": O, "ok": O, "detail": O,
    },
    "auditevent": {
        "id": O, "at": O, "actor": I, "role": O, "action": O, "object_type": O, "object_id": O,
        "outcome": O, "request_id": O, "prev_hash": O, "hash": O,
    },
}


def columns_of(data_class: DataClass) -> dict[str, list[str]]:
    """Per table, the columns of ``data_class``."""
    return {
        table: [name for name, kind in columns.items() if kind == data_class]
        for table, columns in CLASSIFICATION.items()
        if any(kind == data_class for kind in columns.values())
    }
