"""The waiting-room contract between video consultations (publisher) and the clinician's day (SSE).

Whoever learns that a patient checked in (or left) publishes a :class:`WaitingRoomEvent` on the
channel ``waiting-room:{staff_id}`` of the clinician who holds the appointment::

    from web.waiting_room import WaitingRoomEvent, publish
    publish(channels, staff_id, WaitingRoomEvent("checked_in", appointment_id, "Mme A. Martin", "14:05"))

``channels`` is the app's :class:`litestar.channels.ChannelsPlugin` (dependency ``channels`` in a
handler, or ``app.plugins.get(ChannelsPlugin)``). The clinician's page listens on
``GET /staff/day/waiting-room`` (server-sent events ``checked_in`` and ``left``, HTML fragments) and
shows patients as they arrive, without reloading. Only the signed-in clinician's own channel is
streamed to them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Literal

from litestar.channels import ChannelsPlugin

CHANNEL_PREFIX = "waiting-room:"


def channel_name(staff_id: int) -> str:
    """The channel of one clinician's waiting room."""
    return f"{CHANNEL_PREFIX}{staff_id}"


@dataclass(frozen=True)
class WaitingRoomEvent:
    """A patient checked in (``checked_in``) or left / was admitted (``left``)."""

    kind: Literal["checked_in", "left"]
    appointment_id: int
    patient_label: str = ""
    at_label: str = ""

    def to_json(self) -> str:
        """The message published on the channel."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> WaitingRoomEvent:
        """Read a published message."""
        data = json.loads(raw)
        return cls(kind=data["kind"], appointment_id=int(data["appointment_id"]),
                   patient_label=str(data.get("patient_label", "")), at_label=str(data.get("at_label", "")))


def publish(channels: ChannelsPlugin, staff_id: int, event: WaitingRoomEvent) -> None:
    """Publish from the event loop (use ``loop.call_soon_threadsafe`` from another thread)."""
    channels.publish(event.to_json(), channel_name(staff_id))
