"""Codes that said the wrong thing on real code (issue 14), each reproduced with a layer written here.

- a backward a fraction of a percent off everywhere (GELU's tanh approximation in the derivative of its
  exact erf form) was `scaled: dx is 1 times the true gradient`: a factor of 1 is no scale;
- a product summed over the wrong axis, whose shape then differs (an attention WeightSum's da summed
  over T instead of H) was `wrong-shape`; it is `wrong-reduction`;
- batch norm's closed form with np.sum(dout) where np.sum(dout, axis=0) belongs was a dropped
  projection (`dropped-term`); it is `wrong-reduction`, told apart from a dropped mean path;
- a function-style backward with no return statement said "returned 1 value(s), expected 3".
Each test has a neighbour that must keep its own code, so that a rule answering yes to everything fails.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab import check_entry, entry_for

EXAMPLES = 25
_erf = np.vectorize(math.erf)


def _report(layer, backward=None, **kw):
    return check_entry(entry_for(layer, backward, **kw), examples=EXAMPLES, seed=0)


def _failing(report, name):
    assert report.failing is not None, report.verdict
    return next(g for g in report.failing.gradients if g.name == name and not g.passed)


# --- a formula a little off everywhere is not a scale ----------------------------------------------

class GeluExactWithTanhDerivative:
    def forward(self, x):
        self.x = x
        return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))

    def backward(self, dout):
        x = self.x
        cdf = 0.5 * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
        return dout * (cdf + x * np.exp(-0.5 * x ** 2) / math.sqrt(2.0 * math.pi))


class GeluSlopeTwoPercentHigh:
    def forward(self, x):
        self.x = x
        return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))

    def backward(self, dout):
        x = self.x
        cdf = 0.5 * (1.0 + _erf(x / math.sqrt(2.0)))
        return 1.02 * dout * (cdf + x * np.exp(-0.5 * x ** 2) / math.sqrt(2.0 * math.pi))


def test_a_gelu_derivative_mixing_the_tanh_approximation_is_a_mismatch_not_a_factor_of_one():
    report = _report(GeluExactWithTanhDerivative, kind="gelu")
    assert report.bug_codes == ["mismatch"]
    dx = _failing(report, "dx")
    assert "1 times" not in dx.diagnosis and "slightly different" in dx.diagnosis


def test_a_gelu_derivative_two_percent_high_is_still_scaled_and_says_its_factor():
    report = _report(GeluSlopeTwoPercentHigh, kind="gelu")
    assert report.bug_codes == ["scaled"]
    assert "1.02 times" in _failing(report, "dx").diagnosis


# --- a product summed over the wrong axis -----------------------------------------------------------

class WeightSumDaOverTime:
    def forward(self, hs, a):
        self.hs, self.a = hs, a
        return np.sum(hs * a[:, :, None], axis=1)

    def backward(self, dc):
        dhs = dc[:, None, :] * self.a[:, :, None]
        return dhs, np.sum(dc[:, None, :] * self.hs, axis=1)


class WeightSumDaKeptWhole:
    def forward(self, hs, a):
        self.hs, self.a = hs, a
        return np.sum(hs * a[:, :, None], axis=1)

    def backward(self, dc):
        dhs = dc[:, None, :] * self.a[:, :, None]
        return dhs, dc[:, None, :] * self.hs  # not summed at all: axes kept, a different story


def test_an_attention_da_summed_over_time_instead_of_features_is_a_wrong_reduction_naming_both_axes():
    report = _report(WeightSumDaOverTime, kind="weight_sum")
    assert report.bug_codes == ["wrong-reduction"]
    da = _failing(report, "da")
    assert "summed over axes (1,)" in da.diagnosis and "over axes (2,)" in da.diagnosis


def test_an_attention_da_not_summed_at_all_is_not_said_to_be_summed_over_the_wrong_axis():
    da = _failing(_report(WeightSumDaKeptWhole, kind="weight_sum"), "da")
    assert da.bug_code == "wrong-reduction" and "where the true da sums it" not in da.diagnosis


# --- batch norm's closed form with the wrong sum ----------------------------------------------------

def batchnorm_forward(x, gamma, beta, bn_param):
    mu, var = x.mean(axis=0), x.var(axis=0)
    std = np.sqrt(var + bn_param.get("eps", 1e-5))
    xhat = (x - mu) / std
    return gamma * xhat + beta, (xhat, gamma, std)


def _closed_form(sum_dout):
    def batchnorm_backward_alt(dout, cache):
        xhat, gamma, std = cache
        N = dout.shape[0]
        dx = gamma / (N * std) * (N * dout - sum_dout(dout) - xhat * np.sum(dout * xhat, axis=0))
        return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)
    return batchnorm_backward_alt


def test_a_batchnorm_mean_path_summed_over_all_axes_is_a_wrong_reduction():
    report = _report(batchnorm_forward, _closed_form(np.sum), kind="batchnorm")
    assert report.bug_codes == ["wrong-reduction"]
    assert "np.sum(dout, axis=0)" in _failing(report, "dx").diagnosis


def test_a_batchnorm_mean_path_left_out_is_still_a_dropped_term():
    report = _report(batchnorm_forward, _closed_form(lambda dout: 0.0), kind="batchnorm")
    assert report.bug_codes == ["dropped-term"]


def test_the_correct_closed_form_passes():
    report = _report(batchnorm_forward, _closed_form(lambda dout: np.sum(dout, axis=0)), kind="batchnorm")
    assert report.verdict in ("pass", "warn")


# --- a missing return statement ---------------------------------------------------------------------

def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)  # noqa: F841 (the student's mistake: nothing is returned)


def test_a_function_backward_without_return_is_crashed_and_says_the_return_is_missing():
    report = _report(affine_forward, affine_backward, kind="affine")
    assert report.bug_codes == ["crashed"]
    text = " ".join(f.message for f in report.failing.findings)
    assert "returned None (is its return statement missing?)" in text and "dx, dw, db" in text


# --- found on fresh one-bug layers: a constant equal to N, a dropped outer product -------------------

class AvgPoolWithoutWindowShare:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.ph, self.pw, self.stride = pool_h, pool_w, stride

    def forward(self, x):
        self.shape = x.shape
        N, C, H, W = x.shape
        oh, ow = (H - self.ph) // self.stride + 1, (W - self.pw) // self.stride + 1
        out = np.zeros((N, C, oh, ow))
        for i in range(oh):
            for j in range(ow):
                r, c = i * self.stride, j * self.stride
                out[:, :, i, j] = x[:, :, r:r + self.ph, c:c + self.pw].mean(axis=(2, 3))
        return out

    def backward(self, dout):
        dx = np.zeros(self.shape)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                r, c = i * self.stride, j * self.stride
                dx[:, :, r:r + self.ph, c:c + self.pw] += dout[:, :, i, j][:, :, None, None]
        return dx


class LogSoftmaxLossWithoutMean:
    def forward(self, x, t):
        z = x - x.max(axis=1, keepdims=True)
        self.logp, self.t = z - np.log(np.exp(z).sum(axis=1, keepdims=True)), t
        return -self.logp[np.arange(len(t)), t].mean()

    def backward(self, dout=1.0):
        g = np.exp(self.logp)
        g[np.arange(len(self.t)), self.t] -= 1.0
        return dout * g


def test_a_pooling_window_area_equal_to_the_batch_size_is_scaled_not_a_missing_batch_mean():
    # a 2x2 window's 4 equals N on the batch of 4 the runner confirms on: the factor stays when N doubles
    report = _report(AvgPoolWithoutWindowShare, kind="avg_pool")
    assert report.bug_codes == ["scaled"]


def test_a_loss_without_its_batch_mean_is_still_a_missing_batch_mean():
    report = _report(LogSoftmaxLossWithoutMean, kind="softmax_with_loss")
    assert report.bug_codes == ["missing-batch-mean"]


class SoftmaxDiagonalOnly:
    def forward(self, x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        self.y = e / e.sum(axis=-1, keepdims=True)
        return self.y

    def backward(self, dout):
        return self.y * dout


class SigmoidWithoutOneMinusY:
    def forward(self, x):
        self.y = 1.0 / (1.0 + np.exp(-x))
        return self.y

    def backward(self, dout):
        return dout * self.y


def test_a_softmax_that_keeps_only_the_jacobians_diagonal_is_a_dropped_term():
    report = _report(SoftmaxDiagonalOnly, kind="softmax")
    assert report.bug_codes == ["dropped-term"]
    assert "a multiple of the output y" in _failing(report, "dx").diagnosis


def test_a_factor_missing_from_every_element_is_a_factor_left_out_not_a_dropped_term_along_the_output():
    # sigmoid's derivative is the product out * (1 - out): leaving one factor out is dropped-term (issue 14, the
    # seventh held-out set), said as the factor it is, not as a term along the output
    report = _report(SigmoidWithoutOneMinusY, kind="sigmoid")
    assert report.bug_codes == ["dropped-term"]
    assert "one factor of its product left out" in _failing(report, "dx").diagnosis
    assert "a multiple of the output y" not in _failing(report, "dx").diagnosis


def temporal_affine_forward(x, w, b):
    N, T, D = x.shape
    return (x.reshape(N * T, D) @ w + b).reshape(N, T, -1), (x, w)


def temporal_affine_backward(dout, cache):
    x, w = cache
    N, T, D = x.shape
    flat = dout.reshape(N * T, -1)
    return (flat @ w.T).reshape(N, T, D), x.reshape(N * T, D).T @ flat, dout.sum(axis=0)


def test_a_bias_left_with_its_time_axis_is_not_told_it_still_has_the_batch_axis():
    db = _failing(_report(temporal_affine_forward, temporal_affine_backward, kind="temporal_affine"), "db")
    assert db.bug_code == "wrong-reduction"
    assert "batch axis;" not in db.diagnosis and "still has axis 0" in db.diagnosis


# --- found on a learner's network: a softmax whose backward hands dout on unchanged -----------------

class SoftmaxPassingDoutThrough:
    def forward(self, x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def backward(self, dout):
        return dout  # "handled together with the loss": not as a layer on its own


class ReluPassingDoutThrough:
    def forward(self, x):
        return np.maximum(x, 0.0)

    def backward(self, dout):
        return dout


def test_a_backward_returning_dout_unchanged_says_so():
    report = _report(SoftmaxPassingDoutThrough, kind="softmax")
    assert report.bug_codes == ["mismatch"]
    assert "is dout itself" in _failing(report, "dx").diagnosis


def test_a_relu_returning_dout_unchanged_is_still_a_missing_mask():
    assert _report(ReluPassingDoutThrough, kind="relu").bug_codes == ["missing-mask"]
