"""Checks on incoming offers, and the filtering of remote candidates."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from telecon.config import IceConfig
from telecon.errors import BadSdp
from telecon.sdp import candidate_addresses, filter_candidates, validate_offer

#: The SDP placeholder address ("no address here"), never a destination.
UNSPECIFIED = ".".join(["0"] * 4)
FP = "a=fingerprint:sha-256 " + ":".join(["AB"] * 32)
# Shaped like a Chromium offer (trimmed).
OFFER = "\r\n".join(
    [
        "v=0",
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1 2",
        "a=msid-semantic: WMS",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8",
        f"c=IN IP4 {UNSPECIFIED}",
        "a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host generation 0",
        "a=candidate:2 1 udp 2122260223 192.168.1.20 50001 typ host generation 0",
        "a=candidate:3 1 udp 2122260223 8c1f4a6e-3f7b.local 50002 typ host generation 0",
        "a=candidate:4 1 tcp 1518280447 127.0.0.1 9 typ host tcptype active generation 0",
        "a=candidate:5 1 udp 1686052607 203.0.113.9 50003 typ srflx raddr 10.0.0.2 rport 5",
        "a=ice-ufrag:abcd",
        "a=ice-pwd:0123456789abcdefghijkl",
        "a=ice-options:trickle",
        FP,
        "a=setup:actpass",
        "a=mid:0",
        "a=sendrecv",
        "a=rtcp-mux",
        "a=rtpmap:111 opus/48000/2",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
        f"c=IN IP4 {UNSPECIFIED}",
        "a=ice-ufrag:abcd",
        "a=ice-pwd:0123456789abcdefghijkl",
        FP,
        "a=setup:actpass",
        "a=mid:1",
        "a=sendrecv",
        "a=rtpmap:96 VP8/90000",
        "a=rtpmap:97 rtx/90000",
        "a=fmtp:97 apt=96",
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
        f"c=IN IP4 {UNSPECIFIED}",
        "a=ice-ufrag:abcd",
        "a=ice-pwd:0123456789abcdefghijkl",
        FP,
        "a=setup:actpass",
        "a=mid:2",
        "a=sctp-port:5000",
        "",
    ]
)


def reason(sdp: object, sdp_type: object = "offer", max_bytes: int = 16 * 1024) -> str:
    with pytest.raises(BadSdp) as info:
        validate_offer(sdp, sdp_type, max_bytes)
    return info.value.reason


def test_browser_offer_accepted() -> None:
    assert validate_offer(OFFER, "offer") == OFFER


def test_refusals() -> None:
    assert reason(OFFER, "answer") == "not_offer"
    assert reason(OFFER + "a=x:" + "y" * 17_000 + "\r\n") == "too_large"
    assert reason(OFFER, max_bytes=1000) == "too_large"
    assert reason(b"v=0") == "not_text"
    assert reason(f"o=- 1 1 IN IP4 {UNSPECIFIED}\r\n") == "not_text"
    assert reason(OFFER.replace("s=-", "s=\x00")) == "not_text"
    assert reason(OFFER.replace(FP + "\r\n", "")) == "no_fingerprint"
    assert reason(OFFER.replace("a=ice-pwd:0123456789abcdefghijkl\r\n", "")) == ("no_ice_credentials")
    assert reason(OFFER.split("m=audio")[0]) == "no_media"
    assert reason(OFFER.replace("m=video 9 UDP/TLS/RTP/SAVPF 96 97", "m=video x")) == ("bad_m_line")
    assert reason(OFFER.replace("m=video 9 UDP/TLS/RTP/SAVPF", "m=text 9 RTP/AVP")) == ("bad_media")
    video = OFFER[OFFER.index("m=video") : OFFER.index("m=application")]
    assert reason(OFFER + video) == "too_many_media"


def test_session_level_fingerprint_is_enough() -> None:
    moved = OFFER.replace(FP + "\r\n", "").replace("t=0 0\r\n", "t=0 0\r\n" + FP + "\r\n")
    assert validate_offer(moved, "offer") == moved


def test_filter_keeps_only_accepted_udp_candidates() -> None:
    filtered, dropped = filter_candidates(OFFER, IceConfig.loopback().accepts)
    assert dropped == 4  # LAN, mDNS, TCP and the public srflx candidate
    assert candidate_addresses(filtered) == [UNSPECIFIED, "127.0.0.1", UNSPECIFIED, UNSPECIFIED]
    everything = IceConfig().accepts
    assert filter_candidates(OFFER, everything)[1] == 2  # mDNS and TCP only


def test_ice_config_validates() -> None:
    with pytest.raises(ValueError):
        IceConfig(host_addresses=("not-an-ip",))
    with pytest.raises(ValueError):
        IceConfig(accepted_networks=("300.1.2.0/24",))
    assert IceConfig().rtc_configuration().iceServers == []  # never the default STUN


@given(st.text(max_size=2000))
def test_arbitrary_text_raises_only_bad_sdp(text: str) -> None:
    with contextlib.suppress(BadSdp):
        validate_offer(text, "offer")
