"""A forward of zeros is called a template's placeholder only when it is zero on every failing case."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradlab.grading.assignment import parse_assignment
from gradlab.grading.grader import grade_submission

LOSS = """
import numpy as np

class SoftmaxWithLoss:
    def forward(self, x, t):
        self.t = t
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.y = e / e.sum(axis={axis}, keepdims=True)
        if t.ndim == 2:
            t = t.argmax(axis=1)
        return {loss}

    def backward(self, dout=1):
        n = self.y.shape[0]
        dx = self.y.copy()
        if self.t.ndim == 2:
            dx -= self.t
        else:
            dx[np.arange(n), self.t] -= 1
        return dout * dx / n
"""
MEAN_LOSS = "-np.log(self.y[np.arange(x.shape[0]), t]).mean()"


@pytest.mark.parametrize("axis, loss, placeholder", [
    # a softmax over the batch: its loss is exactly 0 for one sample (log 1), not 0 for more
    (0, MEAN_LOSS, False),
    # a template's forward: 0 whatever the case
    (1, "0.0", True),
])
def test_a_zero_forward_is_called_a_placeholder_only_if_it_is_zero_on_every_failing_case(
        tmp_path: Path, axis: int, loss: str, placeholder: bool):
    path = tmp_path / "student.py"
    path.write_text(LOSS.format(axis=axis, loss=loss))
    assignment = parse_assignment({"name": "one", "convention": "class", "seed": 1, "examples": 6,
                                   "layers": [{"name": "SoftmaxWithLoss", "points": 4}]}, "test")
    forward = grade_submission(path, assignment).layers[0].parts[0]
    assert forward.component == "forward" and not forward.passed
    assert ("not implemented yet?" in forward.message) == placeholder, forward.message
    if not placeholder:  # the bug's case explains it, with both values
        assert forward.message.startswith("forward output differs from the correct one") and \
            not forward.smallest.startswith("N=1,"), (forward.message, forward.smallest)
