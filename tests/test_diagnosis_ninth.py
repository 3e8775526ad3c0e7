"""Bugs the ninth held-out set found misnamed (issue 14), each written here in another style than the held-out file
(class for function, loops for vectorised, another kind of layer) next to a correct twin that must still pass: one
branch of an element-wise derivative off by a constant; a normalisation's mean path taken over the wrong axis in
backward alone; a loop whose range stops one short (all zero on the smallest case, not elsewhere); a weight's
gradient reading the step's output where its input belongs in that one product; two gradients of different shapes
returned in each other's place."""

from __future__ import annotations

import numpy as np

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import entry_for
from gradlab.core.results import PASS


def check(layer, backward=None, **kw):
    return check_entry(entry_for(layer, backward, **kw), examples=15, seed=0)


def sentences(report) -> str:
    return " ".join(g.diagnosis for g in report.failing.gradients if not g.passed)


# --- 1: one branch of an element-wise derivative off by a constant (scaled) -----------------------------------------


class LeakyRelu:
    """Class style; `slope_in_backward` False leaves the negative side's slope out of backward."""

    slope_in_backward = False

    def __init__(self, alpha=0.05):
        self.alpha = alpha

    def forward(self, x):
        self.neg = x <= 0
        return np.where(self.neg, self.alpha * x, x)

    def backward(self, dout):
        return np.where(self.neg, dout * (self.alpha if self.slope_in_backward else 1.0), dout)


class LeakyReluRight(LeakyRelu):
    slope_in_backward = True


def _elu(alpha_in_backward: bool):
    def elu_forward(x, alpha=1.7):
        return np.where(x > 0, x, alpha * (np.exp(x) - 1.0)), (x, alpha)

    def elu_backward(dout, cache):
        x, alpha = cache
        dx = dout.copy()
        for i, v in np.ndenumerate(x):  # a loop, element by element
            if v <= 0:
                dx[i] = dout[i] * np.exp(v) * (alpha if alpha_in_backward else 1.0)
        return dx

    return elu_forward, elu_backward


def test_a_leaky_relu_whose_backward_leaves_out_its_slope_is_scaled_on_that_branch_and_its_twin_passes():
    wrong = check(LeakyRelu, kind="leaky_relu")
    assert wrong.bug_codes == ["scaled"], sentences(wrong)
    assert "20 times the true gradient where x lies below" in sentences(wrong)
    assert check(LeakyReluRight, kind="leaky_relu").verdict == PASS


def test_an_elu_in_loops_whose_negative_branch_leaves_out_alpha_is_scaled_and_its_twin_passes():
    wrong = check(*_elu(alpha_in_backward=False))
    assert wrong.bug_codes == ["scaled"], sentences(wrong)
    assert "x lies below" in sentences(wrong)
    assert check(*_elu(alpha_in_backward=True)).verdict == PASS


def _halved_on_the_first_features():
    """An element-wise layer whose backward halves the first half of the features, whatever x is: a constant on a
    part the input does not define, which is no branch of the derivative."""
    def softsign_forward(x):
        return x / (1.0 + np.abs(x)), x

    def softsign_backward(dout, x):
        dx = dout / (1.0 + np.abs(x)) ** 2
        dx[:, : x.shape[1] // 2 + 1] *= 0.5
        return dx

    return softsign_forward, softsign_backward


def test_a_constant_on_elements_the_input_does_not_select_is_no_branch_scaled():
    wrong = check(*_halved_on_the_first_features(), kind="tanh")
    assert wrong.verdict != PASS
    assert "x lies below" not in sentences(wrong) and "x lies above" not in sentences(wrong)


# --- 2: a normalisation's mean path over the wrong axis in backward alone (couples-samples) -------------------------


def _batchnorm(mean_axis: int):
    def batchnorm_forward(x, gamma, beta, bn_param):
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        xhat = (x - mu) / np.sqrt(var + bn_param.get("eps", 1e-5))
        return gamma * xhat + beta, (xhat, gamma, np.sqrt(var + bn_param.get("eps", 1e-5)))

    def batchnorm_backward(dout, cache):
        xhat, gamma, std = cache
        dxhat = dout * gamma
        dx = (dxhat - dxhat.mean(axis=mean_axis, keepdims=True) - xhat * (dxhat * xhat).mean(axis=0)) / std
        return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)

    return batchnorm_forward, batchnorm_backward


class LayerNorm:
    """Class style layer norm; `mean_axis` is the axis its backward's mean path takes (1, each sample's, is right)."""

    mean_axis = 0

    def __init__(self, gamma, beta):
        self.gamma, self.beta = gamma, beta

    def forward(self, x):
        xc = x - x.mean(axis=1, keepdims=True)
        self.std = np.sqrt((xc ** 2).mean(axis=1, keepdims=True) + 1e-5)
        self.xn = xc / self.std
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        self.dgamma = (dout * self.xn).sum(axis=0)
        self.dbeta = dout.sum(axis=0)
        g = dout * self.gamma
        mean = g.mean(axis=self.mean_axis, keepdims=True)
        return (g - mean - self.xn * (g * self.xn).mean(axis=1, keepdims=True)) / self.std


class LayerNormRight(LayerNorm):
    mean_axis = 1


def test_a_batch_norms_backward_taking_its_mean_path_over_the_features_couples_samples_and_its_twin_passes():
    wrong = check(*_batchnorm(mean_axis=1))
    assert wrong.bug_codes == ["couples-samples"], sentences(wrong)
    assert "mean path is taken along axis 1" in sentences(wrong)
    assert check(*_batchnorm(mean_axis=0)).verdict == PASS


def test_a_class_layer_norms_backward_taking_its_mean_path_over_the_batch_couples_samples_and_its_twin_passes():
    wrong = check(LayerNorm, kind="layernorm")
    assert wrong.bug_codes == ["couples-samples"], sentences(wrong)
    assert "axis 0" in sentences(wrong)
    assert check(LayerNormRight, kind="layernorm").verdict == PASS


# --- 3: a loop range one short: all zero on the smallest case only (dropped-term, not zero-gradient) ----------------


class Convolution:
    """Class style naive convolution, stride 1, no pad; `short` is how many output columns backward's loop skips."""

    short = 1

    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        F, _, kh, kw = self.W.shape
        N, _, H, W = x.shape
        out = np.empty((N, F, H - kh + 1, W - kw + 1))
        for i in range(out.shape[2]):
            for j in range(out.shape[3]):
                win = x[:, :, i:i + kh, j:j + kw]
                out[:, :, i, j] = np.tensordot(win, self.W, axes=([1, 2, 3], [1, 2, 3])) + self.b
        return out

    def backward(self, dout):
        F, _, kh, kw = self.W.shape
        dx = np.zeros_like(self.x)
        self.dW = np.zeros_like(self.W)
        self.db = dout.sum(axis=(0, 2, 3))
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3] - self.short):
                g = dout[:, :, i, j]  # (N, F)
                self.dW += np.tensordot(g, self.x[:, :, i:i + kh, j:j + kw], axes=([0], [0]))
                dx[:, :, i:i + kh, j:j + kw] += np.tensordot(g, self.W, axes=([1], [0]))
        return dx


class ConvolutionRight(Convolution):
    short = 0


def _avg_pool(short: int):
    def avg_pool_forward(x, pool_param):
        p, s = pool_param["pool_height"], pool_param["stride"]
        N, C, H, W = x.shape
        out = np.zeros((N, C, (H - p) // s + 1, (W - p) // s + 1))
        for i in range(out.shape[2]):
            for j in range(out.shape[3]):
                out[:, :, i, j] = x[:, :, i * s:i * s + p, j * s:j * s + p].mean(axis=(2, 3))
        return out, (x.shape, pool_param)

    def avg_pool_backward(dout, cache):
        shape, pool_param = cache
        p, s = pool_param["pool_height"], pool_param["stride"]
        dx = np.zeros(shape)
        for i in range(dout.shape[2] - short):
            for j in range(dout.shape[3]):
                dx[:, :, i * s:i * s + p, j * s:j * s + p] += dout[:, :, i:i + 1, j:j + 1] / (p * p)
        return dx

    return avg_pool_forward, avg_pool_backward


def test_a_convolutions_backward_loop_one_column_short_is_a_dropped_term_not_zero_gradient_and_its_twin_passes():
    wrong = check(Convolution, kind="conv")
    assert "zero-gradient" not in wrong.bug_codes and wrong.bug_codes[0] == "dropped-term", sentences(wrong)
    assert check(ConvolutionRight, kind="conv").verdict == PASS


def test_an_average_pools_backward_loop_one_row_short_is_a_dropped_term_not_zero_gradient_and_its_twin_passes():
    wrong = check(*_avg_pool(short=1), kind="avg_pool")
    assert "zero-gradient" not in wrong.bug_codes and wrong.bug_codes[0] == "dropped-term", sentences(wrong)
    assert check(*_avg_pool(short=0), kind="avg_pool").verdict == PASS


def test_a_gradient_never_written_stays_zero_gradient_on_every_case():
    def relu_forward(x):
        return np.maximum(x, 0), x

    def relu_backward(dout, x):
        return np.zeros_like(x)

    assert check(relu_forward, relu_backward).bug_codes == ["zero-gradient"]


# --- 4: one product of a weight's gradient reading the wrong kept array (wrong-input) ------------------------------


def _rnn_step(dWh_reads: str):
    def rnn_step_forward(x, prev_h, Wx, Wh, b):
        next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
        return next_h, (x, prev_h, Wx, Wh, next_h)

    def rnn_step_backward(dnext_h, cache):
        x, prev_h, Wx, Wh, next_h = cache
        dz = dnext_h * (1.0 - next_h ** 2)
        dWh = (next_h if dWh_reads == "next_h" else prev_h).T @ dz
        return dz @ Wx.T, dz @ Wh.T, x.T @ dz, dWh, dz.sum(axis=0)

    return rnn_step_forward, rnn_step_backward


class RNNCell:
    """Class style, its dWh summed in a loop over the samples; `reads` is the array each outer product takes."""

    reads = "h"

    def __init__(self, Wx, Wh, b):
        self.Wx, self.Wh, self.b = Wx, Wh, b

    def forward(self, x, h_prev):
        self.x, self.h_prev = x, h_prev
        self.h = np.tanh(x @ self.Wx + h_prev @ self.Wh + self.b)
        return self.h

    def backward(self, dh):
        dz = dh * (1.0 - self.h ** 2)
        self.dWx, self.db = self.x.T @ dz, dz.sum(axis=0)
        self.dWh = np.zeros_like(self.Wh)
        for i in range(dz.shape[0]):
            self.dWh += np.outer(getattr(self, self.reads)[i], dz[i])
        return dz @ self.Wx.T, dz @ self.Wh.T


class RNNCellRight(RNNCell):
    reads = "h_prev"


def test_an_rnn_steps_dwh_reading_next_h_is_wrong_input_though_next_h_is_rightly_read_elsewhere():
    wrong = check(*_rnn_step("next_h"))
    assert wrong.bug_codes == ["wrong-input"], sentences(wrong)
    assert "next_h.T @ delta" in sentences(wrong) and "prev_h.T @ delta" in sentences(wrong)
    assert check(*_rnn_step("prev_h")).verdict == PASS


def test_a_class_rnn_whose_looped_dwh_reads_its_output_is_wrong_input_and_its_twin_passes():
    wrong = check(RNNCell, kind="rnn_step")
    assert wrong.bug_codes == ["wrong-input"], sentences(wrong)
    assert "self.h.T @ delta" in sentences(wrong)
    assert check(RNNCellRight, kind="rnn_step").verdict == PASS


# --- 5: two gradients of different shapes returned in each other's place (wrong-shape) ------------------------------


class Affine:
    swapped = True

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.shape, self.x = x.shape, x.reshape(len(x), -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        dW, db = self.x.T @ dout, dout.sum(axis=0)
        self.dW, self.db = (db, dW) if self.swapped else (dW, db)
        return (dout @ self.W.T).reshape(self.shape)


class AffineRight(Affine):
    swapped = False


def test_a_class_affine_storing_dw_and_db_in_each_others_place_is_wrong_shape_and_its_twin_passes():
    wrong = check(Affine, kind="affine")
    assert wrong.bug_codes == ["wrong-shape"], sentences(wrong)
    assert "in each other's place" in sentences(wrong)
    assert check(AffineRight, kind="affine").verdict == PASS


def test_a_bias_gradient_summed_over_everything_is_still_a_wrong_reduction_not_a_swap():
    class AffineBiasAll(AffineRight):
        def backward(self, dout):
            dx = super().backward(dout)
            self.db = dout.sum()
            return dx

    assert check(AffineBiasAll, kind="affine").bug_codes == ["wrong-reduction"]


# --- 6: a softmax Jacobian built with a dot product where the outer product belongs (mismatch) ---------------------


def _softmax(outer: bool):
    def softmax_forward(x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        s = e / e.sum(axis=1, keepdims=True)
        return s, s

    def softmax_backward(dout, s):
        dx = np.empty_like(dout)
        for i in range(len(s)):  # one Jacobian per sample, in a loop
            jac = np.diag(s[i]) - (np.outer(s[i], s[i]) if outer else s[i] @ s[i])
            dx[i] = jac @ dout[i]
        return dx

    return softmax_forward, softmax_backward


def test_a_softmax_jacobian_with_a_dot_product_for_its_outer_product_is_a_mismatch_and_its_twin_passes():
    # every entry of diag(s) - (s . s) is wrong: no term is dropped, even where two classes make any error that is not
    # along the true gradient orthogonal to it
    wrong = check(*_softmax(outer=False))
    assert wrong.bug_codes == ["mismatch"], sentences(wrong)
    assert check(*_softmax(outer=True)).verdict == PASS
