"""``creneau serve --workers N``: start the one video process the web workers forward to.

See :mod:`web.video_proxy` for what is forwarded and why. The video process is the same
application with ``CRENEAU_ROLE=video``, listening on a free port of 127.0.0.1 (never on another
address: only the web workers talk to it over HTTP; browsers reach it for media over ICE/UDP).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

from planner.errors import ConfigError
from planner.settings import Settings

STARTUP_SECONDS = 60.0
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an HTTP proxy


def _free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class VideoProcessHandle:
    """The running video process and its internal address."""

    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        """Stop it (SIGTERM, then SIGKILL after 10 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_video_process(settings: Settings) -> VideoProcessHandle:
    """Start the video process, wait until it answers, and point the web workers at it.

    Sets ``CRENEAU_ROLE=web`` and ``CRENEAU_VIDEO_URL`` in this process's environment, which the
    web workers inherit.
    """
    if settings.channels_backend != "redis":
        raise ConfigError("Several workers need CRENEAU_CHANNELS_BACKEND=redis and CRENEAU_REDIS_URL, so "
                          "that every worker sees the video consultations' events (see README, "
                          "Several workers).")
    port = _free_loopback_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "uvicorn", "web.video_proxy:create_web_app", "--factory",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", settings.log_level,
               "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]
    env = {**os.environ, "CRENEAU_ROLE": "video"}
    env.pop("CRENEAU_VIDEO_URL", None)
    handle = VideoProcessHandle(subprocess.Popen(command, env=env), url)
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        if handle.process.poll() is not None:
            raise ConfigError(f"The video process stopped at start (exit {handle.process.returncode}); "
                              "see its messages above.")
        try:
            with _DIRECT.open(url + "/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            handle.stop()
            raise ConfigError(f"The video process did not answer on {url} within {STARTUP_SECONDS:.0f} s.")
        time.sleep(0.2)
    os.environ["CRENEAU_ROLE"] = "web"
    os.environ["CRENEAU_VIDEO_URL"] = url
    return handle
