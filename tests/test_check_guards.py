"""Guards found by mutation testing: each test here fails when one specific safeguard of gradlab is
removed or weakened (a factor code confirmed on a larger batch, a rebound `params` entry recorded,
feature sizes that differ, a tight tolerance). Layers are written inline, in the course conventions.

Only the public API is used, so these tests survive a restructuring of the package.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gradlab import check_entry, entry_for
from gradlab.cases.strategies import distinct_sizes, specs
from gradlab.core.results import FAIL, PASS
from gradlab.kinds import KINDS, build_case

SEEDS = (0, 3, 11)


class Affine:
    """A correct textbook Affine that flattens (N, C, H, W) input to (N, D)."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.x_shape)


class SoftmaxWithLoss:
    """A correct textbook SoftmaxWithLoss (one-hot or index labels): mean loss, mean gradient."""

    def forward(self, x, t):
        self.t = t.argmax(axis=1) if t.ndim == 2 else t
        z = x - x.max(axis=1, keepdims=True)
        log_y = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # finite for logits of any size
        self.y = np.exp(log_y)
        return -log_y[np.arange(x.shape[0]), self.t].mean()

    def backward(self, dout=1):
        N = self.y.shape[0]
        dx = self.y.copy()
        dx[np.arange(N), self.t] -= 1
        return dout * dx / N


def _check(layer, *, kind=None, examples=20, seed=0, mode="auto"):
    return check_entry(entry_for(layer, kind=kind), examples=examples, seed=seed, mode=mode)


# --- 1. a factor seen at N=2 is confirmed on a larger batch ---------------------------------------
# A layer with its own single-sample path is right at N=1, so hypothesis shrinks its failure to N=2,
# where a factor 2 reads both as "N" and as the constant 2 (and 1/2 as "1/N" and as 1/2).


class AffineDoublesDwForBatches(Affine):
    """Right for one sample; for a batch dW is twice too large: a constant 2, whatever N is."""

    def backward(self, dout):
        dx = super().backward(dout)
        if dout.shape[0] > 1:
            self.dW = 2 * self.dW
        return dx


class AffineHalvesDwForBatches(Affine):
    """Right for one sample; for a batch dW is half the true one: a constant 1/2, whatever N is."""

    def backward(self, dout):
        dx = super().backward(dout)
        if dout.shape[0] > 1:
            self.dW = self.dW / 2
        return dx


class SoftmaxWithLossForgetsMean(SoftmaxWithLoss):
    """Averages the loss but returns the gradient of the sum: N times too large."""

    def backward(self, dout=1):
        return super().backward(dout) * self.y.shape[0]


class SoftmaxWithLossDividesTwice(SoftmaxWithLoss):
    """Averages the loss and divides the gradient by N twice: N times too small."""

    def backward(self, dout=1):
        return super().backward(dout) / self.y.shape[0]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("layer", [AffineDoublesDwForBatches, AffineHalvesDwForBatches],
                         ids=["twice", "half"])
def test_a_constant_factor_that_first_fails_at_N_2_is_reported_as_scaled_not_as_a_batch_mean(layer, seed):
    report = _check(layer, kind="affine", seed=seed)
    # the ambiguous case was reached: the smallest failure is N=2 and N=1 passes
    assert report.smallest_failing.startswith("N=2,") and report.passes_with == "N=1"
    assert report.verdict == FAIL and report.bug_codes == ["scaled"]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("layer, code", [(SoftmaxWithLossForgetsMean, "missing-batch-mean"),
                                         (SoftmaxWithLossDividesTwice, "extra-batch-mean")],
                         ids=["missing-mean", "extra-mean"])
def test_a_factor_of_N_that_first_fails_at_N_2_keeps_its_batch_mean_code(layer, code, seed):
    report = _check(layer, kind="softmax_with_loss", seed=seed)
    assert report.smallest_failing.startswith("N=2,") and report.passes_with == "N=1"
    assert report.verdict == FAIL and report.bug_codes == [code]


# --- 2. a parameter rebound in a `params` dict is a stale parameter ----------------------------------


class DictAffine:
    """A correct Affine keeping its parameters and gradients in a params/grads dict pair."""

    def __init__(self, W, b):
        self.params = {"W": W, "b": b}
        self.grads = {}

    def forward(self, x):
        self.x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        self.grads["W"] = self.x.T @ dout
        self.grads["b"] = dout.sum(axis=0)
        return (dout @ self.params["W"].T).reshape(self.x_shape)


class DictAffineUpdatesInBackward(DictAffine):
    """Right gradients, but backward also takes an SGD step by binding params['W'] to a new array."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.params["W"] = self.params["W"] - 0.1 * self.grads["W"]
        return dx


def test_a_layer_with_a_params_and_grads_dict_pair_passes():
    report = _check(DictAffine, kind="affine")
    assert report.verdict == PASS and report.bug_codes == []
    assert {"dx", "dW", "db"} <= set(report.worst)


def test_a_backward_that_rebinds_a_weight_in_its_params_dict_is_reported_as_stale_parameters():
    report = _check(DictAffineUpdatesInBackward, kind="affine")
    assert report.verdict == FAIL
    assert "stale-parameters" in report.bug_codes


# --- 3. feature sizes differ, so no weight matrix is square by accident -------------------------------


@given(st.data())
def test_distinct_sizes_never_draws_the_same_size_twice(data):
    count = data.draw(st.integers(1, 4))
    low = data.draw(st.integers(1, 3))
    high = data.draw(st.integers(low + count - 1, low + 6))
    sizes = data.draw(distinct_sizes(count, low=low, high=high))
    assert len(sizes) == count and len(set(sizes)) == count
    assert all(low <= s <= high for s in sizes)


@given(specs("affine", flat_input=True))
def test_every_drawn_2d_affine_case_has_a_non_square_weight_matrix(spec):
    (D,) = spec["in_shape"]
    assert D != spec["out"]


@settings(max_examples=300, derandomize=True, database=None)
@given(specs("affine"))
def test_every_drawn_affine_case_has_a_non_square_weight_matrix_even_with_4d_input(spec):
    assert int(np.prod(spec["in_shape"])) != spec["out"]


@given(specs("conv"))
def test_every_drawn_conv_case_has_different_channel_and_filter_counts(spec):
    assert spec["C"] != spec["F"]


class AffineRightOnlyForSquareW(Affine):
    """dW as (dout.T @ x) reshaped to W's shape, then transposed: equal to x.T @ dout only when D == M."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = (dout.T @ self.x).reshape(self.W.shape).T
        return dx


@given(specs("affine", flat_input=True))
def test_every_drawn_affine_case_exposes_a_dw_that_is_right_only_for_square_weights(spec):
    case = build_case(KINDS["affine"], spec)
    layer = AffineRightOnlyForSquareW(case.params["W"].copy(), case.params["b"].copy())
    layer.forward(case.x.copy())
    dout = np.random.default_rng(0).standard_normal((spec["N"], spec["out"]))
    layer.backward(dout)
    true_dW = case.x.reshape(spec["N"], -1).T @ dout
    assert layer.dW.shape != true_dW.shape or not np.allclose(layer.dW, true_dW)


@pytest.mark.parametrize("seed", SEEDS)
def test_an_affine_whose_dw_is_right_only_for_square_weights_fails(seed):
    report = _check(AffineRightOnlyForSquareW, kind="affine", seed=seed)
    assert report.verdict == FAIL and report.bug_codes == ["transposed"]
    assert not report.worst["dW"].passed


# --- 4. the tolerance stays tight: a gradient 1% or 0.5% off fails in full mode ----------------------


class AffineDwOnePercentLarge(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = self.dW * 1.01
        return dx


class Sigmoid:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class SigmoidDxHalfPercentOff(Sigmoid):
    def backward(self, dout):
        return super().backward(dout) * 1.005


@pytest.mark.parametrize("layer, gradient", [(AffineDwOnePercentLarge, "dW"), (SigmoidDxHalfPercentOff, "dx")],
                         ids=["affine-dW-1%", "sigmoid-dx-0.5%"])
def test_a_gradient_off_by_a_fraction_of_a_percent_fails_in_full_mode(layer, gradient):
    kind = "affine" if layer is AffineDwOnePercentLarge else "sigmoid"
    report = _check(layer, kind=kind, mode="full")
    assert report.verdict == FAIL and report.bug_codes == ["scaled"]
    failed = report.worst[gradient]
    assert not failed.passed and failed.method == "elementwise"


@pytest.mark.parametrize("layer, kind", [(Affine, "affine"), (Sigmoid, "sigmoid"), (SoftmaxWithLoss, None)],
                         ids=["affine", "sigmoid", "softmax-with-loss"])
def test_a_correct_layer_passes_in_full_mode(layer, kind):
    report = _check(layer, kind=kind, mode="full")
    assert report.verdict == PASS and report.bug_codes == []
    assert report.worst and all(g.passed and g.method == "elementwise" for g in report.worst.values())
