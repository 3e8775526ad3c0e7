"""A submission's total time budget: slow layers cannot add up to more than the assignment allows."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gradlab.grading.assignment import AssignmentError, parse_assignment
from gradlab.grading.grader import grade_submission

SLEEPY = (Path(__file__).parent / "hostile" / "good_layers.py").read_text() + """

import time

for _cls in (Relu, Sigmoid, Tanh):
    _forward = _cls.forward

    def _slow(self, x, _forward=_forward):
        time.sleep(0.2)  # far under the per-layer limit, every call
        return _forward(self, x)

    _cls.forward = _slow
"""


def assignment(**limits):
    return parse_assignment({"name": "budget", "convention": "class", "seed": 1, "examples": 4,
                             "sandbox": "process", "limits": limits,
                             "layers": [{"name": n, "points": 10} for n in ("Relu", "Sigmoid", "Tanh")]},
                            "budget test")


def test_layers_slow_enough_to_add_up_stop_at_the_submissions_total_budget(tmp_path):
    sub = tmp_path / "sleepy.py"
    sub.write_text(SLEEPY)
    start = time.monotonic()
    grade = grade_submission(sub, assignment(timeout=30, total_timeout=2))
    elapsed = time.monotonic() - start
    assert elapsed < 2 + 4  # the budget, plus start-up and the grader's own work after the last call
    messages = [p.message for layer in grade.layers for p in layer.parts]
    assert any("total time budget of 2 s" in m for m in messages)
    assert grade.score < 30


def test_the_default_total_budget_is_sixty_seconds_and_a_bad_one_is_an_assignment_error():
    assert assignment().limits.total_timeout == 60
    with pytest.raises(AssignmentError, match="limits.total_timeout must be a positive number"):
        assignment(total_timeout=-1)


FAST_THEN_SLEEPY = """
import time
import numpy as np

class Relu:
    def forward(self, x):
        if x.shape[0] == 3:  # the test's signal for 'be slow now'
            time.sleep(0.4)
        self.mask = x <= 0
        return np.where(self.mask, 0.0, x)

    def backward(self, dout):
        return np.where(self.mask, 0.0, dout)
"""


def test_a_layers_budget_counts_the_students_time_not_the_graders_own(tmp_path):
    """What the grader computes between its calls (finite differences, a diagnosis) is not the student's time:
    a slow diagnosis on a loaded machine once failed a layer whose every call answered at once, as too slow."""
    from gradlab.grading.sandbox.process import Limits, Sandbox, SandboxFailure
    from gradlab.grading.sandbox.remote_layer import RemoteLayer
    from gradlab.kinds import KINDS, build_case

    sub = tmp_path / "student.py"
    sub.write_text(FAST_THEN_SLEEPY)
    kind = KINDS["relu"]
    quick = build_case(kind, {"N": 2, "shape": (4,), "seed": 0, "scale": 1.0})
    slow = build_case(kind, {"N": 3, "shape": (4,), "seed": 0, "scale": 1.0})
    with Sandbox(sub, Limits(timeout=1.0), mode="process") as box:
        assert box.start()["ok"]
        box.budget(1.0, "grading Relu")
        for _ in range(3):  # 1.5 s of the grader's own work, between calls the student answers at once
            RemoteLayer(box, "Relu", kind, quick).forward(quick.x.copy())
            time.sleep(0.5)
        assert box.failure is None
        # the student's own time still adds up: 0.4 s a call runs out the 1 s budget on the third
        with pytest.raises(SandboxFailure, match="did not finish within 1 s"):
            for _ in range(3):
                RemoteLayer(box, "Relu", kind, slow).forward(slow.x.copy())
