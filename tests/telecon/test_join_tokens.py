"""Join tokens: signed, short-lived, bound to a room, a role and a person."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telecon.errors import TokenError, TokenErrorReason
from telecon.tokens import Role, issue_token, verify_token

SECRET = b"0123456789abcdef-secret"
NOW = 1_800_000_000.0


def _reason(token: str | None, room: str = "a1", now: float = NOW) -> TokenErrorReason:
    with pytest.raises(TokenError) as info:
        verify_token(SECRET, token, room, now=now)
    return info.value.code


def _signed(payload: bytes) -> str:
    body = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
    sig = hmac.new(SECRET, body.encode(), hashlib.sha256).digest()
    return body + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()


def test_round_trip() -> None:
    token = issue_token(SECRET, "a1", "pharmacist", "ph7", ttl_seconds=60, now=NOW)
    claims = verify_token(SECRET, token, "a1", now=NOW + 59)
    assert (claims.room_id, claims.role, claims.person_id) == ("a1", Role.PHARMACIST, "ph7")
    assert claims.role.patient_side and not Role.CLINICIAN.patient_side
    assert all(c.isalnum() or c in "-_." for c in token)  # URL-safe


def test_missing() -> None:
    assert _reason(None) is TokenErrorReason.MISSING
    assert _reason("") is TokenErrorReason.MISSING


def test_malformed() -> None:
    assert _reason("no-dot-here") is TokenErrorReason.MALFORMED
    assert _reason("a.b.c") is TokenErrorReason.MALFORMED
    assert _reason("x" * 2000 + ".y") is TokenErrorReason.MALFORMED
    assert _reason(_signed(b"not json")) is TokenErrorReason.MALFORMED
    bad_role = {"v": 1, "r": "a1", "ro": "admin", "p": "x", "exp": NOW + 60}
    assert _reason(_signed(json.dumps(bad_role).encode())) is TokenErrorReason.MALFORMED


def test_tampered_and_foreign_key() -> None:
    token = issue_token(SECRET, "a1", "patient", "p1", now=NOW)
    payload, sig = token.split(".")
    forged = json.dumps({"v": 1, "r": "a1", "ro": "clinician", "p": "p1", "exp": NOW + 60})
    forged_body = base64.urlsafe_b64encode(forged.encode()).rstrip(b"=").decode()
    assert _reason(f"{forged_body}.{sig}") is TokenErrorReason.BAD_SIGNATURE
    assert _reason(f"{payload}.{sig[:-2]}AA") is TokenErrorReason.BAD_SIGNATURE
    other = issue_token(b"another-secret-of-16+", "a1", "patient", "p1", now=NOW)
    assert _reason(other) is TokenErrorReason.BAD_SIGNATURE


def test_expired_and_wrong_room() -> None:
    token = issue_token(SECRET, "a1", "patient", "p1", ttl_seconds=60, now=NOW)
    assert _reason(token, now=NOW + 60) is TokenErrorReason.EXPIRED
    assert _reason(token, room="a2") is TokenErrorReason.WRONG_ROOM


def test_short_secret_refused() -> None:
    with pytest.raises(ValueError):
        issue_token(b"short", "a1", "patient", "p1")


@given(st.text(max_size=300))
def test_arbitrary_input_only_raises_token_error(text: str) -> None:
    with pytest.raises(TokenError):
        verify_token(SECRET, text, "a1", now=NOW)
