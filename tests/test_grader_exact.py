"""Exact scores: every perturbed forward sees fresh inputs, and the assignment sets the precision."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.grading.assignment import AssignmentError, parse_assignment
from gradlab.grading.grader import grade_submission
from gradlab.grading.limits import Limits
from gradlab.grading.sandbox.process import Sandbox
from gradlab.grading.sandbox.remote_layer import RemoteLayer
from gradlab.kinds import KINDS, build_case

SHIFTS_INPUT = """
import numpy as np


class Sigmoid:
    def forward(self, x):
        x -= 1.0  # shifts its input in place, and undoes the shift in the formula: the output is right
        self.out = 1 / (1 + np.exp(-(x + 1.0)))
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out
"""

FLOAT32_INSIDE = """
import numpy as np


class Sigmoid:
    def forward(self, x):
        self.out = (1 / (1 + np.exp(-x.astype(np.float32)))).astype(np.float64)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out


class Tanh:
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out ** 2)
"""


def test_each_perturbed_forward_starts_from_the_unperturbed_input_even_if_the_layer_shifts_it(tmp_path):
    sub = tmp_path / "shift.py"
    sub.write_text(SHIFTS_INPUT)
    kind = KINDS["sigmoid"]
    case = build_case(kind, {"N": 2, "shape": (3,), "seed": 0, "scale": 1.0})
    x = case.x.copy()
    with Sandbox(sub, Limits(), mode="process") as box:
        assert box.start()["ok"]
        box.budget(10, "test")
        layer = RemoteLayer(box, "Sigmoid", kind, case)
        layer.forward(x.copy())
        outs = layer.forward_perturbed("x", np.array([0, 0, 0, 4]), np.array([0.5, 0.5, 0.5, -1.0]), x=x.copy())
    for row, (i, v) in zip(outs, [(0, 0.5), (0, 0.5), (0, 0.5), (4, -1.0)]):
        xi = x.copy()
        xi.flat[i] = v
        assert np.allclose(row, 1 / (1 + np.exp(-xi)), rtol=1e-12, atol=0)


def assignment(**extra):
    return parse_assignment({"name": "p", "convention": "class", "seed": 4, "examples": 4, "sandbox": "process",
                             "layers": [{"name": "Sigmoid", "points": 10}, {"name": "Tanh", "points": 10}], **extra},
                            "precision test")


def test_an_assignment_that_requires_float64_refuses_a_layer_computing_in_float32_with_a_message(tmp_path):
    sub = tmp_path / "f32.py"
    sub.write_text(FLOAT32_INSIDE)
    grade = grade_submission(sub, assignment(precision="float64"))
    sigmoid, tanh = grade.layers
    assert tanh.score == 10
    refused = [p for p in sigmoid.parts if p.component == "dx"][0]
    assert not refused.passed and refused.codes == []
    assert "requires float64" in refused.message and "float32" in refused.message


def test_without_a_required_precision_a_correct_float32_layer_keeps_its_gradient_points(tmp_path):
    sub = tmp_path / "f32.py"
    sub.write_text(FLOAT32_INSIDE)
    grade = grade_submission(sub, assignment())
    assert [p.passed for p in grade.layers[0].parts if p.component == "dx"] == [True]


def test_an_unknown_precision_is_a_one_line_assignment_error():
    with pytest.raises(AssignmentError, match='precision = "float64"'):
        assignment(precision="float16")
