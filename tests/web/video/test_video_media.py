"""Two aiortc participants through the HTTP API on 127.0.0.1: waiting room, admission, media, end."""

from __future__ import annotations

import asyncio
import json

import pytest
from litestar import Litestar
from litestar.channels import ChannelsPlugin
from litestar.testing import AsyncTestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from planner.video import video_appointment
from telecon.loopback import LoopbackClient
from telecon.tokens import issue_token
from tests.support.video import appointment_status, make_video_appointment
from tests.telecon.helpers import assert_loopback_only, wait_for
from web.video_runtime import join_secret, waiting_room_channel

from .conftest import SECRET_KEY

pytestmark = pytest.mark.slow
JOIN = join_secret(SECRET_KEY.encode())


async def post_offer(client: AsyncTestClient, room: int, token: str, peer: LoopbackClient,
                     action: str = "offer") -> int:
    offer = await peer.offer()
    assert_loopback_only(offer)
    response = await client.post(f"/api/v1/video/{room}/{action}", json={"sdp": offer, "type": "offer"},
                                 headers={"Authorization": f"Bearer {token}"})
    if response.status_code == 200:
        assert_loopback_only(response.json()["sdp"])
        await peer.accept(response.json()["sdp"])
    return response.status_code


def test_call_through_the_http_api(video_app: Litestar, sqlite_demo_engine: Engine) -> None:
    room = make_video_appointment(sqlite_demo_engine)
    with Session(sqlite_demo_engine) as db:
        found = video_appointment(db, room)
        assert found is not None
    clinician_token = issue_token(JOIN, str(room), "clinician", str(found.staff_id))
    patient_token = issue_token(JOIN, str(room), "patient", str(found.patient_id))

    async def scenario() -> None:
        clinician = LoopbackClient(320, decode=False)
        patient = LoopbackClient(640, decode=False)
        echo = LoopbackClient(640, decode=False)
        channels = video_app.plugins.get(ChannelsPlugin)
        async with AsyncTestClient(app=video_app, base_url="http://127.0.0.1") as client:
            try:
                async with channels.start_subscription([waiting_room_channel(found.staff_id)]) as live:
                    # the connection test echoes the patient's own media
                    assert await post_offer(client, room, patient_token, echo, "echo") == 200
                    await wait_for(lambda: echo.received["video"].frames >= 5, 10)
                    await echo.close()
                    # before admission the patient's offer only checks them in
                    assert await post_offer(client, room, patient_token, patient) == 409
                    assert patient.pc.remoteDescription is None
                    event = json.loads(await asyncio.wait_for(anext(live.iter_events()), 5))
                    assert event["kind"] == "checked_in" and event["appointment_id"] == room
                    assert event["patient_label"] == "Jeanne Martin"
                    assert await post_offer(client, room, clinician_token, clinician) == 200
                    admitted = await client.post(f"/api/v1/video/{room}/admit",
                                                 headers={"Authorization": f"Bearer {clinician_token}"})
                    assert admitted.status_code == 200 and admitted.json()["state"] == "in_call"
                    await patient.close()
                    patient = LoopbackClient(640, decode=False)  # the page posts a fresh offer
                    assert await post_offer(client, room, patient_token, patient) == 200
                    await wait_for(lambda: patient.received["video"].frames >= 10
                                   and clinician.received["video"].frames >= 10, 10)
                    ended = await client.post(f"/api/v1/video/{room}/end",
                                              headers={"Authorization": f"Bearer {clinician_token}"})
                    assert ended.status_code == 200
                    runtime = video_app.state.video
                    assert len(runtime.signalling.peers) == 0
            finally:
                for peer in (clinician, patient, echo):
                    await peer.close()

    asyncio.run(scenario())
    assert appointment_status(sqlite_demo_engine, room) == "attended"
