"""The second volume's layers keep `self.grads = [np.zeros_like(W), ...]` from their constructor and write into
those arrays in backward (`self.grads[0][...] = dW`): a model gathers the arrays once, when it is built. A backward
that assigns `self.grads[0] = dW` gives right values in a new array the model never sees, so gradlab judges the
arrays' identity, not only their values. A dict of gradients is another convention (its optimizer reads it
fresh) and stays clean.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gradlab.cases.check_many import check_paths
from gradlab.grading.assignment import parse_assignment
from gradlab.grading.grader import grade_submission
from gradlab.grading.sandbox import jail

JAIL_PROBLEM = jail.probe()

AFFINE = """
    import numpy as np


    class Affine:
        def __init__(self, W, b):
            self.params = [W, b]
            self.grads = [np.zeros_like(W), np.zeros_like(b)]
            self.x = None

        def forward(self, x):
            W, b = self.params
            self.x = x
            return x @ W + b

        def backward(self, dout):
            W, b = self.params
            dW = self.x.T @ dout
            db = dout.sum(axis=0)
            {write_W}
            {write_b}
            return dout @ W.T
"""

IN_PLACE = ("self.grads[0][...] = dW", "self.grads[1][...] = db")


def _report(tmp_path: Path, source: str):
    path = tmp_path / "layers.py"
    path.write_text(textwrap.dedent(source))
    outcome = check_paths([path], examples=4, seed=0)
    assert outcome.errors == []
    (report,) = outcome.reports
    return report


def test_a_second_volume_layer_writing_into_its_grads_arrays_passes(tmp_path):
    write_W, write_b = IN_PLACE
    report = _report(tmp_path, AFFINE.format(write_W=write_W, write_b=write_b))
    assert report.verdict != "fail" and report.bug_codes == []  # (a warning says it was not tried on 4-D input)


@pytest.mark.parametrize("which", [0, 1])
def test_replacing_one_grads_array_fails_zero_gradient_naming_the_entry_and_the_in_place_write(tmp_path, which):
    lines = list(IN_PLACE)
    lines[which] = lines[which].replace("[...]", "")
    report = _report(tmp_path, AFFINE.format(write_W=lines[0], write_b=lines[1]))
    assert report.verdict == "fail"
    assert report.bug_codes == ["zero-gradient"]
    said = " ".join(f.message for f in report.failing.findings if f.code == "zero-gradient")
    assert f"grads[{which}]" in said and f"self.grads[{which}][...] = ..." in said
    assert f"grads[{1 - which}] with" not in said


def test_a_grads_dict_rebound_entry_by_entry_passes(tmp_path):
    source = AFFINE.replace("self.params = [W, b]", "self.params = {{'W': W, 'b': b}}").replace(
        "self.grads = [np.zeros_like(W), np.zeros_like(b)]",
        "self.grads = {{'W': np.zeros_like(W), 'b': np.zeros_like(b)}}").replace(  # (braces doubled for format)
        "W, b = self.params", "W, b = self.params['W'], self.params['b']")
    report = _report(tmp_path, source.format(write_W="self.grads['W'] = dW", write_b="self.grads['b'] = db"))
    assert report.verdict != "fail" and report.bug_codes == []


@pytest.mark.skipif(JAIL_PROBLEM is not None, reason=f"bubblewrap cannot run here: {JAIL_PROBLEM}")
@pytest.mark.parametrize("write_b, full", [(IN_PLACE[1], True), ("self.grads[1] = db", False)])
def test_the_grader_judges_a_replaced_grads_array_as_check_does(tmp_path, write_b, full):
    path = tmp_path / "layers.py"
    path.write_text(textwrap.dedent(AFFINE.format(write_W=IN_PLACE[0], write_b=write_b)))
    assignment = parse_assignment({"name": "in place", "convention": "class", "seed": 1, "examples": 3,
                                   "limits": {"timeout": 60, "total_timeout": 120},
                                   "layers": [{"name": "Affine", "kind": "affine", "points": 10}]}, "in-place test")
    grade = grade_submission(path, assignment)
    assert (grade.score == grade.max_score) is full
    if not full:
        assert "zero-gradient" in grade.layers[0].bug_codes


def test_a_replaced_array_with_wrong_values_is_named_by_its_values_first(tmp_path):
    # db summed over the features as well: the values are the bug to fix first; the array is judged once they are right
    report = _report(tmp_path, AFFINE.format(write_W=IN_PLACE[0], write_b="self.grads[1] = dout.sum(axis=0) * 2"))
    assert report.verdict == "fail"
    assert report.bug_codes == ["scaled"]
