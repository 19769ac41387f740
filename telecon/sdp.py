"""Checks on session descriptions received from browsers, before aiortc parses them.

:func:`validate_offer` refuses anything but a modest, complete offer;
:func:`filter_candidates` drops the ICE candidates outside the accepted networks;
:func:`candidate_addresses` lists the addresses a description offers (tests, logs).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from telecon.errors import BadSdp

DEFAULT_MAX_BYTES = 16 * 1024
MAX_MEDIA_PER_KIND = 1

_MEDIA_PROTOS = {
    "audio": ("UDP/TLS/RTP/SAVPF", "RTP/SAVPF"),
    "video": ("UDP/TLS/RTP/SAVPF", "RTP/SAVPF"),
    "application": ("UDP/DTLS/SCTP", "DTLS/SCTP"),
}
_FINGERPRINT = re.compile(r"^a=fingerprint:(sha-1|sha-224|sha-256|sha-384|sha-512) [0-9A-Fa-f:]+$")
_M_LINE = re.compile(r"^m=(\S+) (\d+)(?:/\d+)? (\S+)((?: \S+)+)$")


@dataclass(frozen=True)
class MediaSection:
    """One ``m=`` section of a description."""

    kind: str
    proto: str
    lines: tuple[str, ...]


def _lines(sdp: str) -> list[str]:
    return [line for line in sdp.replace("\r\n", "\n").split("\n") if line]


def _sections(lines: list[str]) -> tuple[list[str], list[MediaSection]]:
    session: list[str] = []
    heads: list[tuple[str, str]] = []
    bodies: list[list[str]] = []
    for line in lines:
        if line.startswith("m="):
            match = _M_LINE.match(line)
            if match is None:
                raise BadSdp("bad_m_line", line[:80])
            heads.append((match.group(1), match.group(3)))
            bodies.append([line])
        elif bodies:
            bodies[-1].append(line)
        else:
            session.append(line)
    media = [MediaSection(k, p, tuple(b)) for (k, p), b in zip(heads, bodies, strict=True)]
    return session, media


def validate_offer(sdp: object, sdp_type: object, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Return ``sdp`` if it is an acceptable offer.

    Raises:
        BadSdp: reason ``not_offer``, ``too_large``, ``not_text``, ``no_media``,
            ``bad_m_line``, ``bad_media``, ``too_many_media``, ``no_fingerprint``,
            ``no_ice_credentials``.
    """
    if sdp_type != "offer":
        raise BadSdp("not_offer", f"type {str(sdp_type)[:20]!r}")
    if not isinstance(sdp, str):
        raise BadSdp("not_text")
    if len(sdp.encode("utf-8", "replace")) > max_bytes:
        raise BadSdp("too_large", f"more than {max_bytes} bytes")
    if any(not c.isprintable() and c not in "\r\n" for c in sdp):
        raise BadSdp("not_text", "control characters")
    lines = _lines(sdp)
    if not lines or lines[0] != "v=0":
        raise BadSdp("not_text", "does not start with v=0")
    session, media = _sections(lines)
    if not media:
        raise BadSdp("no_media")
    counts: dict[str, int] = {}
    for section in media:
        protos = _MEDIA_PROTOS.get(section.kind)
        if protos is None or section.proto not in protos:
            raise BadSdp("bad_media", f"{section.kind} {section.proto}")
        counts[section.kind] = counts.get(section.kind, 0) + 1
        if counts[section.kind] > MAX_MEDIA_PER_KIND:
            raise BadSdp("too_many_media", section.kind)
    session_fp = any(_FINGERPRINT.match(line) for line in session)
    for section in media:
        if not session_fp and not any(_FINGERPRINT.match(line) for line in section.lines):
            raise BadSdp("no_fingerprint", section.kind)
        for attr in ("a=ice-ufrag:", "a=ice-pwd:"):
            if not any(line.startswith(attr) for line in (*session, *section.lines)):
                raise BadSdp("no_ice_credentials", section.kind)
    return sdp


def _candidate_address(line: str) -> tuple[str, str] | None:
    """``(transport, address)`` of an ``a=candidate:`` line, or ``None`` if malformed."""
    parts = line[len("a=candidate:") :].split()
    if len(parts) < 8 or parts[6] != "typ":
        return None
    return parts[2].lower(), parts[4]


def filter_candidates(sdp: str, accepts: Callable[[str], bool]) -> tuple[str, int]:
    """Drop ``a=candidate`` lines that are not UDP or whose address ``accepts`` refuses.

    Returns:
        The filtered description and how many candidates were dropped.
    """
    kept: list[str] = []
    dropped = 0
    for line in _lines(sdp):
        if line.startswith("a=candidate:"):
            parsed = _candidate_address(line)
            if parsed is None or parsed[0] != "udp" or not accepts(parsed[1]):
                dropped += 1
                continue
        kept.append(line)
    return "\r\n".join(kept) + "\r\n", dropped


def media_kinds(sdp: str) -> list[str]:
    """The kinds of the ``m=`` sections, in order (``audio``, ``video``, ``application``)."""
    return [line[2:].split(" ", 1)[0] for line in _lines(sdp) if line.startswith("m=")]


def candidate_addresses(sdp: str) -> list[str]:
    """Every candidate address in ``sdp`` (connection and related addresses too)."""
    addresses: list[str] = []
    for line in _lines(sdp):
        if line.startswith("a=candidate:"):
            parts = line[len("a=candidate:") :].split()
            if len(parts) >= 5:
                addresses.append(parts[4])
            if "raddr" in parts:
                addresses.append(parts[parts.index("raddr") + 1])
        elif line.startswith("c=IN "):
            addresses.append(line.split()[-1])
    return addresses
