"""Bugs the seventh held-out set found misnamed (issue 14), each written here in another style than the held-out
file (class for function, loops for vectorised, another kind of layer) next to a correct twin that must still pass:
a parameter's gradient read from another array the layer holds; a bias gradient keeping an axis of dout; a factor
of the chain rule's product left out (an array the layer holds, or dout inside every term of a loop's sum); a softmax
loss normalised over the batch axis."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import entry_for
from gradlab.core.results import FAIL, PASS


def check(layer, backward=None, **kw):
    return check_entry(entry_for(layer, backward, **kw), examples=15, seed=0)


def sentences(report) -> str:
    return " ".join(g.diagnosis for g in report.failing.gradients if not g.passed)


# --- 1: a parameter's gradient computed with another array the layer holds ---------------------------------------


class BatchNorm:
    """Class style batch norm holding the centred input and the normalised one; `dgamma_from` is the array dgamma
    reads (`xn` is right)."""

    dgamma_from = "xc"

    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = gamma, beta, eps

    def forward(self, x):
        self.xc = x - x.mean(axis=0)
        self.std = np.sqrt((self.xc ** 2).mean(axis=0) + self.eps)
        self.xn = self.xc / self.std
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        n = dout.shape[0]
        self.dbeta = dout.sum(axis=0)
        self.dgamma = (getattr(self, self.dgamma_from) * dout).sum(axis=0)
        g = dout * self.gamma
        return (n * g - g.sum(axis=0) - self.xn * (g * self.xn).sum(axis=0)) / (n * self.std)


class BatchNormRight(BatchNorm):
    dgamma_from = "xn"


def _layernorm(centred_dgamma: bool):
    def layernorm_forward(x, gamma, beta, ln_param):
        mu = np.mean(x, axis=1, keepdims=True)
        xmu = x - mu
        ivar = 1.0 / np.sqrt(np.mean(xmu ** 2, axis=1, keepdims=True) + ln_param.get("eps", 1e-5))
        xhat = xmu * ivar
        return gamma * xhat + beta, (xhat, xmu, ivar, gamma)

    def layernorm_backward(dout, cache):
        xhat, xmu, ivar, gamma = cache
        D = xhat.shape[1]
        dgamma = np.sum(dout * (xmu if centred_dgamma else xhat), axis=0)
        dbeta = np.sum(dout, axis=0)
        dxhat = dout * gamma
        dx = ivar / D * (D * dxhat - dxhat.sum(axis=1, keepdims=True)
                         - xhat * np.sum(dxhat * xhat, axis=1, keepdims=True))
        return dx, dgamma, dbeta

    return layernorm_forward, layernorm_backward


def test_a_class_batch_norms_dgamma_from_the_centred_input_is_wrong_input_and_its_twin_passes():
    wrong = check(BatchNorm, kind="batchnorm")
    assert wrong.bug_codes == ["wrong-input"], (wrong.bug_codes, sentences(wrong))
    assert "reads the wrong array" in sentences(wrong) and "dout times self.xc" in sentences(wrong)
    assert check(BatchNormRight, kind="batchnorm").verdict == PASS


def test_a_layer_norms_dgamma_from_the_centred_input_is_wrong_input_in_function_style_and_its_twin_passes():
    wrong = check(*_layernorm(centred_dgamma=True))
    assert wrong.bug_codes == ["wrong-input"], (wrong.bug_codes, sentences(wrong))
    assert "dout times xmu" in sentences(wrong)  # cache[1], by the name backward unpacks it into
    assert check(*_layernorm(centred_dgamma=False)).verdict == PASS


class BatchNormSwapped(BatchNormRight):
    """dgamma and dbeta stored in each other's place: dbeta is dout times x_hat, but it is dgamma's true gradient."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.dgamma, self.dbeta = self.dbeta, self.dgamma
        return dx


def test_two_gradients_stored_in_each_others_place_stay_a_swap_not_an_array_read_wrong():
    wrong = check(BatchNormSwapped, kind="batchnorm")
    assert set(wrong.bug_codes) == {"mismatch"}, (wrong.bug_codes, sentences(wrong))
    assert "holds dgamma" in sentences(wrong) and "holds dbeta" in sentences(wrong)


# --- 2: a bias gradient that keeps an axis of dout ---------------------------------------------------------------


class Conv:
    """Class style convolution written with loops over the output positions; `db_axes` are the axes db sums dout
    over ((0, 2, 3) is right)."""

    db_axes = (0, 3)

    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x):
        F, _, HH, WW = self.W.shape
        self.xp = np.pad(x, ((0, 0), (0, 0), (self.pad, self.pad), (self.pad, self.pad)))
        self.x_shape = x.shape
        oh = (self.xp.shape[2] - HH) // self.stride + 1
        ow = (self.xp.shape[3] - WW) // self.stride + 1
        out = np.empty((x.shape[0], F, oh, ow))
        for i in range(oh):
            for j in range(ow):
                r, c = i * self.stride, j * self.stride
                out[:, :, i, j] = np.tensordot(self.xp[:, :, r:r + HH, c:c + WW], self.W, axes=([1, 2, 3], [1, 2, 3]))
        return out + self.b[None, :, None, None]

    def backward(self, dout):
        F, _, HH, WW = self.W.shape
        dxp = np.zeros_like(self.xp)
        self.dW = np.zeros_like(self.W)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                r, c = i * self.stride, j * self.stride
                self.dW += np.tensordot(dout[:, :, i, j], self.xp[:, :, r:r + HH, c:c + WW], axes=([0], [0]))
                dxp[:, :, r:r + HH, c:c + WW] += np.tensordot(dout[:, :, i, j], self.W, axes=([1], [0]))
        self.db = dout.sum(axis=self.db_axes)
        H, W = self.x_shape[2:]
        return dxp[:, :, self.pad:self.pad + H, self.pad:self.pad + W]


class ConvRight(Conv):
    db_axes = (0, 2, 3)


def _spatial_batchnorm(dbeta_axes):
    def spatial_batchnorm_forward(x, gamma, beta, bn_param):
        mu = x.mean(axis=(0, 2, 3), keepdims=True)
        std = np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + bn_param.get("eps", 1e-5))
        xhat = (x - mu) / std
        return gamma[None, :, None, None] * xhat + beta[None, :, None, None], (xhat, std, gamma)

    def spatial_batchnorm_backward(dout, cache):
        xhat, std, gamma = cache
        m = dout.shape[0] * dout.shape[2] * dout.shape[3]
        g = dout * gamma[None, :, None, None]
        dx = (m * g - g.sum(axis=(0, 2, 3), keepdims=True)
              - xhat * (g * xhat).sum(axis=(0, 2, 3), keepdims=True)) / (m * std)
        return dx, (dout * xhat).sum(axis=(0, 2, 3)), dout.sum(axis=dbeta_axes)

    return spatial_batchnorm_forward, spatial_batchnorm_backward


def test_a_conv_bias_gradient_keeping_dout_s_width_axis_is_a_wrong_reduction_and_its_twin_passes():
    wrong = check(Conv, kind="conv")
    assert wrong.bug_codes == ["wrong-reduction"], (wrong.bug_codes, sentences(wrong))
    assert "keepdims" not in sentences(wrong)
    assert check(ConvRight, kind="conv").verdict == PASS


def test_a_spatial_batch_norms_dbeta_keeping_an_axis_of_dout_is_a_wrong_reduction_and_its_twin_passes():
    wrong = check(*_spatial_batchnorm((0, 2)))
    assert wrong.bug_codes == ["wrong-reduction"], (wrong.bug_codes, sentences(wrong))
    assert check(*_spatial_batchnorm((0, 2, 3))).verdict == PASS


def test_a_bias_gradient_with_a_kept_axis_that_does_not_follow_the_data_stays_wrong_shape():
    # keepdims=True on the right sum: the shape is (1, F) whatever the input's size, so no axis of dout is kept
    class ConvKeepdims(ConvRight):
        def backward(self, dout):
            dx = super().backward(dout)
            self.db = dout.sum(axis=(0, 2, 3))[None, :]
            return dx

    wrong = check(ConvKeepdims, kind="conv")
    assert wrong.bug_codes == ["wrong-shape"], (wrong.bug_codes, sentences(wrong))


# --- 3: one factor of the chain rule's product left out -----------------------------------------------------------


def sigmoid_forward(x):
    out = 1.0 / (1.0 + np.exp(-x))
    return out, out


def _sigmoid_backward(factor: bool):
    def sigmoid_backward(dout, cache):
        out = cache
        return dout * out * (1.0 - out) if factor else dout * (1.0 - out)
    return sigmoid_backward


def test_a_function_sigmoid_without_its_out_factor_is_a_dropped_term_and_its_twin_passes():
    wrong = check(sigmoid_forward, _sigmoid_backward(factor=False))
    assert wrong.bug_codes == ["dropped-term"], (wrong.bug_codes, sentences(wrong))
    assert "one factor of its product left out" in sentences(wrong)
    assert check(sigmoid_forward, _sigmoid_backward(factor=True)).verdict == PASS


def _conv_naive(dx_with_dout: bool):
    """Function style convolution, vectorised over the batch; dx's terms leave dout out unless `dx_with_dout`."""
    def conv_forward_naive(x, w, b, conv_param):
        s, p = conv_param["stride"], conv_param["pad"]
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        F, _, HH, WW = w.shape
        oh, ow = (xp.shape[2] - HH) // s + 1, (xp.shape[3] - WW) // s + 1
        out = np.zeros((x.shape[0], F, oh, ow))
        for f in range(F):
            for i in range(oh):
                for j in range(ow):
                    out[:, f, i, j] = np.sum(xp[:, :, i * s:i * s + HH, j * s:j * s + WW] * w[f], axis=(1, 2, 3)) + b[f]
        return out, (x, w, b, conv_param)

    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        s, p = conv_param["stride"], conv_param["pad"]
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        F, _, HH, WW = w.shape
        dxp, dw = np.zeros_like(xp), np.zeros_like(w)
        for f in range(F):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    g = dout[:, f, i, j][:, None, None, None]
                    window = xp[:, :, i * s:i * s + HH, j * s:j * s + WW]
                    dw[f] += np.sum(window * g, axis=0)
                    dxp[:, :, i * s:i * s + HH, j * s:j * s + WW] += w[f] * g if dx_with_dout else w[f]
        H, W = x.shape[2:]
        return dxp[:, :, p:p + H, p:p + W], dw, dout.sum(axis=(0, 2, 3))

    return conv_forward_naive, conv_backward_naive


def test_a_conv_whose_dx_adds_each_window_without_its_dout_is_a_dropped_term_and_its_twin_passes():
    wrong = check(*_conv_naive(dx_with_dout=False))
    assert wrong.bug_codes == ["dropped-term"], (wrong.bug_codes, sentences(wrong))
    assert "upstream gradient of ones" in sentences(wrong)
    assert check(*_conv_naive(dx_with_dout=True)).verdict == PASS


class MaxPool:
    """Class style max pooling with loops; `with_dout` False puts 1 at each window's maximum instead of its dout."""

    with_dout = False

    def __init__(self, pool_h=2, pool_w=2, stride=2, pad=0):
        self.ph, self.pw, self.stride = pool_h, pool_w, stride

    def forward(self, x):
        self.x = x
        N, C, H, W = x.shape
        oh, ow = (H - self.ph) // self.stride + 1, (W - self.pw) // self.stride + 1
        out = np.zeros((N, C, oh, ow))
        for i in range(oh):
            for j in range(ow):
                r, c = i * self.stride, j * self.stride
                out[:, :, i, j] = x[:, :, r:r + self.ph, c:c + self.pw].max(axis=(2, 3))
        return out

    def backward(self, dout):
        dx = np.zeros_like(self.x)
        for n, ch, i, j in np.ndindex(*dout.shape):
            r, c = i * self.stride, j * self.stride
            k = int(np.argmax(self.x[n, ch, r:r + self.ph, c:c + self.pw]))
            dx[n, ch, r + k // self.pw, c + k % self.pw] += dout[n, ch, i, j] if self.with_dout else 1.0
        return dx


class MaxPoolRight(MaxPool):
    with_dout = True


def test_a_max_pool_that_routes_ones_instead_of_dout_is_a_dropped_term_and_its_twin_passes():
    wrong = check(MaxPool, kind="max_pool")
    assert wrong.bug_codes == ["dropped-term"], (wrong.bug_codes, sentences(wrong))
    assert check(MaxPoolRight, kind="max_pool").verdict == PASS


# --- 4: a softmax loss normalised over the batch axis -------------------------------------------------------------


def _softmax_loss(axis: int):
    """Function style: logits shifted by each row's maximum (so a copy of a sample shifted as a whole looks alike),
    normalised over `axis` (1 is right)."""
    def softmax_loss(x, y):
        N = x.shape[0]
        e = np.exp(x - x.max(axis=1, keepdims=True))
        p = e / e.sum(axis=axis, keepdims=True)
        loss = -np.mean(np.log(p[np.arange(N), y]))
        dx = p.copy()
        dx[np.arange(N), y] -= 1.0
        return loss, dx / N
    return softmax_loss


def test_a_softmax_loss_normalised_over_the_batch_axis_couples_samples_and_its_twin_passes():
    wrong = check(_softmax_loss(axis=0))
    assert wrong.bug_codes == ["couples-samples"], (wrong.bug_codes, sentences(wrong))
    right = check(_softmax_loss(axis=1))  # warned only where a probability underflows: its -log(p) is unguarded
    assert right.verdict != FAIL and right.bug_codes == [], right.bug_codes


# --- 5: an axis order not restored: the right values in transposed positions ------------------------------------


def _max_pool_naive(restored: bool):
    """Function style max pooling with loops; its backward reads dout in the (N, H', W', C) order an im2col pooling
    lays its rows out in, put back in (N, C, H', W') order only if `restored`."""
    def max_pool_forward_naive(x, pool_param):
        ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
        oh, ow = (x.shape[2] - ph) // s + 1, (x.shape[3] - pw) // s + 1
        out = np.zeros(x.shape[:2] + (oh, ow))
        for i in range(oh):
            for j in range(ow):
                out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
        return out, (x, pool_param)

    def max_pool_backward_naive(dout, cache):
        x, pool_param = cache
        ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
        rows = dout.transpose(0, 2, 3, 1)
        d = rows.transpose(0, 3, 1, 2) if restored else rows.reshape(dout.shape)
        dx = np.zeros_like(x)
        for n, c, i, j in np.ndindex(*dout.shape):
            window = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
            r, q = np.unravel_index(np.argmax(window), window.shape)
            dx[n, c, i * s + r, j * s + q] += d[n, c, i, j]
        return dx

    return max_pool_forward_naive, max_pool_backward_naive


def test_a_max_pool_reading_dout_in_an_axis_order_never_restored_is_transposed_and_its_twin_passes():
    # DECISIONS.md: transposed is the right values in transposed positions; every window's maximum still gets one
    # of dout's values (no position due none gets any), so misrouted's reading does not apply, and transposed's
    # hint (the order of the axes in a transpose/reshape) names the fix
    wrong = check(*_max_pool_naive(restored=False))
    assert wrong.bug_codes == ["transposed"], (wrong.bug_codes, sentences(wrong))
    assert check(*_max_pool_naive(restored=True)).verdict == PASS


# --- 6: the arrays a layer holds are the user's, not the case gradlab built it for --------------------------------


def relu_forward(x):
    out = np.maximum(x, 0.0)
    return out, out


def _relu_backward(inclusive: bool):
    def relu_backward(dout, cache):
        out = cache
        return dout * ((out >= 0) if inclusive else (out > 0))  # out >= 0 everywhere: no mask at all
    return relu_backward


def test_a_function_relu_masking_on_out_at_or_above_zero_is_a_missing_mask_not_a_read_of_gradlabs_own_x():
    wrong = check(relu_forward, _relu_backward(inclusive=True))
    assert wrong.bug_codes == ["missing-mask"], (wrong.bug_codes, sentences(wrong))
    assert "case.x" not in sentences(wrong)
    assert check(relu_forward, _relu_backward(inclusive=False)).verdict == PASS


# --- what stays: no code invented where the layer's arrays explain nothing -----------------------------------------


class TanhWrongFormula:
    """tanh's derivative written 1 - |out|: no array the layer holds, nor dout, is the missing part."""

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - np.abs(self.out))


@pytest.mark.parametrize("layer, kind", [(TanhWrongFormula, "tanh")], ids=["tanh 1 - |out|"])
def test_a_wrong_derivative_no_held_array_explains_stays_a_mismatch(layer, kind):
    assert check(layer, kind=kind).bug_codes == ["mismatch"]
