"""Benchmark: server CPU per consultation and how many consultations one server carries.

Everything runs on 127.0.0.1. One process runs the server (the real
:class:`~telecon.signalling.Signalling`, or a MediaRelay decode + re-encode server for
comparison); participant processes run :class:`~telecon.loopback.LoopbackClient`\\ s that
replay pre-encoded 640x480@30 VP8 and Opus (so clients stay cheap) and count the frames
they receive without decoding them. The ramp adds consultations stage by stage and
stops when the delivered video frame rate falls below the threshold, at the stage cap,
or when the time budget is spent. CPU is the processes' CPU time (``/proc/<pid>/stat``).

Run ``python -m telecon.bench --help``; prints a table, then one JSON document.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

SECRET = b"telecon-benchmark-secret-0123456789"
DEFAULT_STAGES = (1, 2, 4, 6, 8, 10, 12, 16, 20, 24, 32, 40, 48, 64)


def machine_cpu_seconds() -> float:
    """CPU time spent by all processes of the machine (busy time of every core)."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- server process -------------------------------------------------------------------


async def _read_json(reader: asyncio.StreamReader) -> dict[str, Any]:
    line = await reader.readline()
    return json.loads(line) if line else {}


class _RelayServer:
    """The comparison: aiortc's MediaRelay, i.e. decode and re-encode every frame."""

    def __init__(self) -> None:
        from aiortc.contrib.media import MediaRelay

        self.relay = MediaRelay()
        self.rooms: dict[str, dict[str, Any]] = {}

    async def join(self, room: str, role: str, sdp: str) -> str:
        from aiortc import RTCPeerConnection, RTCSessionDescription

        from telecon import seam
        from telecon.config import IceConfig
        from telecon.forward import prefer_forwardable_codecs

        pc = RTCPeerConnection(IceConfig.loopback().rtc_configuration())
        senders = {}
        for kind in ("audio", "video"):
            transceiver = pc.addTransceiver(kind, direction="sendrecv")
            prefer_forwardable_codecs(transceiver)
            senders[kind] = transceiver.sender
        tracks: dict[str, Any] = {}
        pc.on("track", lambda track: tracks.__setitem__(track.kind, track))
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        answer = await pc.createAnswer()
        with seam.host_addresses(["127.0.0.1"]):
            await pc.setLocalDescription(answer)
        sides = self.rooms.setdefault(room, {})
        sides[role] = (pc, senders, tracks)
        other = sides.get("clinician" if role == "patient" else "patient")
        if other is not None:
            _, other_senders, other_tracks = other
            for kind in ("audio", "video"):
                if kind in tracks:
                    other_senders[kind].replaceTrack(self.relay.subscribe(tracks[kind]))
                if kind in other_tracks:
                    senders[kind].replaceTrack(self.relay.subscribe(other_tracks[kind]))
        return pc.localDescription.sdp

    async def close(self) -> None:
        for sides in self.rooms.values():
            for pc, _, _ in sides.values():
                await pc.close()


class _ForwardServer:
    """The real thing: :class:`~telecon.signalling.Signalling`."""

    def __init__(self) -> None:
        from telecon.config import IceConfig, TeleconConfig
        from telecon.signalling import Signalling

        self.sig = Signalling(TeleconConfig(ice=IceConfig.loopback()), SECRET)

    async def join(self, room: str, role: str, sdp: str) -> str:
        from telecon.tokens import issue_token

        now = datetime.now(UTC)
        self.sig.open_room(room, now, now + timedelta(hours=2))
        claims = self.sig.verify(issue_token(SECRET, room, role, f"{role}-{room}"), room)
        if role == "patient":
            clinician = self.sig.verify(issue_token(SECRET, room, "clinician", f"clinician-{room}"), room)
            await self.sig.check_in(room, claims)
            await self.sig.admit(room, clinician)
        return await self.sig.handle_offer(room, claims, sdp, "offer")

    async def close(self) -> None:
        await self.sig.close()


def _server_main(mode: str, port_queue: Any) -> None:
    async def main() -> None:
        server = _ForwardServer() if mode == "forward" else _RelayServer()
        done = asyncio.Event()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            request = await _read_json(reader)
            reply: dict[str, Any]
            if request.get("op") == "join":
                try:
                    answer = await server.join(request["room"], request["role"], request["sdp"])
                    reply = {"answer": answer}
                except Exception as exc:  # reported to the client
                    reply = {"error": f"{type(exc).__name__}: {exc}"}
            elif request.get("op") == "stop":
                done.set()
                reply = {"ok": True}
            else:
                reply = {"error": "unknown op"}
            writer.write(json.dumps(reply).encode() + b"\n")
            await writer.drain()
            writer.close()

        tcp = await asyncio.start_server(handle, "127.0.0.1", 0)
        port_queue.put(tcp.sockets[0].getsockname()[1])
        await done.wait()
        tcp.close()
        await server.close()

    asyncio.run(main())


# --- participant processes -------------------------------------------------------------


async def _request(port: int, payload: dict[str, Any]) -> dict[str, Any]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(json.dumps(payload).encode() + b"\n")
    await writer.drain()
    reply = await _read_json(reader)
    writer.close()
    return reply


def _worker_main(port: int, commands: Any, results: Any, worker: int) -> None:
    from telecon.loopback import LoopbackClient, opus_clip, vp8_clip

    vp8_clip(640, 480)
    opus_clip()

    async def main() -> None:
        clients: dict[str, LoopbackClient] = {}

        async def add(room: str) -> None:
            for role in ("clinician", "patient"):
                client = LoopbackClient(640, decode=False)
                offer = await client.offer()
                reply = await _request(port, {"op": "join", "room": room, "role": role, "sdp": offer})
                if "answer" not in reply:
                    raise RuntimeError(reply.get("error"))
                await client.accept(reply["answer"])
                clients[f"{room}/{role}"] = client
            started = [clients[f"{room}/{role}"] for role in ("clinician", "patient")]
            deadline = time.monotonic() + 30
            while any(c.received["video"].frames == 0 for c in started):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{room}: no video after 30 s")
                await asyncio.sleep(0.05)

        results.put({"worker": worker, "ready": True})
        while True:
            command = await asyncio.to_thread(commands.get)
            if command["cmd"] == "add":
                try:
                    await asyncio.gather(*(add(room) for room in command["rooms"]))
                    results.put({"worker": worker, "added": len(command["rooms"])})
                except Exception as exc:
                    results.put({"worker": worker, "error": repr(exc)})
            elif command["cmd"] == "stats":
                counts = {k: c.received["video"].frames for k, c in clients.items()}
                audio = {k: c.received["audio"].frames for k, c in clients.items()}
                results.put({"worker": worker, "video": counts, "audio": audio, "at": time.monotonic()})
            elif command["cmd"] == "stop":
                for client in clients.values():
                    await client.close()
                results.put({"worker": worker, "stopped": True})
                return

    asyncio.run(main())


# --- orchestration ------------------------------------------------------------------------


@dataclass
class Stage:
    """Measurements with ``consultations`` two-way calls running."""

    consultations: int
    server_cpu_percent: float  # of one core
    server_cpu_per_consultation: float  # percent of one core
    clients_cpu_percent: float
    others_cpu_percent: float  # the rest of the machine: contention, not ours
    fps_mean: float
    fps_min: float
    audio_pps_mean: float


@dataclass
class BenchResult:
    """What :func:`run_bench` measured."""

    mode: str
    threshold_fps: float
    stages: list[Stage] = field(default_factory=list)
    capacity: int = 0  # largest stage whose mean delivered fps met the threshold
    stopped_because: str = ""
    wall_seconds: float = 0.0


async def _get(results: Any, timeout: float) -> dict[str, Any]:
    return await asyncio.to_thread(results.get, True, timeout)


async def run_bench(
    mode: str = "forward",
    stages: tuple[int, ...] = DEFAULT_STAGES,
    workers: int = 2,
    settle_seconds: float = 2.0,
    measure_seconds: float = 4.0,
    threshold_fps: float = 25.0,
    budget_seconds: float = 180.0,
) -> BenchResult:
    """Ramp up consultations through one server; stop below ``threshold_fps``.

    Args:
        mode: ``"forward"`` (telecon) or ``"relay"`` (aiortc MediaRelay, decode+encode).
        stages: Numbers of simultaneous consultations to try, increasing.
        workers: Participant processes.
        settle_seconds: Wait after adding consultations before measuring.
        measure_seconds: Measurement window per stage.
        threshold_fps: Delivered video frame rate under which the ramp stops.
        budget_seconds: Stop after this long whatever happens.
    """
    started = time.monotonic()
    ctx = multiprocessing.get_context("spawn")
    port_queue = ctx.Queue()
    results = ctx.Queue()
    server = ctx.Process(target=_server_main, args=(mode, port_queue), daemon=True)
    server.start()
    outcome = BenchResult(mode=mode, threshold_fps=threshold_fps)
    procs: list[Any] = []
    commands: list[Any] = []
    try:
        port = await asyncio.to_thread(port_queue.get, True, 60)
        for w in range(workers):
            commands.append(ctx.Queue())
            proc = ctx.Process(target=_worker_main, args=(port, commands[w], results, w), daemon=True)
            proc.start()
            procs.append(proc)
        for _ in range(workers):
            await _get(results, 60)
        running = 0
        for target in stages:
            if time.monotonic() - started > budget_seconds:
                outcome.stopped_because = "time budget"
                break
            rooms = [f"room{n}" for n in range(running, target)]
            for w in range(workers):
                commands[w].put({"cmd": "add", "rooms": rooms[w::workers]})
            for _ in range(workers):
                reply = await _get(results, 60)
                if "error" in reply:
                    raise RuntimeError(f"worker {reply['worker']}: {reply['error']}")
            running = target
            await asyncio.sleep(settle_seconds)
            stage = await _measure(server.pid, procs, commands, results, running, measure_seconds)
            outcome.stages.append(stage)
            print(_row(stage, mode), file=sys.stderr, flush=True)
            if stage.fps_mean < threshold_fps:
                outcome.stopped_because = f"mean delivered fps below {threshold_fps}"
                break
            outcome.capacity = running
        else:
            outcome.stopped_because = outcome.stopped_because or "last stage reached"
    finally:
        for command in commands:
            command.put({"cmd": "stop"})
        for proc in procs:
            await asyncio.to_thread(proc.join, 20)
            if proc.is_alive():
                proc.terminate()
        with contextlib.suppress(Exception):
            await _request(port, {"op": "stop"})
        await asyncio.to_thread(server.join, 20)
        if server.is_alive():
            server.terminate()
    outcome.wall_seconds = round(time.monotonic() - started, 1)
    return outcome


async def _stats(commands: list[Any], results: Any) -> list[dict[str, Any]]:
    for command in commands:
        command.put({"cmd": "stats"})
    replies = []
    while len(replies) < len(commands):
        reply = await _get(results, 30)
        if "video" in reply:
            replies.append(reply)
    return replies


async def _measure(
    server_pid: int,
    procs: list[Any],
    commands: list[Any],
    results: Any,
    consultations: int,
    seconds: float,
) -> Stage:
    cpu0 = cpu_seconds(server_pid)
    clients0 = sum(cpu_seconds(p.pid) for p in procs)
    machine0 = machine_cpu_seconds()
    t0 = time.monotonic()
    before = await _stats(commands, results)
    await asyncio.sleep(seconds)
    after = await _stats(commands, results)
    elapsed = time.monotonic() - t0
    cpu = (cpu_seconds(server_pid) - cpu0) / elapsed * 100
    clients = (sum(cpu_seconds(p.pid) for p in procs) - clients0) / elapsed * 100
    machine = (machine_cpu_seconds() - machine0) / elapsed * 100
    v0 = {k: v for r in before for k, v in r["video"].items()}
    v1 = {k: v for r in after for k, v in r["video"].items()}
    a0 = {k: v for r in before for k, v in r["audio"].items()}
    a1 = {k: v for r in after for k, v in r["audio"].items()}
    window = max(r["at"] for r in after) - min(r["at"] for r in before)
    fps = [(v1[k] - v0.get(k, 0)) / window for k in v1]
    pps = [(a1[k] - a0.get(k, 0)) / window for k in a1]
    return Stage(
        consultations=consultations,
        server_cpu_percent=round(cpu, 1),
        server_cpu_per_consultation=round(cpu / consultations, 2),
        clients_cpu_percent=round(clients, 1),
        others_cpu_percent=round(max(0.0, machine - cpu - clients), 1),
        fps_mean=round(statistics.fmean(fps), 1) if fps else 0.0,
        fps_min=round(min(fps), 1) if fps else 0.0,
        audio_pps_mean=round(statistics.fmean(pps), 1) if pps else 0.0,
    )


_HEADER = (
    f"{'mode':>8} {'calls':>5} {'server %cpu':>11} {'%cpu/call':>9} {'clients %cpu':>12} "
    f"{'others %cpu':>11} "
    f"{'fps mean':>8} {'fps min':>7} {'audio pps':>9}"
)


def _row(stage: Stage, mode: str = "") -> str:
    return (
        f"{mode:>8} {stage.consultations:>5} {stage.server_cpu_percent:>11} "
        f"{stage.server_cpu_per_consultation:>9} {stage.clients_cpu_percent:>12} "
        f"{stage.others_cpu_percent:>11} "
        f"{stage.fps_mean:>8} {stage.fps_min:>7} {stage.audio_pps_mean:>9}"
    )


def main(argv: list[str] | None = None) -> None:
    """Command line entry point: ``python -m telecon.bench``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="forward,relay", help="forward, relay or both")
    parser.add_argument("--stages", default=",".join(map(str, DEFAULT_STAGES)))
    parser.add_argument("--relay-stages", default="1,2", help="stages for the relay mode")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--measure", type=float, default=4.0, help="seconds per stage")
    parser.add_argument("--budget", type=float, default=180.0, help="seconds per mode")
    parser.add_argument("--threshold", type=float, default=25.0)
    args = parser.parse_args(argv)
    outcomes = []
    for mode in args.modes.split(","):
        stages = args.relay_stages if mode == "relay" else args.stages
        outcome = asyncio.run(
            run_bench(
                mode=mode,
                stages=tuple(int(s) for s in stages.split(",")),
                workers=args.workers,
                measure_seconds=args.measure,
                threshold_fps=args.threshold,
                budget_seconds=args.budget,
            )
        )
        outcomes.append(outcome)
    print(_HEADER)
    for outcome in outcomes:
        for stage in outcome.stages:
            print(_row(stage, outcome.mode))
        print(
            f"{outcome.mode}: capacity {outcome.capacity} consultations at >= "
            f"{outcome.threshold_fps} fps ({outcome.stopped_because}, {outcome.wall_seconds} s)"
        )
    info = {"cpus": os.cpu_count(), "video": "640x480@30 VP8 + Opus, both ways, 127.0.0.1"}
    print(json.dumps({"machine": info, "results": [asdict(o) for o in outcomes]}, indent=2))


if __name__ == "__main__":
    main()
