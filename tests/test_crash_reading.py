"""A gradient of the wrong shape stored in place (`self.grads[0][...] = dW`, the textbook's second volume) crashes
in numpy's broadcast: the shapes in that crash still name the bug (gradlab.core.crash_reading)."""

from __future__ import annotations

from gradlab.cases.check_many import check_paths
from gradlab.core.crash_reading import read_crash
from gradlab.core.protocol import LayerCrash

AFFINE = '''
import numpy as np


class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        W, b = self.params
        self.x = x
        return np.dot(x, W) + b

    def backward(self, dout):
        W, b = self.params
        dx = np.dot(dout, W.T)
        dW = np.dot(self.x.T, dout)
        self.grads[0][...] = dW
        self.grads[1][...] = np.sum(dout, axis=0)
        return dx
'''


def _crash(message: str) -> LayerCrash:
    try:
        try:
            raise ValueError(message)
        except ValueError as exc:
            raise LayerCrash("Affine.backward", f"raised ValueError: {exc}") from exc
    except LayerCrash as crash:
        return crash


def _check(tmp_path, source):
    path = tmp_path / "layers.py"
    path.write_text(source)
    (report,) = check_paths([path], examples=8, seed=0).reports
    return report


def test_a_transposed_gradient_stored_in_place_is_named_transposed_with_the_crash_in_the_sentence(tmp_path):
    report = _check(tmp_path, AFFINE.replace("dW = np.dot(self.x.T, dout)", "dW = np.dot(dout.T, self.x)"))
    # the bug first, and the crash as DESIGN.md names a backward that raised
    assert report.verdict == "fail" and report.bug_codes == ["transposed", "crashed"]
    said = {f.code: f.message for f in report.failing.findings}
    assert "the transpose of its array's" in said["transposed"] and "could not broadcast" in said["crashed"]


def test_the_same_layer_written_right_passes_and_another_crash_stays_crashed(tmp_path):
    assert _check(tmp_path, AFFINE).verdict != "fail"  # a warning at most: the list-style params' note
    report = _check(tmp_path, AFFINE.replace("dW = np.dot(self.x.T, dout)", "dW = np.dot(self.x.T, dout)[0, 0, 0]"))
    assert report.bug_codes == ["crashed"]


def test_one_value_per_sample_stored_where_one_per_feature_belongs_is_a_wrong_reduction():
    code, sentence = read_crash(_crash("could not broadcast input array from shape (4,) into shape (3,)"), 4)
    assert code == "wrong-reduction" and "one value per sample" in sentence
    # a time layer's (N*T, H) view: one value per sample and time step
    assert read_crash(_crash("could not broadcast input array from shape (6,) into shape (4,)"), 2)[0] == \
        "wrong-reduction"


def test_shapes_that_say_nothing_about_the_bug_are_left_to_crashed():
    assert read_crash(_crash("could not broadcast input array from shape (2,5) into shape (3,5)"), 4) is None
    assert read_crash(_crash("could not broadcast input array from shape (3,3) into shape (3,3)"), 3) is None
    assert read_crash(_crash("index 3 is out of bounds for axis 0 with size 3"), 4) is None
    assert read_crash(_crash("could not broadcast input array from shape (4,) into shape (4, 3)"), 4) is None
