"""Every warning `gradlab check` prints on a layer reaches the student's grade, through the sandbox, costing nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradlab.cli.main import main
from gradlab.grading.assignment import parse_assignment
from gradlab.grading.feedback import feedback_markdown, md_text, results_json
from gradlab.grading.grader import grade_submission

#: one layer per convention that makes `gradlab check` warn: (layer, source); each is right in its convention
WARNING_LAYERS = {
    # backward(x) returns f'(x): checked as dout * backward(x) (gradlab/conventions/derivative_classes.py)
    "derivative class": ("Sigmoid", """
import numpy as np

class Sigmoid:
    def forward(self, z):
        return 1.0 / (1.0 + np.exp(-z))

    def backward(self, z):
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1 - s)
"""),
    # the textbook's Relu: right numbers, written into the dout it was given
    "writes into dout": ("Relu", """
import numpy as np

class Relu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout[self.mask] = 0
        return dout
"""),
    # a loss that refuses index labels: checked (and graded) with one-hot ones only
    "one-hot only loss": ("SoftmaxWithLoss", """
import numpy as np

class SoftmaxWithLoss:
    def forward(self, x, t):
        assert t.ndim == 2, "labels must be one-hot"
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.y = e / e.sum(axis=1, keepdims=True)
        self.t = t
        return -np.sum(t * np.log(self.y + 1e-12)) / x.shape[0]

    def backward(self, dout=1):
        return dout * (self.y - self.t) / self.t.shape[0]
"""),
    # backward(grad, learning_rate) updating its own weights; 2-D input only, which check warns of
    "backward(grad, lr)": ("Affine", """
import numpy as np

class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout, learning_rate):
        dx = dout @ self.W.T
        self.W -= learning_rate * (self.x.T @ dout)
        self.b -= learning_rate * dout.sum(axis=0)
        return dx
"""),
    # right, in float32: judged at float32's tolerances, and labelled so
    "float32": ("Relu", """
import numpy as np

class Relu:
    def forward(self, x):
        self.mask = x <= 0
        return np.maximum(x, 0).astype(np.float32)

    def backward(self, dout):
        dx = dout.astype(np.float32).copy()
        dx[self.mask] = 0
        return dx
"""),
}


def check_warnings(path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The warnings `gradlab check` prints on the one layer of `path`, as a grade would say them."""
    main(["check", str(path), "--examples", "5"])
    printed = capsys.readouterr().out.splitlines()
    said = [line.split(": ", 1)[1] for line in printed if line.startswith(("  warning: ", "  precision: "))]
    # what was checked there was graded here
    return [w.replace(" was checked ", " was graded ") for w in said]


@pytest.mark.parametrize("convention", list(WARNING_LAYERS))
def test_the_grade_carries_the_warnings_check_prints_and_no_others(tmp_path: Path, capsys, convention: str):
    name, source = WARNING_LAYERS[convention]
    path = tmp_path / "student.py"
    path.write_text(source)
    expected = check_warnings(path, capsys)
    assert expected, f"gradlab check no longer warns on the {convention} layer: this test compares nothing"
    assignment = parse_assignment({"name": "one", "convention": "class", "seed": 3, "examples": 4,
                                   "layers": [{"name": name, "points": 4}]}, "test")
    grade = grade_submission(path, assignment)
    layer = grade.layers[0]
    assert layer.score == 4, [(p.component, p.message) for p in layer.parts]  # a warning costs no points
    assert sorted(layer.warnings + ([layer.note] if layer.note else [])) == sorted(expected)
    markdown = feedback_markdown(grade)
    assert all(md_text(w) in markdown for w in expected)
    assert all(t["extra_data"]["warnings"] == layer.warnings for t in results_json(grade)["tests"])


def test_a_layer_without_warnings_gets_none_in_its_grade(tmp_path: Path):
    path = tmp_path / "student.py"
    path.write_text(WARNING_LAYERS["writes into dout"][1].replace("dout[self.mask] = 0\n        return dout",
                                                                  "dx = dout.copy()\n        dx[self.mask] = 0\n"
                                                                  "        return dx"))
    assignment = parse_assignment({"name": "one", "convention": "class", "seed": 3, "examples": 4,
                                   "layers": [{"name": "Relu", "points": 4}]}, "test")
    grade = grade_submission(path, assignment)
    assert grade.layers[0].score == 4 and grade.layers[0].warnings == []
    assert "warning" not in feedback_markdown(grade)
