"""``creneau serve --workers 2`` on PostgreSQL and Redis, with the one video process.

(a) A check-in received by one worker reaches the clinician's waiting-room stream served by the
other (through the video process and the Redis channels). (b) The clinician's and the patient's
aiortc peers, whose offers go through different workers, meet in the video process and exchange
frames. Each response names its worker (``X-Worker-Pid``, debug mode) and, when forwarded, the
video process (``X-Video-Pid``). Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import http.client
import json
import queue
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlmodel import Session

from planner.auth.sessions import start_session
from planner.database import make_engine, session_scope
from planner.demo import load_demo
from planner.migrate import upgrade
from planner.video import video_appointment
from telecon.loopback import LoopbackClient
from telecon.tokens import issue_token
from tests.support.databases import fresh_postgres_database
from tests.support.redis_server import redis_url
from tests.support.server import running_server
from tests.support.video import CLINICIAN_EMAIL, account, appointment_status, make_video_appointment
from tests.telecon.helpers import assert_loopback_only, wait_for
from web.auth import SESSION_COOKIE
from web.video_runtime import join_secret

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(120)]
KEY = "workers-test-secret-key-0123456789"


KEEP_ALIVE_SECONDS = 2.0  # below uvicorn's keep-alive timeout (5 s): reconnect before it closes


class Worker:
    """A keep-alive connection known to be served by one worker process."""

    def __init__(self, port: int, pid: str, connection: http.client.HTTPConnection) -> None:
        self.port, self.pid, self.connection = port, pid, connection
        self.used = time.monotonic()

    def post(self, path: str, token: str, body: dict | None = None) -> tuple[int, dict, str]:
        """POST JSON on this worker; returns status, JSON body and the video process's pid."""
        if time.monotonic() - self.used > KEEP_ALIVE_SECONDS:
            self.connection.close()
            self.connection = worker_connection(self.port, pid=self.pid).connection
        self.connection.request("POST", path, body=json.dumps(body or {}),
                                headers={"Authorization": f"Bearer {token}",
                                         "Content-Type": "application/json"})
        response = self.connection.getresponse()
        data = response.read()
        self.used = time.monotonic()
        assert response.getheader("X-Worker-Pid") == self.pid, "the connection changed worker"
        return response.status, json.loads(data or b"{}"), response.getheader("X-Video-Pid") or ""


def worker_connection(port: int, *, other_than: str | None = None, pid: str | None = None,
                      timeout: float = 30) -> Worker:
    """Open connections until one is served by the worker ``pid`` (or by one other than ``other_than``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        connection.request("GET", "/health")
        response = connection.getresponse()
        response.read()
        found = response.getheader("X-Worker-Pid")
        assert found, "X-Worker-Pid missing (CRENEAU_DEBUG)"
        if response.status == 200 and found != other_than and pid in (None, found):
            return Worker(port, found, connection)
        connection.close()
        time.sleep(0.05)
    raise AssertionError(f"no worker {pid or ''} other than {other_than} answered within {timeout} s")


class Stream:
    """A server-sent events stream (by default the clinician's waiting room), read in a thread."""

    def __init__(self, port: int, headers: dict[str, str], path: str = "/staff/day/waiting-room",
                 *, opening_comment: bool = True) -> None:
        self.events: queue.Queue[tuple[str, str]] = queue.Queue()
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.connection.request("GET", path, headers={**headers, "Accept": "text/event-stream"})
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        self.pid = self.response.getheader("X-Worker-Pid") or ""
        if opening_comment:
            first = self.response.readline()  # ": waiting room open" once subscribed
            assert first.startswith(b":"), first
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        kind = ""
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    self.events.put((kind, line[5:].strip()))
        except Exception:  # noqa: BLE001 - closed under the reader (close() shuts the socket)
            return

    def expect(self, kind: str, marker: str, timeout: float = 10) -> None:
        """Wait for an event of ``kind`` whose data contains ``marker`` (others are skipped)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                got, data = self.events.get(timeout=left)
            except queue.Empty:
                break
            if got == kind and marker in data:
                return
        raise AssertionError(f"no {kind} event with {marker!r} within {timeout} s")

    def close(self) -> None:
        """Stop reading (shut the socket first: the reader thread holds the response's buffer)."""
        if self.connection.sock is not None:
            with contextlib.suppress(OSError):
                self.connection.sock.shutdown(socket.SHUT_RDWR)
        self.connection.close()


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, int, dict[str, str]]]:
    """``creneau serve --workers 2`` on a fresh PostgreSQL database and Redis; one video appointment."""
    redis = redis_url()
    folder: Path = tmp_path_factory.mktemp("workers")
    with fresh_postgres_database() as url:
        engine = make_engine(url)
        upgrade(engine)
        with session_scope(engine) as session:
            load_demo(session, dt.date.today())
        room = make_video_appointment(engine, starts_in=dt.timedelta(minutes=1))
        with Session(engine, expire_on_commit=False) as db:
            found = video_appointment(db, room)
            assert found is not None
            cookie = start_session(db, account(engine, CLINICIAN_EMAIL), second_factor_ok=True)
        secret = join_secret(KEY.encode())
        tokens = {"clinician": issue_token(secret, str(room), "clinician", str(found.staff_id)),
                  "patient": issue_token(secret, str(room), "patient", str(found.patient_id)),
                  "cookie": cookie, "url": url}
        env = {"CRENEAU_DATABASE_URL": url, "CRENEAU_DATA_DIR": str(folder), "CRENEAU_SECRET_KEY": KEY,
               "CRENEAU_CHANNELS_BACKEND": "redis", "CRENEAU_REDIS_URL": redis,
               "CRENEAU_DEBUG": "true", "CRENEAU_ICE_HOST_ADDRESSES": "127.0.0.1",
               "CRENEAU_ICE_ACCEPT_NETWORKS": "127.0.0.0/8", "CRENEAU_ICE_SERVERS": ""}
        try:
            with running_server(env, workers=2, timeout=60) as base_url:
                port = urlsplit(base_url).port
                assert port is not None
                yield port, room, tokens
        finally:
            engine.dispose()


def test_check_in_on_one_worker_reaches_the_stream_of_the_other(
        two_workers: tuple[int, int, dict[str, str]]) -> None:
    port, room, tokens = two_workers
    stream = Stream(port, {"Cookie": f"{SESSION_COOKIE}={tokens['cookie']}"})
    room_events = None
    try:
        other = worker_connection(port, other_than=stream.pid)
        # the patient's own room events, streamed from the video process through a web worker
        room_events = Stream(port, {"Authorization": f"Bearer {tokens['patient']}"},
                             f"/api/v1/video/{room}/events", opening_comment=False)
        room_events.expect("state", '"state"')
        same = worker_connection(port, other_than=other.pid)
        assert stream.pid and other.pid != stream.pid and same.pid == stream.pid
        status, body, video_pid = other.post(f"/api/v1/video/{room}/check-in", tokens["patient"])
        assert status == 200 and body["state"] == "waiting", body
        stream.expect("checked_in", f'id="waiting-{room}"')
        room_events.expect("checked_in", '"mine": true')
        # leaving through the stream's own worker, then checking in again through the other one
        status, _, video_pid_again = same.post(f"/api/v1/video/{room}/leave", tokens["patient"])
        assert status == 200
        stream.expect("left", f'data-left="{room}"')
        status, body, _ = worker_connection(port, other_than=stream.pid).post(
            f"/api/v1/video/{room}/check-in", tokens["patient"])
        assert status == 200 and body["state"] == "waiting", body
        stream.expect("checked_in", f'id="waiting-{room}"')
        assert video_pid and video_pid == video_pid_again
        assert video_pid not in (stream.pid, other.pid)
    finally:
        stream.close()
        if room_events is not None:
            room_events.close()


def test_peers_whose_offers_go_through_different_workers_meet(
        two_workers: tuple[int, int, dict[str, str]]) -> None:
    port, room, tokens = two_workers
    first = worker_connection(port)
    second = worker_connection(port, other_than=first.pid)

    async def offer(worker: Worker, token: str, peer: LoopbackClient) -> tuple[int, str]:
        sdp = await peer.offer()
        assert_loopback_only(sdp)
        status, body, video_pid = await asyncio.to_thread(
            worker.post, f"/api/v1/video/{room}/offer", token, {"sdp": sdp, "type": "offer"})
        if status == 200:
            assert_loopback_only(body["sdp"])
            await peer.accept(body["sdp"])
        return status, video_pid

    async def scenario() -> None:
        clinician = LoopbackClient(320, decode=False)
        patient = LoopbackClient(320, decode=False)
        try:
            status, _, _ = await asyncio.to_thread(second.post, f"/api/v1/video/{room}/check-in",
                                                   tokens["patient"])
            assert status == 200
            status, clinician_process = await offer(first, tokens["clinician"], clinician)
            assert status == 200
            status, _, _ = await asyncio.to_thread(first.post, f"/api/v1/video/{room}/admit",
                                                   tokens["clinician"])
            assert status == 200
            status, patient_process = await offer(second, tokens["patient"], patient)
            assert status == 200
            assert clinician_process == patient_process  # one process holds the room
            await wait_for(lambda: patient.received["video"].frames >= 10
                           and clinician.received["video"].frames >= 10, 20)
            status, body, _ = await asyncio.to_thread(second.post, f"/api/v1/video/{room}/end",
                                                      tokens["clinician"])
            assert status == 200 and body["state"] == "ended", body
        finally:
            await clinician.close()
            await patient.close()

    asyncio.run(scenario())
    engine = make_engine(tokens["url"])
    try:
        assert appointment_status(engine, room) == "attended"
    finally:
        engine.dispose()
