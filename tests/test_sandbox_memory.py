"""Memory is limited per submission, not per process: four forks of 900 MB each (every one under the
per-process limit) are killed once together they pass the submission's limit, and the honest layers
of the same submission keep their points, in the jail and in the plain child alike."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from gradlab.cli.main import main
from gradlab.grading.sandbox import jail
from gradlab.grading.sandbox.reaper import process_table

HOSTILE = Path(__file__).parent / "hostile"
LIMIT_MB = 1200
ASSIGNMENT = f"""
name = "memory"
convention = "class"
seed = 1
examples = 4
[limits]
memory_mb = {LIMIT_MB}
import_timeout = 60
total_timeout = 120
[[layers]]
name = "Relu"
points = 10
[[layers]]
name = "Sigmoid"
points = 10
[[layers]]
name = "Tanh"
points = 10
"""


@pytest.fixture(params=["bwrap", "process"])
def sandbox(request) -> str:
    if request.param == "bwrap" and jail.probe() is not None:
        pytest.skip(f"bubblewrap cannot run here: {jail.probe()}")
    return request.param


class PeakMemory(threading.Thread):
    """Samples, every 20 ms, the resident anonymous memory of all this process's descendants together
    (read from /proc independently of the grader's own watchdog)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_mb, self.done = 0.0, threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self.done.is_set():
            table = process_table()
            tree, grew = {me}, True
            while grew:
                more = {pid for pid, ppid, *_ in table if ppid in tree} - tree
                tree |= more
                grew = bool(more)
            total = 0
            for pid in tree - {me}:
                try:
                    with open(f"/proc/{pid}/status") as f:
                        total += sum(int(line.split()[1]) for line in f if line.startswith("RssAnon:"))
                except OSError:
                    pass
            self.peak_mb = max(self.peak_mb, total / 1024)
            time.sleep(0.02)


def test_four_forks_of_900_mb_are_bounded_as_one_submission_and_honest_layers_keep_their_points(
        tmp_path, sandbox):
    sub = tmp_path / "student.py"
    sub.write_text((HOSTILE / "good_layers.py").read_text() + "\n\n" + (HOSTILE / "forks_hoard_memory.py").read_text())
    toml = tmp_path / "memory.toml"
    toml.write_text(ASSIGNMENT)
    sampler = PeakMemory()
    sampler.start()
    try:
        assert main(["grade", str(sub), "--assignment", str(toml), "--results", str(tmp_path / "results.json"),
                     "--sandbox", sandbox, "--no-progress"]) == 0
    finally:
        sampler.done.set()
        sampler.join()
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["score"] == 30
    # unbounded, the forks alone hold 3600 MB; the watchdog looks every 0.1 s, so the total may pass the
    # limit by what the submission allocates in that time
    assert sampler.peak_mb < LIMIT_MB + 600, f"peak {sampler.peak_mb:.0f} MB"
    assert "used more than its 1200 MB of memory" in data["output"]
