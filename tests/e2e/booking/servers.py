"""A demo centre with slots around today, and a ``creneau serve`` process we may kill."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from planner.database import make_engine
from tests.planner.booking.support import load_demo_with_slots
from tests.support.server import free_port, wait_until_healthy


def prepare_database(url: str, days: int = 14) -> None:
    """The demo centre around today with ``days`` of slots (the server's clock is real)."""
    engine = make_engine(url)
    load_demo_with_slots(engine, today=dt.date.today(), days=days)
    engine.dispose()


def server_env(url: str, folder: Path, **extra: str) -> dict[str, str]:
    """Environment of a test server: its database, a fixed key, no rate limit."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CRENEAU_")}
    return {**base, "CRENEAU_DATABASE_URL": url, "CRENEAU_DATA_DIR": str(folder),
            "CRENEAU_SECRET_KEY": "e2e-booking-key-0123456789", "CRENEAU_RATE_LIMIT_API": "0",
            "CRENEAU_LOG_LEVEL": "warning", **extra}


class Server:
    """``creneau serve`` on a fixed port, started and killed on demand."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        """Start and wait until healthy; returns the seconds it took."""
        started = time.monotonic()
        creneau = str(Path(sys.executable).with_name("creneau"))
        self.process = subprocess.Popen(
            [creneau, "serve", "--host", "127.0.0.1", "--port", str(self.port)], env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wait_until_healthy(self.url, self.process, timeout=20)
        return time.monotonic() - started

    def kill(self) -> None:
        """SIGKILL, as a power cut of the process would."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        """Stop politely."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
