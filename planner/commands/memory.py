"""Peak resident memory of this process and its children while a block runs (for benchmarks).

``resource.getrusage`` only knows the lifetime peak of a process, and of its children once they
have ended; a benchmark running several solves in one process needs the peak of each solve,
worker processes included. So a thread samples the resident set of the process tree from
``/proc`` (Linux) every :data:`INTERVAL` seconds. Elsewhere the peak is ``None``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import TracebackType

#: Seconds between two samples.
INTERVAL = 0.05
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
PROC = Path("/proc")


def _parents() -> dict[int, int]:
    """Parent of every process visible in /proc."""
    out: dict[int, int] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended meanwhile
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        fields = stat[stat.rfind(")") + 2:].split()
        out[int(entry.name)] = int(fields[1])
    return out


def _rss(pid: int) -> int:
    try:
        return int((PROC / str(pid) / "statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(root: int | None = None) -> int:
    """Resident bytes of process ``root`` (this one by default) and all its descendants."""
    root = os.getpid() if root is None else root
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _rss(pid)
        todo.extend(children.get(pid, ()))
    return total


class PeakMemory:
    """``with PeakMemory() as peak: ...`` then ``peak.mib``: the highest sample, in MiB."""

    def __init__(self, interval: float = INTERVAL) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.supported = (PROC / "self" / "statm").exists()

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, tree_rss())
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> PeakMemory:
        if self.supported:
            self.peak = tree_rss()
            self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.supported:
            self._stop.set()
            self._thread.join()
            self.peak = max(self.peak, tree_rss())

    @property
    def mib(self) -> float | None:
        """Peak in MiB (None where /proc is missing)."""
        return round(self.peak / 2**20, 1) if self.supported else None
