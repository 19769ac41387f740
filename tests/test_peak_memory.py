"""The benchmarks' peak-memory probe sees memory used in the process and in its children."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from planner.commands.memory import PeakMemory, tree_rss

MIB = 2**20


def _hold(mib: int, seconds: float) -> None:
    block = bytearray(mib * MIB)
    block[::4096] = b"x" * len(block[::4096])  # touch every page so it is resident
    time.sleep(seconds)


@pytest.fixture(autouse=True)
def _linux() -> None:
    if not PeakMemory().supported:
        pytest.skip("needs /proc (Linux)")


def test_peak_counts_memory_freed_before_the_block_ends() -> None:
    with PeakMemory() as probe:
        before = tree_rss()
        _hold(300, 0.3)
    after = tree_rss()
    assert probe.mib is not None and probe.mib * MIB >= before + 250 * MIB
    assert after < probe.peak - 200 * MIB  # the block was freed: only the probe remembers it


def test_peak_includes_worker_processes() -> None:
    ctx = multiprocessing.get_context("spawn")
    with PeakMemory() as probe:
        alone = tree_rss()
        worker = ctx.Process(target=_hold, args=(300, 1.5))
        worker.start()
        worker.join()
    assert worker.exitcode == 0
    assert probe.peak >= alone + 250 * MIB
