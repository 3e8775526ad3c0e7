"""A bias kept with a length-1 axis ((M, 1) in the column layout, (1, M) in nnfs's rows) whose gradient comes back
without it ((M,): a sum without `keepdims=True`) is judged by what the course's update does with it.

`b = b - lr * db` with b (M, 1) and db (M,) broadcasts b to (M, M): the layer no longer trains, and the check fails
it `wrong-shape` (deeplearning.ai guards it with `assert db.shape == b.shape`). With b (1, M) the update keeps b's
shape: a warning. The gradient's values are right in both, so each test has a correct twin that must stay clean.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gradlab.cases.check_many import check_paths
from gradlab.conventions.gradient_shapes import stored_shape_note
from gradlab.grading.assignment import parse_assignment
from gradlab.grading.grader import grade_submission
from gradlab.grading.sandbox import jail

FOLDER = Path(__file__).parent / "deeplearning_ai"
JAIL_PROBLEM = jail.probe()


def _report(tmp_path: Path, source: str, name: str, **kw):
    path = tmp_path / "layers.py"
    path.write_text(textwrap.dedent(source))
    outcome = check_paths([path], examples=6, seed=0, **kw)
    assert outcome.errors == []
    return {r.name: r for r in outcome.reports}[name]


COLUMN_LINEAR = """
    import numpy as np


    def linear_forward(A, W, b):
        Z = np.dot(W, A) + b
        return Z, (A, W, b)


    def linear_backward(dZ, cache):
        A_prev, W, b = cache
        m = A_prev.shape[1]
        dW = 1. / m * np.dot(dZ, A_prev.T)
        db = 1. / m * np.sum(dZ, axis=1{keep})
        dA_prev = np.dot(W.T, dZ)
        return dA_prev, dW, db
"""


@pytest.mark.parametrize("keep, verdict", [(", keepdims=True", "pass"), ("", "fail")])
def test_a_column_bias_gradient_without_its_kept_axis_fails_wrong_shape_saying_what_the_update_would_do(
        tmp_path, keep, verdict):
    report = _report(tmp_path, COLUMN_LINEAR.format(keep=keep), "linear")
    assert report.verdict == verdict
    if verdict == "fail":
        assert report.bug_codes[0] == "wrong-shape"
        said = " ".join(f.message for f in report.failing.findings if f.code == "wrong-shape")
        assert "db has shape (" in said and "would make b" in said and "keepdims=True" in said


NNFS_DENSE = """
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
            self.dbiases = np.sum(dvalues, axis=0{keep})
            self.dinputs = np.dot(dvalues, self.weights.T)
"""


def test_a_row_bias_gradient_without_its_kept_axis_only_warns_because_the_update_keeps_the_shape(tmp_path):
    lax = _report(tmp_path, NNFS_DENSE.format(keep=""), "Layer_Dense")
    assert lax.verdict == "warn" and lax.bug_codes == []
    said = [w.message for w in lax.warnings if w.code == "wrong-shape" and "dbiases" in w.message]
    assert said == ["dbiases has shape (M,) where biases has (1, M): an update biases -= lr * dbiases keeps its "
                    "shape, but a gradient should have its parameter's shape (sum with keepdims=True, or reshape it "
                    "to the parameter's shape)"]
    kept = _report(tmp_path, NNFS_DENSE.format(keep=", keepdims=True"), "Layer_Dense")
    assert not any("dbiases" in w.message for w in kept.warnings)


COLUMN_CLASS = """
    import numpy as np


    class Dense:
        # samples as columns, the bias a column vector
        def __init__(self, n_in, n_out):
            self.W = np.random.randn(n_out, n_in) * 0.01
            self.b = np.zeros((n_out, 1))

        def forward(self, X):
            self.X = X
            return self.W @ X + self.b

        def backward(self, dZ):
            self.dW = dZ @ self.X.T
            self.db = dZ.sum(axis=1{keep})
            return self.W.T @ dZ
"""


@pytest.mark.parametrize("keep, verdict", [(", keepdims=True", "pass"), ("", "fail")])
def test_a_class_keeping_a_column_bias_fails_the_same_way_as_the_function(tmp_path, keep, verdict):
    report = _report(tmp_path, COLUMN_CLASS.format(keep=keep), "Dense",
                     options={"layout": "columns", "weights": "out_in"})
    assert (report.verdict, report.bug_codes[:1]) == (verdict, [] if verdict == "pass" else ["wrong-shape"])


def test_the_note_is_silent_for_equal_shapes_other_sizes_and_a_single_element():
    assert stored_shape_note("db", "b", (3, 1), (3, 1)) is None
    assert stored_shape_note("db", "b", (3, 1), (4,)) is None  # another size: the value comparison reports it
    assert stored_shape_note("db", "b", (1, 1), (1,)) is None  # which axis was kept is the larger cases' to say
    assert stored_shape_note("db", "b", (3, 1), (3,)).severity == "fail"
    assert stored_shape_note("db", "b", (1, 3), (3,)).severity == "warn"
    assert stored_shape_note("db", "b", (1, 3), (3, 1)) is None  # a transpose: the value comparison names it
    assert stored_shape_note("db", "b", (1, 3, 1), (3,)).severity == "fail"  # (1, 3, 1) - (3,) is (1, 3, 3)


def test_a_row_gradient_of_a_column_bias_fails_because_its_values_in_order_are_right_but_the_update_broadcasts():
    # (1, 3) for (3, 1): the same values in the same order, so a comparison in gradlab's (3,) cannot see it (a CMU
    # Linear's b is (out, 1)); b - lr * db is (3, 3)
    for have, got in (((3, 1), (1, 3)), ((1, 3), (3, 1))):
        assert stored_shape_note("db", "b", have, got) is None  # where the comparison sees it: named transposed
        note = stored_shape_note("db", "b", have, got, transposes_seen=False)
        assert note is not None and note.severity == "fail" and "would make b (3, 3)" in note.message, note
    column = stored_shape_note("db", "b", (3, 1), (3,))
    assert "reshape it to (3, 1)" in column.message and "sum with keepdims=True," not in column.message


@pytest.mark.skipif(JAIL_PROBLEM is not None, reason=f"bubblewrap cannot run here: {JAIL_PROBLEM}")
@pytest.mark.parametrize("keep, full", [(", keepdims=True", True), ("", False)])
def test_the_grader_judges_the_column_bias_as_check_does(tmp_path, keep, full):
    path = tmp_path / "layers.py"
    path.write_text(textwrap.dedent(COLUMN_LINEAR.format(keep=keep)))
    assignment = parse_assignment({"name": "shapes", "convention": "function", "layout": "columns",
                                   "weight_layout": "out_in", "seed": 1,
                                   "examples": 3, "limits": {"timeout": 60, "total_timeout": 120},
                                   "layers": [{"name": "linear", "points": 10}]}, "shape test")
    grade = grade_submission(path, assignment)
    assert (grade.score == grade.max_score) is full
    if not full:
        assert "wrong-shape" in grade.layers[0].bug_codes
