"""A parameter used untransposed in backward (issue 10): `dx = dout @ W` where `dout @ W.T` belongs.

Where W is square (an RNN's Wh), or made square by the where-it-fits retry of a layer that crashed on its shapes,
the layer is asked: with W's values transposed after the forward, does backward return the true dx? Where the
shapes never fit, numpy's refusal names both operands, one with W's shape. Either way the code is `transposed`
(`crashed` after it where the layer crashed). Near misses keep their codes: the same layers written right pass,
a dW computed transposed stays `transposed` by its values, a bias summed over all axes stays `wrong-reduction`,
and an antisymmetric error at one sample is no longer fitted as a reduction."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.cases.check_many import check_paths
from gradlab.core.crash_reading import read_crash
from gradlab.core.diagnose_where import upstream_summed_elsewhere
from gradlab.core.evidence import Evidence
from gradlab.core.protocol import LayerCrash

PARAMS_LIST = '''
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
        self.grads[0][...] = np.dot(self.x.T, dout)
        self.grads[1][...] = np.sum(dout, axis=0)
        return dx
'''

FUNCTIONS = '''
import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    dt = dnext_h * (1 - next_h ** 2)
    dx = dt @ Wx.T
    dprev_h = dt @ Wh.T
    dWx = x.T @ dt
    dWh = prev_h.T @ dt
    db = dt.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db
'''


def _reports(tmp_path, source, name="layers.py"):
    path = tmp_path / name
    path.write_text(source)
    return {r.name: r for r in check_paths([path], examples=8, seed=0).reports}


def _said(report) -> dict[str, str]:
    lines = {f.code: f.message for f in report.failing.findings}
    lines.update({g.bug_code: g.diagnosis for g in report.failing.gradients if not g.passed})
    return lines


def test_the_layers_written_right_pass_with_their_square_parameters(tmp_path):
    assert _reports(tmp_path, PARAMS_LIST)["Affine"].verdict != "fail"  # a warning at most: list-style params
    reports = _reports(tmp_path, FUNCTIONS)
    assert {name: r.verdict for name, r in reports.items()} == {"affine": "pass", "rnn_step": "pass"}


def test_a_class_layer_whose_dx_uses_W_untransposed_is_transposed_then_crashed(tmp_path):
    report = _reports(tmp_path, PARAMS_LIST.replace("np.dot(dout, W.T)", "np.dot(dout, W)"))["Affine"]
    assert report.bug_codes == ["transposed", "crashed"]
    assert "dx uses params[0] where params[0].T belongs" in _said(report)["transposed"]


def test_a_function_style_dx_with_w_untransposed_is_transposed_then_crashed(tmp_path):
    report = _reports(tmp_path, FUNCTIONS.replace("dout @ w.T", "dout @ w"))["affine"]
    assert report.bug_codes == ["transposed", "crashed"]
    assert any("uses w where w.T belongs" in g.diagnosis for g in report.failing.gradients if not g.passed)


def test_a_square_recurrent_weight_used_untransposed_is_transposed_without_any_crash(tmp_path):
    report = _reports(tmp_path, FUNCTIONS.replace("dt @ Wh.T", "dt @ Wh"))["rnn_step"]
    assert report.bug_codes == ["transposed"]
    assert "dprev_h uses Wh where Wh.T belongs" in _said(report)["transposed"]


def test_a_dW_computed_transposed_stays_transposed_by_its_values_and_a_bias_summed_over_all_stays_a_reduction(
        tmp_path):
    report = _reports(tmp_path, FUNCTIONS.replace("prev_h.T @ dt", "dt.T @ prev_h"))["rnn_step"]
    assert report.bug_codes == ["transposed"]
    assert "uses" not in _said(report)["transposed"]  # named by its values, not by the parameter hypothesis
    report = _reports(tmp_path, FUNCTIONS.replace("db = dout.sum(axis=0)", "db = dout.sum()"))["affine"]
    assert report.bug_codes == ["wrong-reduction"]


def _backward_crash(message: str, call: str = "affine_backward") -> LayerCrash:
    try:
        raise ValueError(message)
    except ValueError as exc:
        crash = LayerCrash(call, f"raised ValueError: {exc}")
        crash.__cause__ = exc
        return crash


SHAPES = {"x": (1, 8), "Wx": (8, 12), "Wh": (3, 12), "b": (12,)}


@pytest.mark.parametrize("message", [
    "shapes (1,12) and (8,12) not aligned: 12 (dim 1) != 8 (dim 0)",
    "matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature (n?,k),(k,m?)->(n?,m?) "
    "(size 8 is different from 12)",
])
def test_a_product_refused_on_a_parameter_that_would_fit_transposed_is_read_as_transposed(message):
    code, sentence = read_crash(_backward_crash(message), 1, SHAPES)
    assert code == "transposed" and "uses Wx where Wx.T belongs" in sentence


@pytest.mark.parametrize("message, call", [
    ("shapes (1,12) and (8,12) not aligned: 12 (dim 1) != 8 (dim 0)", "affine_forward"),  # forward's own bug
    ("shapes (1,8) and (1,12) not aligned: 8 (dim 1) != 1 (dim 0)", "affine_backward"),  # no parameter's shape
    ("shapes (1,5) and (8,12) not aligned: 5 (dim 1) != 8 (dim 0)", "affine_backward"),  # transposed fits neither
])
def test_a_product_refused_otherwise_is_left_to_crashed(message, call):
    assert read_crash(_backward_crash(message, call), 1, SHAPES) is None


class _Antisymmetric:
    """dx = dout @ (W - W.T): the error of a dx computed with W where W.T belongs, at one sample."""

    params: dict = {}

    def __init__(self, W):
        self.W = W

    def forward(self, x, t=None):
        return x @ self.W

    def backward(self, dout):
        return dout @ self.W, {}


def test_an_antisymmetric_error_at_one_sample_is_not_fitted_as_a_reduction():
    W = np.array([[0.3, -1.2], [0.7, 0.4]])
    x, G = np.array([[0.5, -0.8]]), np.array([[1.1, 0.6]])
    layer = _Antisymmetric(W)
    y0 = layer.forward(x)

    def evaluate_at(k: int, h: float) -> np.ndarray:
        moved = x.copy()
        moved.flat[k] += h
        return layer.forward(moved)

    ev = Evidence(layer, "x", x, x, None, y0, np.full(x.shape, 1e-5), evaluate_at).seen(G, lambda a: a, lambda a: a)
    assert upstream_summed_elsewhere("dx", ev) is None
