"""Every use of aiortc and aioice internals, in one place.

Pinned against aiortc 1.16.0 and aioice 0.13.0. :func:`check_internals` verifies each
assumption below and fails loudly when an upgrade breaks one; the test suite calls it.

Internals relied upon:

* ``aiortc.rtcrtpreceiver.RTCRtpReceiver`` keeps a private ``queue.Queue``
  (``_RTCRtpReceiver__decoder_queue``) into which ``_handle_rtp_packet`` puts
  ``(codec, JitterFrame)`` tuples, the encoded frames re-assembled by the jitter buffer;
  ``receive()`` starts a ``decoder_worker`` thread that ``get()``\\ s from that queue and
  exits when it reads ``None``. :func:`tap_receiver` replaces the queue, before
  ``receive()`` runs, by one that hands each encoded frame to a callback on the event
  loop and whose ``get()`` returns ``None`` at once, so the decoder thread ends
  immediately and nothing is ever decoded.
* The receiver's ``_RTCRtpReceiver__jitter_buffer`` (a ``JitterBuffer``) holds audio back
  until 4 later packets arrived (``prefetch=4``, 80 ms). A forwarding server leaves
  de-jittering to the browser, so :func:`tap_receiver` swaps it for one with
  ``prefetch=0`` (a frame still leaves when the next one starts: +20 ms audio, +1 frame
  video).
* ``JitterFrame`` has ``data`` (the depayloaded frame) and ``timestamp`` (RTP clock,
  rebased to 0 by the receiver's ``TimestampMapper``).
* ``RTCRtpReceiver._send_rtcp_pli(media_ssrc)`` sends a Picture Loss Indication;
  ``getSynchronizationSources()`` (public) gives the sender's SSRC.
* ``RTCRtpSender._handle_rtcp_packet`` calls ``self._send_keyframe()`` on PLI and FIR:
  :func:`on_keyframe_request` overrides that method on one sender instance.
* ``RTCRtpSender._next_encoded_frame`` packs (does not encode) whatever a track's
  ``recv()`` returns when it is an ``av.Packet`` rather than a frame (public behaviour).
* ``aioice.ice.Connection.gather_candidates`` calls the module-level
  ``aioice.ice.get_host_addresses(use_ipv4, use_ipv6)``; aiortc's
  ``RTCPeerConnection.setLocalDescription`` awaits gathering inside the calling task
  (through ``asyncio.gather``, whose tasks copy the caller's context). :func:`host_addresses`
  therefore scopes the announced addresses with a ``ContextVar``: a process-wide
  dispatcher, installed once, returns the scoped list and falls back to aioice's own
  discovery outside any scope.
* ``aioice.ice.StunProtocol.datagram_received`` hands every STUN request to
  ``Connection.request_received(message, addr, protocol)``, which answers it and learns a
  peer-reflexive candidate from ``addr``. :func:`restrict_remote_addresses` overrides that
  method on one connection (reached as ``RTCIceTransport._connection``) so that checks
  from refused networks are dropped unanswered.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import logging
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import aioice.ice
import aiortc.rtcrtpreceiver
import aiortc.rtcrtpsender
from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCRtpSender
from aiortc.jitterbuffer import JitterBuffer

logger = logging.getLogger(__name__)

PINNED_AIORTC = "1.16.0"
PINNED_AIOICE = "0.13.0"

#: Receives ``(codec mime type, frame bytes, timestamp)`` for every encoded frame.
FrameSink = Callable[[str, bytes, int], None]

_DECODER_QUEUE_ATTR = "_RTCRtpReceiver__decoder_queue"
_DECODER_THREAD_ATTR = "_RTCRtpReceiver__decoder_thread"
_JITTER_BUFFER_ATTR = "_RTCRtpReceiver__jitter_buffer"


class SeamBroken(RuntimeError):
    """An aiortc/aioice internal this module relies on has changed."""


class _TapQueue(queue.Queue):  # type: ignore[type-arg]
    """Stands in for a receiver's decoder queue and diverts encoded frames."""

    def __init__(self, sink: FrameSink) -> None:
        super().__init__()
        self.sink: FrameSink | None = sink

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:  # the receiver stopping its decoder: nothing to do
            return
        codec, frame = item
        sink = self.sink
        if sink is not None:
            try:
                sink(codec.mimeType.lower(), bytes(frame.data), int(frame.timestamp))
            except Exception:  # a faulty sink must not kill the receiver
                logger.exception("frame sink failed")

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        return None  # the decoder thread exits at once: nothing is decoded


def tap_receiver(receiver: RTCRtpReceiver, sink: FrameSink) -> None:
    """Divert a receiver's encoded frames to ``sink`` instead of its decoder.

    Must be called before the receiver starts (``receive()``), i.e. between
    ``setRemoteDescription`` and the connection being established.

    Raises:
        SeamBroken: The receiver has already started or its internals changed.
    """
    if getattr(receiver, _DECODER_THREAD_ATTR, "missing") is not None:
        raise SeamBroken("receiver already started or aiortc internals changed")
    if not isinstance(getattr(receiver, _DECODER_QUEUE_ATTR, None), queue.Queue):
        raise SeamBroken("RTCRtpReceiver has no decoder queue")
    buffer = getattr(receiver, _JITTER_BUFFER_ATTR, None)
    if not isinstance(buffer, JitterBuffer):
        raise SeamBroken("RTCRtpReceiver has no jitter buffer")
    setattr(receiver, _DECODER_QUEUE_ATTR, _TapQueue(sink))
    if buffer._prefetch:
        setattr(
            receiver,
            _JITTER_BUFFER_ATTR,
            JitterBuffer(capacity=buffer.capacity, prefetch=0, is_video=buffer._is_video),
        )


def untap_receiver(receiver: RTCRtpReceiver) -> None:
    """Stop delivering a tapped receiver's frames (its sink is dropped)."""
    tap = getattr(receiver, _DECODER_QUEUE_ATTR, None)
    if isinstance(tap, _TapQueue):
        tap.sink = None


def on_keyframe_request(sender: RTCRtpSender, callback: Callable[[], None]) -> None:
    """Call ``callback`` whenever the remote side asks ``sender`` for a keyframe (PLI/FIR)."""
    if not callable(getattr(sender, "_send_keyframe", None)):
        raise SeamBroken("RTCRtpSender._send_keyframe is missing")
    sender._send_keyframe = callback  # type: ignore[method-assign]


async def request_keyframe(receiver: RTCRtpReceiver) -> bool:
    """Send a PLI to the remote sender(s) of ``receiver``.

    Returns:
        Whether a PLI could be sent (the sender's SSRC is known).
    """
    sources = receiver.getSynchronizationSources()
    for source in sources:
        await receiver._send_rtcp_pli(source.source)
    return bool(sources)


# --- aioice host addresses ----------------------------------------------------------

_scoped_hosts: contextvars.ContextVar[tuple[str, ...] | None] = contextvars.ContextVar(
    "telecon_host_addresses", default=None
)
_original_get_host_addresses: Callable[[bool, bool], list[str]] | None = None
_install_lock = threading.Lock()


def _dispatch_host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    scoped = _scoped_hosts.get()
    if scoped is not None:
        return list(scoped)
    assert _original_get_host_addresses is not None
    return _original_get_host_addresses(use_ipv4, use_ipv6)


def _install_dispatcher() -> None:
    global _original_get_host_addresses
    with _install_lock:
        current = aioice.ice.get_host_addresses
        if current is _dispatch_host_addresses:
            return
        _original_get_host_addresses = current
        aioice.ice.get_host_addresses = _dispatch_host_addresses


@contextlib.contextmanager
def host_addresses(addresses: Sequence[str]) -> Iterator[None]:
    """Announce exactly ``addresses`` as host candidates for ICE gathering in this scope.

    Wrap ``await pc.setLocalDescription(...)`` in it. An empty sequence leaves aioice's
    own discovery (every non-loopback interface) in place.
    """
    if not addresses:
        yield
        return
    _install_dispatcher()
    token = _scoped_hosts.set(tuple(addresses))
    try:
        yield
    finally:
        _scoped_hosts.reset(token)


def ice_connections(pc: RTCPeerConnection) -> list[aioice.ice.Connection]:
    """The aioice connections of a peer connection's ICE transports (after bundling)."""
    transports = [t.receiver.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        transports.append(pc.sctp.transport)
    connections: list[aioice.ice.Connection] = []
    for dtls in transports:
        connection = getattr(dtls.transport, "_connection", None)
        if not isinstance(connection, aioice.ice.Connection):
            raise SeamBroken("RTCIceTransport._connection is not an aioice Connection")
        if connection not in connections:
            connections.append(connection)
    return connections


def restrict_remote_addresses(connection: aioice.ice.Connection, accepts: Callable[[str], bool]) -> None:
    """Drop, unanswered, the ICE checks of ``connection`` that come from refused addresses.

    This also keeps peer-reflexive candidates inside the accepted networks.
    """
    original = connection.request_received

    def request_received(message: Any, addr: tuple[str, int], protocol: Any) -> None:
        if accepts(addr[0]):
            original(message, addr, protocol)
        else:
            logger.info("ICE check from refused address %s dropped", addr[0])

    connection.request_received = request_received  # type: ignore[method-assign]


# --- self-check ---------------------------------------------------------------------


def check_internals() -> None:
    """Verify every internal listed in the module docstring; raise :class:`SeamBroken` if not."""
    problems: list[str] = []
    receiver_src = inspect.getsource(aiortc.rtcrtpreceiver.RTCRtpReceiver)
    if "self.__decoder_queue.put((codec, encoded_frame))" not in receiver_src:
        problems.append("receiver no longer puts (codec, frame) in its decoder queue")
    if "self.__decoder_queue," not in receiver_src:
        problems.append("decoder thread no longer reads the receiver's decoder queue")
    worker_src = inspect.getsource(aiortc.rtcrtpreceiver.decoder_worker)
    if "task = input_q.get()" not in worker_src or "if task is None:" not in worker_src:
        problems.append("decoder_worker no longer stops on None")
    if "self.__jitter_buffer.add(packet)" not in receiver_src:
        problems.append("receiver no longer feeds its jitter buffer")
    buffer = JitterBuffer(capacity=16, prefetch=4)
    if not hasattr(buffer, "_prefetch") or not hasattr(buffer, "_is_video"):
        problems.append("JitterBuffer attributes changed")
    if not hasattr(RTCRtpReceiver, "_send_rtcp_pli"):
        problems.append("RTCRtpReceiver._send_rtcp_pli is missing")
    sender_src = inspect.getsource(aiortc.rtcrtpsender.RTCRtpSender)
    if "self._send_keyframe()" not in sender_src:
        problems.append("RTCRtpSender no longer calls _send_keyframe on PLI/FIR")
    if "self.__encoder.pack(data)" not in sender_src:
        problems.append("RTCRtpSender no longer packs pre-encoded packets")
    gather_src = inspect.getsource(aioice.ice.Connection.gather_candidates)
    if "get_host_addresses(" not in gather_src:
        problems.append("aioice gathering no longer calls get_host_addresses")
    protocol_src = inspect.getsource(aioice.ice.StunProtocol.datagram_received)
    if "self.receiver.request_received(message, addr, self)" not in protocol_src:
        problems.append("aioice no longer passes STUN requests to request_received")
    if not callable(getattr(aioice.ice, "get_host_addresses", None)):
        problems.append("aioice.ice.get_host_addresses is missing")
    if problems:
        raise SeamBroken("; ".join(problems))
