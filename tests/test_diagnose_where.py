"""Where and at what a gradient was computed (issue 14): `wrong-input`, `misrouted`, `missing-mask`, and a
softmax over the batch axis as `couples-samples`.

The layers here are written independently of the zoo (other phrasings of the same mistakes), so they
test the diagnosis and not the zoo's wording; correct layers written the same ways pass, and neighbouring
bugs keep their own codes (a hypothesis that always answered yes would fail those)."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab import check_entry, entry_for
from gradlab.core.diagnose import diagnose_shape, diagnose_values

EXAMPLES = 25


def _codes(layer, backward=None, **kw):
    report = check_entry(entry_for(layer, backward, **kw), examples=EXAMPLES, seed=0)
    return report.bug_codes, report


# --- one-bug layers, written apart from the zoo ---------------------------------------------------

class TanhUsesInputSquared:
    def forward(self, x):
        self.x = x
        return np.tanh(x)

    def backward(self, dout):
        return dout * (1 - np.square(self.x))


class SigmoidPolynomialInInput:
    def forward(self, x):
        self.inp = x
        return 1 / (1 + np.exp(-x))

    def backward(self, dout):
        return dout * (self.inp - self.inp ** 2)


class TanhDerivativeOfTheOutput:
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout / np.cosh(self.y) ** 2


def sigmoid_forward(x):
    return 1 / (1 + np.exp(-x)), x


def sigmoid_backward(dout, cache):
    out = cache
    return out * (1 - out) * dout


class ReluPassesTheNegatives:
    def forward(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, dout):
        return np.where(self.x > 0, 0.0, dout)


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    Ho, Wo = (H - ph) // s + 1, (W - pw) // s + 1
    out = np.empty((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += dout[:, :, i, j][:, :, None, None] / (ph * pw)
    return dx


class Dropout:
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio

    def forward(self, x, train_flg=True):
        self.mask = np.random.rand(*x.shape) > self.dropout_ratio
        return x * self.mask

    def backward(self, dout):
        return dout


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout.copy()


class SoftmaxNormalisedOverSamples:
    def forward(self, x):
        e = np.exp(x - x.max())
        self.y = e / e.sum(axis=0, keepdims=True)
        return self.y

    def backward(self, dout):
        return self.y * (dout - (dout * self.y).sum(axis=-1, keepdims=True))


def softmax_loss(x, y):
    N = x.shape[0]
    p = np.exp(x - np.max(x, axis=0, keepdims=True))
    p /= np.sum(p, axis=0, keepdims=True)
    loss = -np.sum(np.log(p[np.arange(N), y])) / N
    dx = p.copy()
    dx[np.arange(N), y] -= 1
    return loss, dx / N


class BatchNormDgammaFromInput:
    def __init__(self, gamma, beta):
        self.gamma, self.beta = gamma, beta

    def forward(self, x, train_flg=True):
        self.x = x
        self.xc = x - x.mean(axis=0)
        self.std = np.sqrt((self.xc ** 2).mean(axis=0) + 1e-7)
        self.xn = self.xc / self.std
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        N = dout.shape[0]
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.x * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dxc += (2.0 / N) * self.xc * (0.5 * dstd / self.std)
        return dxc - np.sum(dxc, axis=0) / N


def batchnorm_forward(x, gamma, beta, bn_param):
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    return gamma * xhat + beta, (xhat, gamma, var)


def batchnorm_backward(dout, cache):
    xhat, gamma, var = cache
    N = dout.shape[0]
    dxhat = dout * gamma
    dx = (N * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (N * np.sqrt(var + 1e-5))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


ONE_BUG = [
    pytest.param((TanhUsesInputSquared,), {"kind": "tanh"}, "wrong-input", id="tanh 1 - x**2"),
    pytest.param((SigmoidPolynomialInInput,), {"kind": "sigmoid"}, "wrong-input", id="sigmoid x - x**2"),
    pytest.param((TanhDerivativeOfTheOutput,), {"kind": "tanh"}, "wrong-input", id="tanh sech(y)**2"),
    pytest.param((sigmoid_forward, sigmoid_backward), {}, "wrong-input", id="sigmoid cache x as s"),
    pytest.param((ReluPassesTheNegatives,), {"kind": "relu"}, "misrouted", id="relu where(x > 0, 0, dout)"),
    pytest.param((max_pool_forward_naive, max_pool_backward_naive), {}, "misrouted", id="max pool spread as mean"),
    pytest.param((Dropout,), {}, "missing-mask", id="textbook dropout dx = dout"),
    pytest.param((relu_forward, relu_backward), {}, "missing-mask", id="relu dx = dout"),
    pytest.param((SoftmaxNormalisedOverSamples,), {"kind": "softmax"}, "couples-samples", id="softmax over axis 0"),
    pytest.param((softmax_loss,), {}, "couples-samples", id="softmax loss over axis 0"),
    pytest.param((BatchNormDgammaFromInput,), {"kind": "batchnorm"}, "wrong-input", id="batchnorm dgamma from x"),
    pytest.param((batchnorm_forward, batchnorm_backward), {}, "couples-samples", id="batchnorm over axis 1"),
]


@pytest.mark.parametrize("layer, kw, code", ONE_BUG)
def test_an_independently_written_one_bug_layer_gets_its_code_first(layer, kw, code):
    codes, report = _codes(*layer, **kw)
    assert codes[:1] == [code], (codes, report.failing and [g.diagnosis for g in report.failing.gradients])


def test_the_sentence_of_a_misrouted_gradient_says_where_it_went():
    _, report = _codes(ReluPassesTheNegatives, kind="relu")
    sentence = next(g.diagnosis for g in report.failing.gradients if g.bug_code == "misrouted")
    assert "must get none (at [" in sentence


# --- correct layers, and neighbouring bugs, keep their verdicts ------------------------------------

class TanhRight:
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout * (1 - self.y ** 2)


class TanhTwiceTooLarge(TanhRight):
    def backward(self, dout):
        return 2 * dout * (1 - self.y ** 2)


class ReluRight:
    def forward(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, dout):
        return dout * (self.x > 0)


class DropoutForgetsTheKeepScale:
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio

    def forward(self, x, train_flg=True):
        self.mask = np.random.rand(*x.shape) > self.dropout_ratio
        return x * self.mask / (1 - self.dropout_ratio)

    def backward(self, dout):
        return dout * self.mask


@pytest.mark.parametrize("layer, kind", [(TanhRight, "tanh"), (ReluRight, "relu")], ids=["tanh", "relu"])
def test_a_correct_layer_written_the_same_way_passes(layer, kind):
    codes, report = _codes(layer, kind=kind)
    assert report.verdict != "fail", codes


@pytest.mark.parametrize("layer, kind, code", [
    (TanhTwiceTooLarge, "tanh", "scaled"),
    (DropoutForgetsTheKeepScale, "dropout", "scaled"),
], ids=["a stray factor is not a wrong input", "a forgotten scale is not a missing mask"])
def test_a_neighbouring_bug_keeps_its_own_code(layer, kind, code):
    codes, _ = _codes(layer, kind=kind)
    assert codes[:1] == [code]


# --- the same rules on arrays alone (no layer to ask) ----------------------------------------------

RNG = np.random.default_rng(3)
G = RNG.standard_normal((4, 5))
MASK = RNG.random((4, 5)) > 0.4


def _ok(a, n):
    return np.abs(a - n) <= 1e-7 + 1e-4 * np.abs(n)


def test_the_upstream_gradient_let_through_everywhere_is_a_missing_mask():
    n = G * MASK
    assert diagnose_values("dx", G.copy(), n, _ok(G, n), 4, upstream=G).code == "missing-mask"


def test_gradient_only_where_the_mask_is_off_is_misrouted():
    n, a = G * MASK, G * ~MASK
    assert diagnose_values("dx", a, n, _ok(a, n), 4, upstream=G).code == "misrouted"


def test_the_right_values_moved_to_positions_that_get_none_are_misrouted_not_transposed():
    n = np.zeros((2, 6))
    n[:, 1::3] = G[:2, :2]  # one winner per window of three
    a = np.zeros_like(n)
    a[:, 0::3] = G[:2, :2]  # sent to each window's first element
    assert diagnose_values("dx", a, n, _ok(a, n), 2, upstream=G[:2, :2]).code == "misrouted"


def test_dout_itself_at_n_1_is_not_called_a_reduction_over_the_batch_axis():
    g = G[:1]
    n = 0.5 * g + 0.1 * RNG.standard_normal(g.shape)
    assert diagnose_values("dx", g.copy(), n, _ok(g, n), 1, upstream=g).code != "wrong-reduction"


def test_a_sum_that_kept_its_axis_is_told_to_drop_it():
    d = diagnose_shape("dgamma", G.sum(axis=0, keepdims=True), G.sum(axis=0), 4, upstream=G)
    assert d.code == "wrong-shape" and "drop the kept axis" in d.sentence


def test_a_gradient_that_never_summed_over_the_batch_is_still_a_wrong_reduction():
    d = diagnose_shape("db", G.copy(), G.sum(axis=0), 4, upstream=G)
    assert d.code == "wrong-reduction" and "batch axis" in d.sentence


def test_an_empty_dx_is_told_that_its_slice_is_empty_at_pad_0():
    d = diagnose_shape("dx", np.zeros((2, 3, 0, 0)), np.ones((2, 3, 4, 4)), 2)
    assert d.code == "wrong-shape" and "empty when pad=0" in d.sentence


class _SigmoidWithReluBackward:
    """Native protocol: a sigmoid whose backward is ReLU's (the zoo's `mismatch`)."""

    params: dict = {}

    def forward(self, x, t=None):
        self.x = x
        return 1 / (1 + np.exp(-x))

    def backward(self, dout):
        return dout * (self.x > 0), {}


def test_a_saturated_output_is_not_a_position_due_no_gradient():
    from gradlab.core.evidence import Evidence

    layer = _SigmoidWithReluBackward()
    x = np.array([[60.0, -1.0, 0.5, 45.0]])  # sigmoid'(60) underflows: the true dx is 0 there, yet nothing routes
    y0 = layer.forward(x)
    g = RNG.standard_normal(x.shape)
    n = g * y0 * (1 - y0)
    a = layer.backward(g)[0]
    same = lambda v: v  # noqa: E731
    ev = Evidence(layer, "x", x, x, None, y0, 1e-5 * np.ones_like(x), lambda k, d: layer.forward(x))
    ev = ev.seen(g, same, same, n)
    assert diagnose_values("dx", a, n, _ok(a, n), 1, upstream=g, evidence=ev).code not in ("misrouted", "missing-mask")


def test_a_backward_that_returns_none_for_dx_crashed():
    class SigmoidWithoutReturn:
        def forward(self, x):
            self.out = 1 / (1 + np.exp(-x))
            return self.out

        def backward(self, dout):
            dx = dout * self.out * (1 - self.out)  # noqa: F841  (the return statement is missing)

    codes, report = _codes(SigmoidWithoutReturn, kind="sigmoid")
    assert codes == ["crashed"]
    assert "return statement" in report.failing.gradients[0].diagnosis


class ReluLocalDerivativeOnly:
    def forward(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, dout):
        return (self.x > 0).astype(float)


class BatchNormStoresSwapped(BatchNormDgammaFromInput):
    def backward(self, dout):
        N = dout.shape[0]
        self.dgamma, self.dbeta = dout.sum(axis=0), np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        return (N * dxn - dxn.sum(axis=0) - self.xn * np.sum(dxn * self.xn, axis=0)) / (N * self.std)


@pytest.mark.parametrize("layer, kind, code, words", [
    # the chain rule's factor dout dropped: a factor of the product missing, as learners name it
    (ReluLocalDerivativeOnly, "relu", "dropped-term", "the local derivative alone"),
    (BatchNormStoresSwapped, "batchnorm", "mismatch", "holds dbeta"),
], ids=["dout never multiplied in", "dgamma and dbeta swapped"])
def test_a_wrong_gradient_that_a_closer_look_explains_says_what_it_is(layer, kind, code, words):
    codes, report = _codes(layer, kind=kind)
    assert codes[:1] == [code]
    assert any(words in g.diagnosis for g in report.failing.gradients if not g.passed)


def test_a_dropped_branch_near_zero_is_not_a_derivative_taken_at_the_output():
    """At inputs near 0, swish'(y) and sigmoid(x) agree to 1e-4: close, but not the error itself."""
    from gradlab.cases.runner import run_case
    from gradlab.conventions.registry import load_reference

    entry = next(e for e in load_reference().values() if e.name == "SwishDropsProductBranch")
    result = run_case(entry, {"N": 5, "shape": (4,), "scale": 0.01, "seed": 62})
    assert result.failed and "wrong-input" not in result.bug_codes
