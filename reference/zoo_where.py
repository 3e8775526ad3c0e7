"""Buggy layers whose gradient is computed at the wrong array, sent to the wrong positions, or unmasked.

One mistake each, in both conventions and in several independent phrasings, registered with the
code gradlab must diagnose: `wrong-input` (a derivative formula evaluated at the input where the
output belongs, or the reverse), `misrouted` (a max-pool gradient sent to the whole window or to
its first element, an inverted ReLU mask), `missing-mask` (dropout or ReLU backward without the
forward's mask), and a softmax over the batch axis (`couples-samples`).
"""

import numpy as np

from gradlab.reference.classes import _col2im, _im2col
from gradlab.registry import register, register_pair


def _sigmoid(x):
    return np.exp(-np.logaddexp(0, -x))


# --- wrong-input: the derivative evaluated at the wrong array -------------------------------------

@register("tanh", bug="wrong-input", note="1 - x**2: tanh's derivative in terms of y, evaluated at x")
class TanhDerivativeAtInput:
    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        return np.tanh(x)

    def backward(self, dout):
        return dout * (1.0 - self.x ** 2)  # BUG: 1 - y**2 needs the output y = tanh(x)


@register("sigmoid", bug="wrong-input", note="x * (1 - x): the derivative written for the output, given the input")
class SigmoidDerivativeAtInput:
    def __init__(self):
        self.x = self.out = None

    def forward(self, x):
        self.x = x
        self.out = _sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * self.x * (1.0 - self.x)  # BUG: self.out belongs here


@register("softplus", bug="wrong-input", note="sigmoid(out): softplus' = sigmoid(x) evaluated at the output")
class SoftplusSigmoidOfOutput:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = np.logaddexp(0, x)
        return self.out

    def backward(self, dout):
        return dout / (1.0 + np.exp(-self.out))  # BUG: the derivative is sigmoid(x), not sigmoid(softplus(x))


@register("softmax", bug="wrong-input", note="the Jacobian-vector product built from x instead of y = softmax(x)")
class SoftmaxJacobianOfInput:
    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        return e / np.sum(e, axis=-1, keepdims=True)

    def backward(self, dout):
        s = self.x  # BUG: the formula y * (dout - sum(dout * y)) needs the softmax output y
        return s * (dout - np.sum(dout * s, axis=-1, keepdims=True))


def sigmoid_forward_caches_input(x):
    return _sigmoid(x), x


def sigmoid_backward_treats_input_as_output(dout, cache):
    s = cache  # BUG: the cache holds x; s * (1 - s) needs sigmoid(x)
    return dout * s * (1 - s)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward_recomputes_from_output(dout, cache):
    out = cache
    return dout * (1 - np.tanh(out) ** 2)  # BUG: the cache already is tanh(x); this is tanh' at y


def elu_forward(x, alpha=1.0):
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
    return out, (out, alpha)


def elu_backward_exp_of_output(dout, cache):
    out, alpha = cache
    return dout * np.where(out > 0, 1.0, alpha * np.exp(out))  # BUG: alpha e^x, not alpha e^out (= out + alpha)


register_pair(sigmoid_forward_caches_input, sigmoid_backward_treats_input_as_output, kind="sigmoid",
              bug="wrong-input", name="sigmoid_derivative_at_input", note="cache = x, then x * (1 - x)")
register_pair(tanh_forward, tanh_backward_recomputes_from_output, kind="tanh", bug="wrong-input",
              name="tanh_derivative_at_output", note="1 - tanh(out)**2 with out = tanh(x) already")
register_pair(elu_forward, elu_backward_exp_of_output, kind="elu", bug="wrong-input",
              name="elu_exp_of_output", note="alpha * exp(out) on the negative side")


# --- misrouted: gradient at positions that must get none -----------------------------------------

@register("max_pool", bug="misrouted", note="every element of the window gets the window's gradient")
class PoolingWholeWindow:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad
        self.x_shape = None

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1
        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1
        col = _im2col(x, self.pool_h, self.pool_w, self.stride, self.pad).reshape(-1, self.pool_h * self.pool_w)
        self.x_shape = x.shape
        return np.max(col, axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        # BUG: the maximum alone produced the output; the argmax was never stored, so all get it
        dmax = np.repeat(dout.reshape(-1, 1), self.pool_h * self.pool_w, axis=1)
        dcol = dmax.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        return _col2im(dcol, self.x_shape, self.pool_h, self.pool_w, self.stride, self.pad)


@register("relu", bug="misrouted", note="the mask inverted: gradient flows where x <= 0")
class ReluInvertedMask:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[~self.mask] = 0  # BUG: zeroes the units that were let through, keeps the ones that were not
        return dx


def max_pool_forward(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    out = np.zeros((N, C, 1 + (H - ph) // s, 1 + (W - pw) // s))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = np.max(x[:, :, i * s:i * s + ph, j * s:j * s + pw], axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_first_element(dout, cache):
    x, pool_param = cache
    s = pool_param["stride"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * s, j * s] += dout[:, :, i, j]  # BUG: the window's top-left element, not its maximum
    return dx


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward_negative_side(dout, cache):
    x = cache
    return dout * (x < 0)  # BUG: the comparison is the wrong way round


register_pair(max_pool_forward, max_pool_backward_first_element, kind="max_pool", bug="misrouted",
              name="max_pool_first_element", note="dx[..., i*s, j*s] += dout[..., i, j]")
register_pair(relu_forward, relu_backward_negative_side, kind="relu", bug="misrouted",
              name="relu_negative_side", note="dout * (x < 0)")


# --- missing-mask: gradient flows where the forward zeroed -----------------------------------------

@register("dropout", bug="missing-mask", note="inverted dropout: backward scales by 1 / (1 - p) but forgets the mask")
class DropoutForgetsMask:
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask / (1.0 - self.dropout_ratio)
        return x

    def backward(self, dout):
        return dout / (1.0 - self.dropout_ratio)  # BUG: the dropped units get gradient too


@register("relu", bug="missing-mask", note="backward passes dout through unchanged")
class ReluForgetsMask:
    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, dout):
        return dout.copy()  # BUG: the units forward set to 0 must get no gradient


def dropout_forward(x, dropout_param):
    p = dropout_param["p"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = (np.random.rand(*x.shape) >= p) / (1 - p)
    return x * mask, (dropout_param, mask)


def dropout_backward_without_mask(dout, cache):
    dropout_param, mask = cache
    dx = dout  # BUG: in training mode dx = dout * mask
    return dx


register_pair(dropout_forward, dropout_backward_without_mask, kind="dropout", bug="missing-mask",
              name="dropout_backward_without_mask", note="dx = dout in training mode")


# --- couples-samples: a softmax over the batch axis ------------------------------------------------

@register("softmax", bug="couples-samples", note="forward normalises over axis 0, the batch")
class SoftmaxOverBatchAxis:
    def __init__(self):
        self.out = None

    def forward(self, x):
        e = np.exp(x - np.max(x, axis=0, keepdims=True))
        self.out = e / np.sum(e, axis=0, keepdims=True)  # BUG: axis 0 mixes the samples; the classes are axis 1
        return self.out

    def backward(self, dout):
        y = self.out
        return y * (dout - np.sum(dout * y, axis=1, keepdims=True))


def softmax_forward_over_batch(x):
    shifted = x - x.max(axis=0)
    out = np.exp(shifted) / np.exp(shifted).sum(axis=0)  # BUG: sums over the samples, not over each row
    return out, out


def softmax_backward_over_batch(dout, cache):
    out = cache
    return out * (dout - (dout * out).sum(axis=0))


register_pair(softmax_forward_over_batch, softmax_backward_over_batch, kind="softmax", bug="couples-samples",
              name="softmax_over_batch_axis", note="softmax over axis 0 in forward and backward alike")


@register("softmax_with_loss", bug="couples-samples", note="the softmax inside the loss normalised over axis 0")
class SoftmaxWithLossOverBatchAxis:
    def __init__(self):
        self.y = self.t = None

    def forward(self, x, t):
        self.t = t if t.ndim == 2 else np.eye(x.shape[1])[t]
        e = np.exp(x - np.max(x, axis=0, keepdims=True))
        self.y = e / np.sum(e, axis=0, keepdims=True)  # BUG: each column sums to 1, not each row
        return -np.sum(self.t * np.log(self.y + 1e-7)) / x.shape[0]

    def backward(self, dout=1):
        return dout * (self.y - self.t) / self.t.shape[0]


# --- wrong-input in a parameter's gradient ----------------------------------------------------------

def batchnorm_forward(x, gamma, beta, bn_param):
    mu = x.mean(axis=0)
    var = x.var(axis=0) + bn_param.get("eps", 1e-5)
    xhat = (x - mu) / np.sqrt(var)
    return gamma * xhat + beta, (x, xhat, gamma, var)


def batchnorm_backward_dgamma_of_input(dout, cache):
    x, xhat, gamma, var = cache
    N = x.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x).sum(axis=0)  # BUG: gamma multiplies xhat, so dgamma = sum(dout * xhat)
    dxhat = dout * gamma
    dx = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / np.sqrt(var)
    return dx, dgamma, dbeta


register_pair(batchnorm_forward, batchnorm_backward_dgamma_of_input, kind="batchnorm", bug="wrong-input",
              name="batchnorm_dgamma_of_input", note="dgamma = sum(dout * x)")


@register("batchnorm", bug="couples-samples", note="statistics over axis 1: each sample normalised over its features")
class BatchNormalizationOverFeatures:
    def __init__(self, gamma, beta, momentum=0.9):
        self.gamma, self.beta, self.momentum = gamma, beta, momentum
        self.xn = self.std = self.dgamma = self.dbeta = None

    def forward(self, x, train_flg=True):
        mu = x.mean(axis=1, keepdims=True)  # BUG: batch norm's statistics are per feature, over axis 0
        self.std = np.sqrt(x.var(axis=1, keepdims=True) + 1e-7)
        self.xn = (x - mu) / self.std
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        N = dout.shape[0]
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        return (N * dxn - dxn.sum(axis=0) - self.xn * np.sum(dxn * self.xn, axis=0)) / (N * self.std)


@register("batchnorm", bug="couples-samples",
          note="normalised over axis 1 in forward and backward alike: a layer norm, whose gradients all agree")
class BatchNormalizationIsLayerNorm:
    def __init__(self, gamma, beta, momentum=0.9):
        self.gamma, self.beta, self.momentum = gamma, beta, momentum
        self.xn = self.std = self.dgamma = self.dbeta = None

    def forward(self, x, train_flg=True):
        mu = x.mean(axis=1, keepdims=True)  # BUG: batch norm's statistics are per feature, over axis 0
        self.std = np.sqrt(x.var(axis=1, keepdims=True) + 1e-7)
        self.xn = (x - mu) / self.std
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        D = dout.shape[1]
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout  # the backward of the forward above, over axis 1 too
        return (D * dxn - dxn.sum(axis=1, keepdims=True)
                - self.xn * np.sum(dxn * self.xn, axis=1, keepdims=True)) / (D * self.std)


def batchnorm_forward_over_features(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    sample_mean = np.mean(x, axis=1, keepdims=True)  # BUG: axis 0 holds the batch norm statistics
    sample_var = np.var(x, axis=1, keepdims=True)
    x_hat = (x - sample_mean) / np.sqrt(sample_var + eps)
    return gamma * x_hat + beta, (x_hat, gamma, sample_var + eps)


def batchnorm_backward_over_features(dout, cache):
    x_hat, gamma, var_eps = cache
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = (dx_hat - dx_hat.mean(axis=1, keepdims=True)
          - x_hat * (dx_hat * x_hat).mean(axis=1, keepdims=True)) / np.sqrt(var_eps)
    return dx, dgamma, dbeta


register_pair(batchnorm_forward_over_features, batchnorm_backward_over_features, kind="batchnorm",
              bug="couples-samples", name="batchnorm_is_layernorm",
              note="mean and variance over axis 1 in forward and backward alike")
