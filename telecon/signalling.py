"""What the web layer calls: join tokens in, SDP answers out, no HTTP.

The browser gathers all its ICE candidates, POSTs one complete offer and gets one
complete answer (no trickle ICE): :meth:`Signalling.handle_offer` returns once the
server's gathering is complete.

Waiting room: a patient-side offer made before admission checks the patient in and
raises :class:`~telecon.errors.NotAdmitted`; no peer connection is created, so nothing
(no answer, no candidate, no media) reaches the patient. The page waits for the
``admitted`` event (server-sent events from :attr:`Signalling.events`) and then POSTs a
fresh offer.

Typical web-layer use::

    claims = signalling.verify(token, room_id)        # TokenError
    answer = await signalling.handle_offer(room_id, claims, sdp, "offer")
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from aiortc import RTCDataChannel, RTCPeerConnection, RTCSessionDescription

from telecon import seam
from telecon.config import TeleconConfig
from telecon.errors import BadSdp, RoomClosed, RoomClosedReason, TokenError, TokenErrorReason
from telecon.forward import (
    ForwardTrack,
    ReceiverTap,
    link,
    prefer_forwardable_codecs,
    watch_keyframe_requests,
)
from telecon.peers import Peer, PeerRegistry
from telecon.rooms import Clock, EventHub, Room, RoomRegistry, RoomState, utc_now
from telecon.sdp import filter_candidates, media_kinds, validate_offer
from telecon.tokens import JoinClaims, Role, verify_token

logger = logging.getLogger(__name__)

PATIENT_SIDE = "patient"
CLINICIAN_SIDE = "clinician"
KINDS = ("audio", "video")


def side_of(claims: JoinClaims) -> str:
    """The peer key of a participant: ``patient`` (patient or pharmacist) or ``clinician``."""
    return PATIENT_SIDE if claims.role.patient_side else CLINICIAN_SIDE


def echo_key(claims: JoinClaims) -> str:
    """The peer key of a participant's connection test."""
    return f"echo:{claims.role.value}:{claims.person_id}"


class Signalling:
    """Rooms, peers and forwarding behind a transport-independent API.

    Args:
        config: Telecon settings.
        secret: Key of the join tokens.
        clock: Source of the current time (tests).
    """

    def __init__(self, config: TeleconConfig, secret: bytes, clock: Clock = utc_now) -> None:
        self.config = config
        self._secret = secret
        self.rooms = RoomRegistry(config.timing, clock)
        self.peers = PeerRegistry()
        self._closing = False

    @property
    def events(self) -> EventHub:
        """Room events (check-in, admitted, left, ended, cancelled) for server-sent events."""
        return self.rooms.hub

    # --- rooms ----------------------------------------------------------------------

    def open_room(self, room_id: str, starts_at: datetime, ends_at: datetime) -> Room:
        """Make the room of an appointment known (idempotent)."""
        return self.rooms.open(room_id, starts_at, ends_at)

    def verify(self, token: str | None, room_id: str) -> JoinClaims:
        """Check a join token for ``room_id``; raises :class:`~telecon.errors.TokenError`."""
        return verify_token(self._secret, token, room_id)

    def _room(self, room_id: str, claims: JoinClaims) -> Room:
        if claims.room_id != room_id:
            raise TokenError(TokenErrorReason.WRONG_ROOM)
        return self.rooms.get(room_id)

    def _offer(self, sdp: object, sdp_type: object) -> str:
        text = validate_offer(sdp, sdp_type, self.config.max_sdp_bytes)
        filtered, dropped = filter_candidates(text, self.config.ice.accepts)
        if dropped:
            logger.info("dropped %d remote candidates outside accepted networks", dropped)
        return filtered

    # --- calls ----------------------------------------------------------------------

    async def handle_offer(
        self, room_id: str, claims: JoinClaims, sdp: object, sdp_type: object = "offer"
    ) -> str:
        """Answer a participant's offer; the media flows once both sides are connected.

        Raises:
            TokenError: ``claims`` are for another room.
            UnknownRoom: No such room.
            BadSdp: The offer was refused.
            RoomClosed: Outside the window, cancelled or ended.
            RoomBusy: Another person holds this side.
            NotAdmitted: A patient side that has checked in but is not admitted yet.
        """
        room = self._room(room_id, claims)
        offer = self._offer(sdp, sdp_type)
        room.require_connectable(claims)
        key = side_of(claims)
        peer = await self._connect(room_id, key, claims, offer)
        try:
            room.require_connectable(claims)  # the room may have changed meanwhile
        except Exception:
            await self.peers.discard(peer)
            raise
        self._bridge(room_id)
        return peer.pc.localDescription.sdp

    async def echo_offer(
        self, room_id: str, claims: JoinClaims, sdp: object, sdp_type: object = "offer"
    ) -> str:
        """Answer a connection test: the participant's media and chat come back to them.

        Allowed before the room opens (but not once cancelled or ended); closed after
        ``config.echo_max_seconds``.
        """
        room = self._room(room_id, claims)
        offer = self._offer(sdp, sdp_type)
        if room.state in (RoomState.CANCELLED, RoomState.ENDED):
            raise RoomClosed(RoomClosedReason(room.state.value))
        peer = await self._connect(room_id, echo_key(claims), claims, offer)
        for kind in KINDS:
            if kind in peer.taps and kind in peer.tracks:
                link(peer.taps[kind], peer.tracks[kind])
        loop = asyncio.get_running_loop()
        peer.timer = loop.call_later(
            self.config.echo_max_seconds, lambda: self.peers.spawn(self.peers.discard(peer))
        )
        return peer.pc.localDescription.sdp

    async def admit(self, room_id: str, claims: JoinClaims) -> None:
        """The clinician admits the waiting patient side (who then POSTs an offer).

        Raises:
            NotAllowed: Not a clinician, or nobody waiting.
        """
        self._room(room_id, claims).admit(claims)

    async def check_in(self, room_id: str, claims: JoinClaims) -> None:
        """Enter the waiting room without an offer (e.g. when the page loads)."""
        self._room(room_id, claims).check_in(claims)

    async def leave(self, room_id: str, claims: JoinClaims) -> None:
        """A participant leaves: their connections close."""
        room = self._room(room_id, claims)
        key = side_of(claims)
        peer = self.peers.get(room_id, key)
        if peer is not None and peer.person_id == claims.person_id:
            await self.peers.close(room_id, key)
        await self.peers.close(room_id, echo_key(claims))
        room.leave(claims)

    async def end(self, room_id: str, claims: JoinClaims) -> None:
        """The clinician ends the consultation: every connection of the room closes."""
        self._room(room_id, claims).end(claims)
        await self.peers.close_room(room_id)

    async def cancel(self, room_id: str) -> None:
        """The appointment was cancelled: close the room and its connections."""
        if room_id in self.rooms:
            self.rooms.get(room_id).cancel()
        await self.peers.close_room(room_id)

    async def sweep(self) -> int:
        """Close the connections of rooms whose window is over; returns how many rooms."""
        swept = 0
        for room_id in self.rooms.ids():
            room = self.rooms.get(room_id)
            try:
                room.check_open()
            except RoomClosed as exc:
                if exc.code is RoomClosedReason.NOT_OPEN_YET:
                    continue
                await self.peers.close_room(room_id)
                self.rooms.forget(room_id)
                swept += 1
        return swept

    async def close(self) -> None:
        """Shutdown: close every peer connection."""
        self._closing = True
        await self.peers.close_all()
        await self.events.drain()

    # --- plumbing -------------------------------------------------------------------

    async def _connect(self, room_id: str, key: str, claims: JoinClaims, offer: str) -> Peer:
        """Create, answer and register a peer connection for ``offer``."""
        if self._closing:
            raise RoomClosed(RoomClosedReason.CLOSED, "server shutting down")
        pc = RTCPeerConnection(self.config.ice.rtc_configuration())
        peer = Peer(room_id=room_id, key=key, person_id=claims.person_id, pc=pc)
        try:
            for kind in media_kinds(offer):  # an unmatched transceiver breaks aiortc
                if kind not in KINDS or kind in peer.tracks:
                    continue
                track = ForwardTrack(kind)
                transceiver = pc.addTransceiver(track, direction="sendrecv")
                prefer_forwardable_codecs(transceiver)
                watch_keyframe_requests(transceiver.sender, track)
                peer.tracks[kind] = track
            pc.on("datachannel", lambda channel: self._on_channel(peer, channel))
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
            except (ValueError, LookupError, TypeError) as exc:
                raise BadSdp("rejected", str(exc)[:200]) from exc
            except Exception as exc:  # aiortc's OperationError, InvalidAccessError
                raise BadSdp("rejected", f"{type(exc).__name__}: {exc}"[:200]) from exc
            for connection in seam.ice_connections(pc):
                seam.restrict_remote_addresses(connection, self.config.ice.accepts)
            for transceiver in pc.getTransceivers():
                if transceiver.mid is not None and transceiver.kind in KINDS:
                    peer.taps[transceiver.kind] = ReceiverTap(transceiver.receiver, transceiver.kind)
            answer = await pc.createAnswer()
            with seam.host_addresses(self.config.ice.host_addresses):
                await pc.setLocalDescription(answer)
        except BaseException:
            await peer.close()
            raise
        await self.peers.add(peer)
        return peer

    def _bridge(self, room_id: str) -> None:
        """Forward media between the two sides of a room if both are connected and admitted."""
        patient = self.peers.get(room_id, PATIENT_SIDE)
        clinician = self.peers.get(room_id, CLINICIAN_SIDE)
        if patient is None or clinician is None:
            return
        room = self.rooms.get(room_id)
        if room.state is not RoomState.IN_CALL:
            return
        for kind in KINDS:
            if kind in patient.taps and kind in clinician.tracks:
                link(patient.taps[kind], clinician.tracks[kind])
            if kind in clinician.taps and kind in patient.tracks:
                link(clinician.taps[kind], patient.tracks[kind])

    def _partner(self, peer: Peer) -> Peer | None:
        if peer.key.startswith("echo:"):
            return peer
        other = CLINICIAN_SIDE if peer.key == PATIENT_SIDE else PATIENT_SIDE
        partner = self.peers.get(peer.room_id, other)
        if partner is None or self.rooms.get(peer.room_id).state is not RoomState.IN_CALL:
            return None
        return partner

    def _on_channel(self, peer: Peer, channel: RTCDataChannel) -> None:
        peer.channel = channel

        @channel.on("message")
        def _on_message(message: object) -> None:
            if not isinstance(message, str) or len(message) > self.config.max_chat_chars:
                return
            if peer.room_id not in self.rooms:
                return
            partner = self._partner(peer)
            target = partner.channel if partner is not None else None
            if target is not None and target.readyState == "open":
                target.send(message)


__all__ = ["Signalling", "side_of", "echo_key", "Role"]
