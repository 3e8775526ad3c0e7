"""The sandbox's memory watchdog, on real processes: what a timeout adds about memory, and when."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gradlab.grading.sandbox.memory import Watchdog

HOLD = """
import sys
import numpy as np
held = np.ones(({mb} << 20) // 8)  # written, so resident
print("ready", flush=True)
sys.stdin.read()
"""


def held_by_a_child(mb: int):
    proc = subprocess.Popen([sys.executable, "-c", HOLD.format(mb=mb)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


@pytest.fixture
def child_holding():
    started = []

    def start(mb: int):
        started.append(held_by_a_child(mb))
        return started[-1]

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def test_a_timeout_near_the_memory_limit_says_how_much_memory_was_used(child_holding):
    proc = child_holding(300)
    dog = Watchdog(proc.pid, limit_mb=512)
    assert dog.check() is False  # under the limit: nothing killed
    clause = dog.crowding()
    assert "of its 512 MB memory limit meanwhile" in clause
    assert 300 <= int(clause.split("up to ")[1].split(" MB")[0]) < 512


def test_a_timeout_far_below_the_memory_limit_says_nothing_of_memory(child_holding):
    proc = child_holding(1)
    dog = Watchdog(proc.pid, limit_mb=4096)
    dog.check()
    assert dog.crowding() == ""
