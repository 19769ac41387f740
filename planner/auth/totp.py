"""Time-based one-time passwords (RFC 6238, HMAC-SHA1, 6 digits, 30 s), standard library only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote

STEP_SECONDS = 30
DIGITS = 6


def new_secret() -> str:
    """A random 160-bit secret, base32 as authenticator apps expect it."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _key(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def hotp(secret: str, counter: int) -> str:
    """The HOTP value (RFC 4226) of ``counter``."""
    digest = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def totp(secret: str, at: float | None = None) -> str:
    """The code shown by an authenticator at instant ``at`` (now by default)."""
    return hotp(secret, int((time.time() if at is None else at) // STEP_SECONDS))


def verify(secret: str, code: str, at: float | None = None, window: int = 1) -> bool:
    """Whether ``code`` is valid now, allowing ``window`` steps of clock drift either side."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != DIGITS:
        return False
    counter = int((time.time() if at is None else at) // STEP_SECONDS)
    return any(hmac.compare_digest(hotp(secret, counter + delta), code)
               for delta in range(-window, window + 1))


def grouped(secret: str) -> str:
    """The secret in groups of four characters, easier to type."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(secret: str, account: str, issuer: str = "Créneau") -> str:
    """The ``otpauth://`` URI an authenticator app accepts."""
    return (f"otpauth://totp/{quote(issuer)}:{quote(account)}?secret={secret}"
            f"&issuer={quote(issuer)}&digits={DIGITS}&period={STEP_SECONDS}")
