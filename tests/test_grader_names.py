"""A graded gradient is called what the student calls it: the part's title and its message use one name."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradlab.grading.assignment import parse_assignment
from gradlab.grading.feedback import feedback_markdown, results_json
from gradlab.grading.grader import grade_submission

#: an Affine whose bias gradient is twice the true one, its gradients stored under the names it chose
DOUBLED_BIAS = {
    "own_names": ("Affine", """
import numpy as np

class Affine:
    def __init__(self, W, b):
        self.weights, self.bias = W, b

    def forward(self, x):
        self.x = x
        return x @ self.weights + self.bias

    def backward(self, dout):
        self.dweights = self.x.T @ dout
        self.dbias = dout.sum(axis=0) * 2
        return dout @ self.weights.T
""", "class", {"dW": "dweights", "db": "dbias"}),
    # "Neural Networks from Scratch": forward stores self.output, gradients are self.d<attribute>
    "nnfs": ("Layer_Dense", """
import numpy as np

class Layer_Dense:
    def __init__(self, n_inputs, n_neurons):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases

    def backward(self, dvalues):
        self.dweights = np.dot(self.inputs.T, dvalues)
        self.dbiases = np.sum(dvalues, axis=0, keepdims=True) * 2
        self.dinputs = np.dot(dvalues, self.weights.T)
""", "class", {"dW": "dweights", "db": "dbiases"}),
    # CS231n: affine_backward returns (dx, dw, db), named after forward's arguments (x, w, b)
    "cs231n": ("affine", """
import numpy as np

def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)

def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0) * 2
    return dx, dw, db
""", "function", {"dW": "dw", "db": "db"}),
}


@pytest.mark.parametrize("style", list(DOUBLED_BIAS))
def test_a_gradients_part_is_titled_with_the_name_its_message_uses(tmp_path: Path, style: str):
    name, source, convention, names = DOUBLED_BIAS[style]
    path = tmp_path / "student.py"
    path.write_text(source)
    assignment = parse_assignment({"name": "one", "convention": convention, "seed": 3, "examples": 3,
                                   "layers": [{"name": name, "points": 8}]}, "test")
    grade = grade_submission(path, assignment)
    layer = grade.layers[0]
    by_component = {p.component: p for p in layer.parts}
    bias = by_component["db"]
    assert not bias.passed and bias.codes == ["scaled"]
    # the message names the student's gradient; the part is titled with the same name, and so is every
    # gradient part, passed or not
    assert bias.message.startswith(f"{names['db']} is 2 times the true gradient"), bias.message
    assert {c: by_component[c].title for c in names} == names
    assert by_component["dW"].passed
    tests = {t["extra_data"]["part"]: t for t in results_json(grade)["tests"]}
    assert tests["db"]["name"] == f"{name}: gradient {names['db']}"
    assert tests["dW"]["name"] == f"{name}: gradient {names['dW']}"
    markdown = feedback_markdown(grade)
    assert f"- ❌ {names['db']}: 0 / " in markdown and f"- ✅ {names['dW']}: " in markdown


def test_a_layer_that_is_not_found_keeps_gradlabs_own_titles(tmp_path: Path):
    path = tmp_path / "student.py"
    path.write_text("x = 1\n")
    assignment = parse_assignment({"name": "one", "convention": "class", "examples": 3,
                                   "layers": [{"name": "Affine", "points": 8}]}, "test")
    parts = grade_submission(path, assignment).layers[0].parts
    assert [p.title for p in parts] == ["forward", "dx", "dW", "db", "structure"]
