"""A gradient of the wrong shape often crashes before backward returns it: stored in place (`self.grads[0][...] =
dW`, the textbook's second volume), updated with (`dW += 2 * reg * W`, `self.weights -= lr * dW`) or joined
(`np.hstack((dWz, dWr, dWh))`). The shapes in that crash may name the bug (gradlab.core.crash_reading), and
where they do not, the layer is checked again where its sizes fit by accident (gradlab.cases.where_it_fits):
either way the bug's code comes first and `crashed` stays."""

from __future__ import annotations

import pytest

from gradlab.cases.check_many import check_paths
from gradlab.cases.runner import check_entry
from gradlab.cases.where_it_fits import equal_sizes, where_it_fits
from gradlab.conventions.registry import load_reference
from gradlab.core.crash_reading import read_crash
from gradlab.core.protocol import LayerCrash
from gradlab.core.results import CaseResult, GradientResult

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


def _check(tmp_path, source, name="layers.py"):
    path = tmp_path / name
    path.write_text(source)
    (report,) = check_paths([path], examples=8, seed=0).reports
    return report


def _said(report) -> dict[str, str]:
    """Every line of a failing report by code: the findings' and the failing gradients' sentences."""
    lines = {f.code: f.message for f in report.failing.findings}
    lines.update({g.bug_code: g.diagnosis for g in report.failing.gradients if not g.passed})
    return lines


def test_a_transposed_gradient_stored_in_place_is_named_transposed_with_the_crash_in_the_sentence(tmp_path):
    report = _check(tmp_path, AFFINE.replace("dW = np.dot(self.x.T, dout)", "dW = np.dot(dout.T, self.x)"))
    # the bug first, and the crash as DESIGN.md names a backward that raised
    assert report.verdict == "fail" and report.bug_codes == ["transposed", "crashed"]
    said = _said(report)
    assert "transpose" in said["transposed"] and "could not broadcast" in said["crashed"]


def test_the_same_layer_written_right_passes_and_another_crash_stays_crashed(tmp_path):
    assert _check(tmp_path, AFFINE).verdict != "fail"  # a warning at most: the list-style params' note
    report = _check(tmp_path, AFFINE.replace("dW = np.dot(self.x.T, dout)", "dW = np.dot(self.x.T, dout)[0, 0, 0]"))
    # its forward took the rows, so the sequences (N, T, D), where this index runs and reads as dropped-term, do not
    # explain the crash: it stays crashed, with the line that raised
    assert report.verdict == "fail" and report.bug_codes[0] == "crashed" and report.detected_layout is None
    assert "too many indices" in _said(report)["crashed"]


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


LINEAR_CLASSIFIER = '''
import numpy as np


def softmax_loss_vectorized(W, X, y, reg):
    n = X.shape[0]
    logits = X @ W
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(n), y])) + reg * np.sum(W ** 2)
    p[np.arange(n), y] -= 1
    dW = X.T @ p
    dW /= n
    dW += 2 * reg * W
    return loss, dW
'''

SELF_UPDATING = '''
import numpy as np


class Dense:
    def __init__(self, n_inputs, n_outputs):
        self.weights = 0.1 * np.random.randn(n_inputs, n_outputs)
        self.biases = np.zeros((1, n_outputs))

    def forward(self, inputs):
        self.inputs = inputs
        return inputs @ self.weights + self.biases

    def backward(self, grad, lr):
        grad_w = self.inputs.T @ grad
        grad_in = grad @ self.weights.T
        self.weights -= lr * grad_w
        self.biases -= lr * np.sum(grad, axis=0, keepdims=True)
        return grad_in
'''


def test_a_linear_classifier_whose_dW_is_transposed_is_named_transposed_where_its_shapes_fit(tmp_path):
    assert _check(tmp_path, LINEAR_CLASSIFIER, "softmax.py").verdict != "fail"
    report = _check(tmp_path, LINEAR_CLASSIFIER.replace("dW = X.T @ p", "dW = p.T @ X"), "softmax.py")
    # dW += 2 * reg * W crashes on (C, D) against (D, C); with D == C it runs, and dW is judged
    assert report.bug_codes == ["transposed", "crashed"]
    said = _said(report)
    assert "non-broadcastable" in said["crashed"] and "where the shapes fit by accident (D and C all" in said["crashed"]
    assert report.failing.spec["D"] == report.failing.spec["C"]


def test_a_layer_that_updates_itself_with_a_transposed_weight_gradient_is_named_transposed(tmp_path):
    assert _check(tmp_path, SELF_UPDATING).verdict != "fail"
    report = _check(tmp_path, SELF_UPDATING.replace("grad_w = self.inputs.T @ grad", "grad_w = grad.T @ self.inputs"))
    assert report.bug_codes == ["transposed", "crashed"]
    assert "self.weights -= lr * grad_w" in _said(report)["crashed"]


def test_a_crash_that_stays_where_the_sizes_fit_is_crashed_alone(tmp_path):
    # one row per sample too many: (in + N, out) fits the weights at no sizes, N being never changed
    report = _check(tmp_path, SELF_UPDATING.replace("grad_w = self.inputs.T @ grad",
                                                    "grad_w = np.vstack([self.inputs.T @ grad, grad])"))
    assert report.bug_codes == ["crashed"] and "where the shapes fit" not in _said(report)["crashed"]


ZOO = {name: e for name, e in load_reference().items() if e.module.endswith("zoo_shapes_fit")}


@pytest.mark.sample(by=lambda name: ZOO[name].bug)  # each code's first (a stacked GRU: 18 s each); test_zoo has all
@pytest.mark.parametrize("name", sorted(ZOO))
def test_each_zoo_layer_whose_gradient_fails_on_its_shapes_gets_its_code_first_and_the_shape_failure_after(name):
    entry = ZOO[name]
    report = check_entry(entry, examples=10, seed=0)
    if entry.bug is None:  # the gate-stacking cell written right
        assert report.verdict == "pass"
    else:
        assert report.bug_codes[0] == entry.bug and report.bug_codes[1:] in (["crashed"], ["wrong-shape"])


def test_a_transposed_dW_broadcast_to_a_square_by_the_regularisation_is_named_transposed(tmp_path):
    # written without +=, (C, D) + (D, C) does not crash where D = 1: it returns a (C, C) dW
    source = LINEAR_CLASSIFIER.replace("    dW /= n\n    dW += 2 * reg * W\n", "").replace(
        "dW = X.T @ p", "dW = X.T @ p / n + 2 * reg * W")
    assert _check(tmp_path, source, "softmax.py").verdict != "fail"
    report = _check(tmp_path, source.replace("dW = X.T @ p", "dW = p.T @ X"), "softmax.py")
    assert report.bug_codes == ["transposed", "wrong-shape"]
    assert "where the shapes fit by accident" in _said(report)["wrong-shape"]


def _wrong_shape(given, shape):
    g = GradientResult("dW", shape, given, False, 1.0, bug_code="wrong-shape", diagnosis=f"dW has shape {given}")
    return CaseResult("f", "linear_softmax", "function", {"N": 1, "D": shape[0], "C": shape[1]}, (g,))


def test_only_a_wrong_shape_that_a_transpose_broadcast_makes_is_judged_where_sizes_fit():
    asked = []

    def run(spec):
        asked.append(spec)
        return CaseResult("f", "linear_softmax", "function", spec)  # passes there: the failure stands

    assert where_it_fits(_wrong_shape((2, 2), (1, 2)), run) is None and asked  # (1, 2) + (2, 1): judged
    asked.clear()
    # (3, 3) where (3, 2) belongs is no transpose broadcast: equal sizes would only hide it
    assert where_it_fits(_wrong_shape((3, 3), (3, 2)), run) is None and not asked
    assert where_it_fits(_wrong_shape((1, 1, 2), (1, 2)), run) is None and not asked


def _crash_of(message: str) -> LayerCrash:
    return _crash(message)


def test_an_update_in_place_of_an_array_shaped_as_a_gradients_transpose_reads_transposed():
    shapes = {"x": (1, 1), "W": (1, 2)}
    crash = _crash_of("non-broadcastable output operand with shape (2,1) doesn't match the broadcast shape (2,2)")
    code, sentence = read_crash(crash, 1, shapes)
    assert code == "transposed" and "dW's (1, 2)" in sentence
    # the parameter itself updated (self.weights -= lr * dW): its own shape proves nothing about dW
    assert read_crash(_crash_of("non-broadcastable output operand with shape (1,2) doesn't match the broadcast "
                                "shape (2,2)"), 1, shapes) is None
    # without the gradients' shapes nothing is claimed
    assert read_crash(crash, 1) is None


def test_joins_of_arrays_with_one_axis_more_or_a_single_number_read_their_codes():
    kept = "all the input arrays must have same number of dimensions, but the array at index 0 has 1 dimension(s) " \
           "and the array at index 2 has 2 dimension(s)"
    assert read_crash(_crash_of(kept), 1, {})[0] == "wrong-shape"
    zero = kept.replace("index 2 has 2 dimension(s)", "index 2 has 0 dimension(s)")
    assert read_crash(_crash_of(zero), 1, {})[0] == "wrong-reduction"
    assert read_crash(_crash_of("zero-dimensional arrays cannot be concatenated"), 1, {})[0] == "wrong-reduction"
    # two axes apart says nothing about which sum went wrong
    assert read_crash(_crash_of(kept.replace("index 2 has 2", "index 2 has 3")), 1, {}) is None
    # sizes that differ along a dimension are left to the run where the sizes fit
    assert read_crash(_crash_of("all the input array dimensions except for the concatenation axis must match "
                                "exactly, but along dimension 0, the array at index 0 has size 3 and the array "
                                "at index 2 has size 2"), 1, {}) is None


def test_a_stacked_bias_with_one_block_summed_to_one_value_reads_wrong_reduction():
    # a GRU's (3H,) bias at H=2 given 2 + 2 + 1 values: at N=4 no per-sample reading explains 5
    crash = _crash_of("could not broadcast input array from shape (5,) into shape (6,)")
    code, sentence = read_crash(crash, 4, {"b": (6,)})
    assert code == "wrong-reduction" and "3 blocks of 2" in sentence
    # a destination no gradient has is not read as a stacked bias
    assert read_crash(crash, 4, {"b": (7,)}) is None


def test_equal_sizes_never_change_the_batch_or_the_time_and_leave_geometry_alone():
    square, said = equal_sizes({"N": 2, "D": 1, "C": 2, "reg": 0.0, "seed": 0})
    # n moves off N: a layer written for samples as columns would fit where N equals its features
    assert (square["N"], square["D"], square["C"]) == (2, 3, 3) and said == "D and C all 3"
    square, _ = equal_sizes({"N": 2, "T": 5, "D": 3, "H": 2})
    assert (square["N"], square["T"], square["D"], square["H"]) == (2, 5, 3, 3)
    # nor N * T, the rows of a time layer's (N * T, H) view: a bias stored per row would fit there
    assert equal_sizes({"N": 2, "T": 2, "D": 3, "M": 4})[0]["M"] == 5
    assert equal_sizes({"N": 1, "in_shape": (1,), "out": 3})[0]["in_shape"] == (3,)
    assert equal_sizes({"N": 2, "C": 2, "H": 5, "W": 5, "F": 3, "HH": 3, "WW": 3, "stride": 1, "pad": 1}) is None
    assert equal_sizes({"N": 2, "D": 3, "C": 3}) is None  # equal already: nothing new to learn there
    assert equal_sizes({"N": 2, "in_shape": (2, 3, 3), "out": 4}) is None  # a 4-D input's sizes are geometry


MAXPOOL_DIVMOD = """
import numpy as np

class MaxPool:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.ph, self.pw, self.s = pool_h, pool_w, stride

    def forward(self, x):
        N, C, H, W = x.shape
        oh, ow = (H - self.ph) // self.s + 1, (W - self.pw) // self.s + 1
        self.x, self.arg = x, np.zeros((N, C, oh, ow), dtype=int)
        out = np.zeros((N, C, oh, ow))
        for i in range(oh):
            for j in range(ow):
                win = x[:, :, i * self.s:i * self.s + self.ph, j * self.s:j * self.s + self.pw].reshape(N, C, -1)
                self.arg[:, :, i, j] = win.argmax(axis=2)
                out[:, :, i, j] = win.max(axis=2)
        return out

    def backward(self, dout):
        dx = np.zeros_like(self.x)
        N, C, oh, ow = dout.shape
        for n in range(N):
            for c in range(C):
                for i in range(oh):
                    for j in range(ow):
                        r, q = divmod(self.arg[n, c, i, j], self.ph)  # self.pw belongs: a window is read by rows
                        dx[n, c, i * self.s + r, j * self.s + q] += dout[n, c, i, j]
        return dx
"""


def test_a_layer_that_crashes_on_some_cases_and_is_wrong_on_others_is_said_with_both(tmp_path):
    report = _check(tmp_path, MAXPOOL_DIVMOD, name="pool.py")
    assert report.verdict == "fail" and report.bug_codes[-1] == "crashed" and len(report.bug_codes) >= 2
    said = _said(report)
    assert "where it runs" in said["crashed"] and report.failing.gradients  # the case shown ran
    assert _check(tmp_path, MAXPOOL_DIVMOD.replace("self.ph)  #", "self.pw)  #"), name="pool.py").verdict == "pass"
