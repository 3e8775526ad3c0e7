"""Correct layers of the kinds added in session 29 (layers the curriculum and learners' projects use): global average
pooling, zero padding, nearest upsampling, instance normalisation, Mish, CELU, scaled dot-product attention and
log-softmax, each as a class and, where courses write it so, as a function pair."""

import numpy as np

from gradlab.registry import register, register_pair


@register("global_avg_pool")
class GlobalAvgPool2D:
    def forward(self, x):
        self.x_shape = x.shape
        return x.mean(axis=(2, 3))

    def backward(self, dout):
        N, C, H, W = self.x_shape
        # every position of a channel shares its mean equally
        return np.broadcast_to(dout[:, :, None, None] / (H * W), self.x_shape).copy()


def global_avg_pool_forward(x):
    out = np.mean(x, axis=(2, 3), keepdims=True)
    return out, x.shape


def global_avg_pool_backward(dout, cache):
    N, C, H, W = cache
    return np.ones(cache) * dout / (H * W)


register_pair(global_avg_pool_forward, global_avg_pool_backward, kind="global_avg_pool")


@register("zero_padding2d")
class ZeroPadding2D:
    def __init__(self, padding=1):
        self.padding = padding

    def forward(self, x):
        p = self.padding
        return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))

    def backward(self, dout):
        p = self.padding
        return dout[:, :, p:dout.shape[2] - p, p:dout.shape[3] - p]


def zero_pad_forward(x, pad):
    N, C, H, W = x.shape
    out = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    out[:, :, pad:pad + H, pad:pad + W] = x
    return out, (x.shape, pad)


def zero_pad_backward(dout, cache):
    (N, C, H, W), pad = cache
    return dout[:, :, pad:pad + H, pad:pad + W].copy()


register_pair(zero_pad_forward, zero_pad_backward, kind="zero_padding2d")


@register("upsample")
class Upsample:
    def __init__(self, scale_factor=2):
        self.scale_factor = scale_factor

    def forward(self, x):
        s = self.scale_factor
        return x.repeat(s, axis=2).repeat(s, axis=3)

    def backward(self, dout):
        s = self.scale_factor
        N, C, H, W = dout.shape
        # each input value filled an s x s block: its gradient is the block's sum
        return dout.reshape(N, C, H // s, s, W // s, s).sum(axis=(3, 5))


def upsample_forward(x, scale_factor):
    out = np.kron(x, np.ones((1, 1, scale_factor, scale_factor)))
    return out, scale_factor


def upsample_backward(dout, cache):
    s = cache
    N, C, H, W = dout.shape
    dx = np.zeros((N, C, H // s, W // s))
    for i in range(s):
        for j in range(s):
            dx += dout[:, :, i::s, j::s]
    return dx


register_pair(upsample_forward, upsample_backward, kind="upsample")


@register("instancenorm")
class InstanceNorm2d:
    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = gamma, beta, eps
        self.dgamma = self.dbeta = None

    def forward(self, x):
        mu = x.mean(axis=(2, 3), keepdims=True)
        self.std = np.sqrt(x.var(axis=(2, 3), keepdims=True) + self.eps)
        self.x_hat = (x - mu) / self.std
        return self.gamma.reshape(1, -1, 1, 1) * self.x_hat + self.beta.reshape(1, -1, 1, 1)

    def backward(self, dout):
        self.dgamma = np.sum(dout * self.x_hat, axis=(0, 2, 3))
        self.dbeta = np.sum(dout, axis=(0, 2, 3))
        g = dout * self.gamma.reshape(1, -1, 1, 1)
        # x_hat's own path, less the mean's and the variance's, each over the channel's H x W values
        mean_g = g.mean(axis=(2, 3), keepdims=True)
        mean_gx = (g * self.x_hat).mean(axis=(2, 3), keepdims=True)
        return (g - mean_g - self.x_hat * mean_gx) / self.std


def instancenorm_forward(x, gamma, beta, eps=1e-5):
    N, C, H, W = x.shape
    flat = x.reshape(N, C, H * W)
    mu = flat.mean(axis=2, keepdims=True)
    var = flat.var(axis=2, keepdims=True)
    x_hat = (flat - mu) / np.sqrt(var + eps)
    out = gamma[None, :, None] * x_hat + beta[None, :, None]
    return out.reshape(x.shape), (x_hat, gamma, var, eps, x.shape)


def instancenorm_backward(dout, cache):
    x_hat, gamma, var, eps, shape = cache
    N, C, M = x_hat.shape
    d = dout.reshape(N, C, M)
    dgamma = np.sum(d * x_hat, axis=(0, 2))
    dbeta = np.sum(d, axis=(0, 2))
    dx_hat = d * gamma[None, :, None]
    dx = (M * dx_hat - dx_hat.sum(axis=2, keepdims=True) - x_hat * np.sum(dx_hat * x_hat, axis=2, keepdims=True))
    dx = dx / (M * np.sqrt(var + eps))
    return dx.reshape(shape), dgamma, dbeta


register_pair(instancenorm_forward, instancenorm_backward, kind="instancenorm")


@register("mish")
class Mish:
    def forward(self, x):
        self.x = x
        self.sp = np.logaddexp(0, x)
        self.t = np.tanh(self.sp)
        return x * self.t

    def backward(self, dout):
        sig = 0.5 * (1 + np.tanh(self.x / 2))  # the softplus's derivative, the sigmoid, without overflow
        return dout * (self.t + self.x * (1 - self.t ** 2) * sig)


def mish_forward(x):
    t = np.tanh(np.logaddexp(0.0, x))
    return x * t, (x, t)


def mish_backward(dout, cache):
    x, t = cache
    sigmoid = np.exp(-np.logaddexp(0.0, -x))
    return dout * (t + x * sigmoid * (1 - t * t))


register_pair(mish_forward, mish_backward, kind="mish")


@register("celu")
class CELU:
    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        a = self.alpha
        return np.where(x > 0, x, a * np.expm1(np.minimum(x, 0) / a))

    def backward(self, dout):
        return dout * np.where(self.x > 0, 1.0, np.exp(np.minimum(self.x, 0) / self.alpha))


def celu_forward(x, alpha=0.5):
    out = np.maximum(x, 0) + np.minimum(0, alpha * (np.exp(np.minimum(x, 0) / alpha) - 1))
    return out, (x, alpha)


def celu_backward(dout, cache):
    x, alpha = cache
    return dout * ((x > 0) + (x <= 0) * np.exp(np.minimum(x, 0) / alpha))


register_pair(celu_forward, celu_backward, kind="celu")


def _softmax_rows(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@register("dot_product_attention")
class ScaledDotProductAttention:
    def forward(self, q, k, v):
        self.q, self.k, self.v = q, k, v
        self.scale = 1.0 / np.sqrt(q.shape[-1])
        self.a = _softmax_rows(q @ k.transpose(0, 2, 1) * self.scale)
        return self.a @ v

    def backward(self, dout):
        dv = self.a.transpose(0, 2, 1) @ dout
        da = dout @ self.v.transpose(0, 2, 1)
        # softmax's Jacobian on each row: a * (da - sum(a * da))
        ds = self.a * (da - np.sum(self.a * da, axis=-1, keepdims=True)) * self.scale
        return ds @ self.k, ds.transpose(0, 2, 1) @ self.q, dv


def scaled_dot_product_attention_forward(q, k, v):
    d = q.shape[-1]
    scores = np.einsum("ntd,nsd->nts", q, k) / np.sqrt(d)
    weights = _softmax_rows(scores)
    out = np.einsum("nts,nse->nte", weights, v)
    return out, (q, k, v, weights)


def scaled_dot_product_attention_backward(dout, cache):
    q, k, v, weights = cache
    d = q.shape[-1]
    dweights = np.einsum("nte,nse->nts", dout, v)
    dv = np.einsum("nts,nte->nse", weights, dout)
    dscores = weights * (dweights - np.einsum("nts,nts->nt", weights, dweights)[:, :, None]) / np.sqrt(d)
    dq = np.einsum("nts,nsd->ntd", dscores, k)
    dk = np.einsum("nts,ntd->nsd", dscores, q)
    return dq, dk, dv


register_pair(scaled_dot_product_attention_forward, scaled_dot_product_attention_backward,
              kind="dot_product_attention")


@register("log_softmax")
class LogSoftmax:
    def forward(self, x):
        z = x - x.max(axis=-1, keepdims=True)
        self.out = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        return self.out

    def backward(self, dout):
        return dout - np.exp(self.out) * dout.sum(axis=-1, keepdims=True)


def log_softmax_forward(x):
    shifted = x - np.max(x, axis=1, keepdims=True)
    out = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return out, out


def log_softmax_backward(dout, cache):
    softmax = np.exp(cache)
    return dout - softmax * np.sum(dout, axis=1, keepdims=True)


register_pair(log_softmax_forward, log_softmax_backward, kind="log_softmax")


# CMU 11-785's resampling layers (HW2P1): zeros inserted between values, or every k-th value kept


@register("upsample1d")
class Upsample1d:
    def __init__(self, upsampling_factor):
        self.upsampling_factor = upsampling_factor

    def forward(self, A):
        k = self.upsampling_factor
        N, C, W = A.shape
        Z = np.zeros((N, C, k * (W - 1) + 1))
        Z[:, :, ::k] = A
        return Z

    def backward(self, dLdZ):
        return dLdZ[:, :, ::self.upsampling_factor]


@register("downsample1d")
class Downsample1d:
    def __init__(self, downsampling_factor):
        self.downsampling_factor = downsampling_factor

    def forward(self, A):
        self.W_in = A.shape[2]
        return A[:, :, ::self.downsampling_factor]

    def backward(self, dLdZ):
        N, C, _ = dLdZ.shape
        dLdA = np.zeros((N, C, self.W_in))
        dLdA[:, :, ::self.downsampling_factor] = dLdZ
        return dLdA


@register("upsample2d")
class Upsample2d:
    def __init__(self, upsampling_factor):
        self.upsampling_factor = upsampling_factor

    def forward(self, A):
        k = self.upsampling_factor
        N, C, H, W = A.shape
        Z = np.zeros((N, C, k * (H - 1) + 1, k * (W - 1) + 1))
        Z[:, :, ::k, ::k] = A
        return Z

    def backward(self, dLdZ):
        k = self.upsampling_factor
        return dLdZ[:, :, ::k, ::k]


@register("downsample2d")
class Downsample2d:
    def __init__(self, downsampling_factor):
        self.downsampling_factor = downsampling_factor

    def forward(self, A):
        self.in_shape = A.shape
        k = self.downsampling_factor
        return A[:, :, ::k, ::k]

    def backward(self, dLdZ):
        k = self.downsampling_factor
        dLdA = np.zeros(self.in_shape)
        dLdA[:, :, ::k, ::k] = dLdZ
        return dLdA


@register("nll_loss")
class NLLLoss:
    def forward(self, x, t):
        self.x_shape = x.shape
        self.t = t if t.ndim == 2 else np.eye(x.shape[1])[t]
        return -np.sum(self.t * x) / x.shape[0]

    def backward(self, dout=1):
        return -dout * self.t / self.x_shape[0]


@register("nll_loss")
def nll_loss(x, y):
    N = x.shape[0]
    loss = -np.mean(x[np.arange(N), y])
    dx = np.zeros_like(x)
    dx[np.arange(N), y] = -1.0 / N
    return loss, dx


@register("depthwise_conv")
class DepthwiseConv2d:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b = W, b
        self.stride, self.pad = stride, pad
        self.dW = self.db = None

    def forward(self, x):
        s, p, k = self.stride, self.pad, self.W.shape[-1]
        self.xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        N, C, H, W = self.xp.shape
        out = np.zeros((N, C, (H - k) // s + 1, (W - k) // s + 1))
        for i in range(out.shape[2]):
            for j in range(out.shape[3]):
                window = self.xp[:, :, i * s:i * s + k, j * s:j * s + k]
                out[:, :, i, j] = np.sum(window * self.W[:, 0], axis=(2, 3))
        return out + self.b.reshape(1, -1, 1, 1)

    def backward(self, dout):
        s, p, k = self.stride, self.pad, self.W.shape[-1]
        dxp = np.zeros_like(self.xp)
        self.dW = np.zeros_like(self.W)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                g = dout[:, :, i, j][:, :, None, None]
                window = self.xp[:, :, i * s:i * s + k, j * s:j * s + k]
                self.dW[:, 0] += np.sum(g * window, axis=0)
                dxp[:, :, i * s:i * s + k, j * s:j * s + k] += g * self.W[:, 0]
        self.db = dout.sum(axis=(0, 2, 3))
        H, W = dxp.shape[2:]
        return dxp[:, :, p:H - p, p:W - p]


def depthwise_conv_forward(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    k = w.shape[-1]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    N, C, H, W = xp.shape
    H_out, W_out = 1 + (H - k) // stride, 1 + (W - k) // stride
    out = np.zeros((N, C, H_out, W_out))
    for c in range(C):
        for i in range(H_out):
            for j in range(W_out):
                patch = xp[:, c, i * stride:i * stride + k, j * stride:j * stride + k]
                out[:, c, i, j] = np.tensordot(patch, w[c, 0], axes=([1, 2], [0, 1])) + b[c]
    return out, (x, w, b, conv_param)


def depthwise_conv_backward(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    k = w.shape[-1]
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    N, C, H_out, W_out = dout.shape
    for c in range(C):
        for i in range(H_out):
            for j in range(W_out):
                patch = xp[:, c, i * stride:i * stride + k, j * stride:j * stride + k]
                dw[c, 0] += np.tensordot(dout[:, c, i, j], patch, axes=(0, 0))
                dxp[:, c, i * stride:i * stride + k, j * stride:j * stride + k] += \
                    dout[:, c, i, j][:, None, None] * w[c, 0]
    db = dout.sum(axis=(0, 2, 3))
    dx = dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    return dx, dw, db


register_pair(depthwise_conv_forward, depthwise_conv_backward, kind="depthwise_conv")


@register("identity_activation")
class Identity:
    def forward(self, Z):
        self.A = Z
        return self.A

    def backward(self, dLdA):
        return dLdA * np.ones(self.A.shape)


def identity_forward(x):
    return x.copy(), None


def identity_backward(dout, cache):
    return dout.copy()


register_pair(identity_forward, identity_backward, kind="identity_activation")
