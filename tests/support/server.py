"""A real Créneau server process on 127.0.0.1, for browser and multi-process tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(base_url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    """Poll ``/health`` until it answers 200, or raise with the server's output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stdout.read() if process.stdout else ''}")
        try:
            with urllib.request.urlopen(base_url + "/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)  # not listening yet: a restart is timed, so poll closely
    raise TimeoutError(f"server at {base_url} not healthy after {timeout} s")


@contextmanager
def running_server(env: dict[str, str], workers: int = 1, timeout: float = 30) -> Iterator[str]:
    """Run ``creneau serve`` with ``env`` on a free port; yield its base URL (healthy within ``timeout``)."""
    port = free_port()
    creneau = str(Path(sys.executable).with_name("creneau"))
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("CRENEAU_")}
    process = subprocess.Popen(
        [creneau, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env={**base_env, "CRENEAU_LOG_LEVEL": "warning", **env},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process, timeout)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
