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
