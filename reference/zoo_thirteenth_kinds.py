"""Buggy layers of the kinds added in session 29 (global average pooling, zero padding, nearest upsampling, instance
normalisation, Mish, CELU, scaled dot-product attention, log-softmax): each a copy of its correct counterpart in
`thirteenth_kinds.py` with ONE bug, registered with the bug code gradlab must diagnose."""

import numpy as np

from gradlab.registry import register, register_pair


@register("global_avg_pool", bug="scaled", note="dx spread without the 1 / (H * W) of the mean")
class GlobalAvgPoolNoAreaDivide:
    def forward(self, x):
        self.x_shape = x.shape
        return x.mean(axis=(2, 3))

    def backward(self, dout):
        # BUG: the mean divides by H * W, so each position's share does too
        return np.broadcast_to(dout[:, :, None, None], self.x_shape).copy()


def global_avg_pool_forward(x):
    out = np.mean(x, axis=(2, 3), keepdims=True)
    return out, x.shape


def global_avg_pool_backward_not_spread(dout, cache):
    N, C, H, W = cache
    return dout / (H * W)  # BUG: (N, C, 1, 1), never spread back over the H x W positions


register_pair(global_avg_pool_forward, global_avg_pool_backward_not_spread, kind="global_avg_pool",
              bug="wrong-shape", name="global_avg_pool_not_spread",
              note="dx left (N, C, 1, 1): the share of each position never spread back to x's shape")


@register("zero_padding2d", bug="misrouted",
          note="dx cropped from the top-left corner of dout, not from inside the border")
class ZeroPadding2DCornerCrop:
    def __init__(self, padding=1):
        self.padding = padding

    def forward(self, x):
        p = self.padding
        return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))

    def backward(self, dout):
        p = self.padding
        # BUG: the input sits p rows and p columns in; this crop starts at 0
        return dout[:, :, :dout.shape[2] - 2 * p, :dout.shape[3] - 2 * p]


@register("upsample", bug="scaled", note="each block's gradient averaged where it is summed")
class UpsampleBlockMean:
    def __init__(self, scale_factor=2):
        self.scale_factor = scale_factor

    def forward(self, x):
        s = self.scale_factor
        return x.repeat(s, axis=2).repeat(s, axis=3)

    def backward(self, dout):
        s = self.scale_factor
        N, C, H, W = dout.shape
        # BUG: the value was copied into every cell of its block, so their gradients add up: sum, not mean
        return dout.reshape(N, C, H // s, s, W // s, s).mean(axis=(3, 5))


def upsample_forward(x, scale_factor):
    out = np.kron(x, np.ones((1, 1, scale_factor, scale_factor)))
    return out, scale_factor


def upsample_backward_one_cell(dout, cache):
    s = cache
    return dout[:, :, ::s, ::s].copy()  # BUG: one cell of each block; the others' gradients are lost


register_pair(upsample_forward, upsample_backward_one_cell, kind="upsample", bug="dropped-term",
              name="upsample_one_cell", note="dx the gradient of one cell of each block, the rest dropped")


@register("instancenorm", bug="dropped-term", note="dx without the mean's path")
class InstanceNorm2dNoMeanPath:
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
        mean_gx = (g * self.x_hat).mean(axis=(2, 3), keepdims=True)
        return (g - self.x_hat * mean_gx) / self.std  # BUG: the mean's path, - mean(g), left out


def instancenorm_forward(x, gamma, beta, eps=1e-5):
    N, C, H, W = x.shape
    flat = x.reshape(N, C, H * W)
    mu = flat.mean(axis=2, keepdims=True)
    var = flat.var(axis=2, keepdims=True)
    x_hat = (flat - mu) / np.sqrt(var + eps)
    out = gamma[None, :, None] * x_hat + beta[None, :, None]
    return out.reshape(x.shape), (x_hat, gamma, var, eps, x.shape)


def instancenorm_backward_dbeta_mean(dout, cache):
    x_hat, gamma, var, eps, shape = cache
    N, C, M = x_hat.shape
    d = dout.reshape(N, C, M)
    dgamma = np.sum(d * x_hat, axis=(0, 2))
    dbeta = np.sum(d, axis=(0, 2)) / N  # BUG: beta is shared by the samples: their shares add up
    dx_hat = d * gamma[None, :, None]
    dx = (M * dx_hat - dx_hat.sum(axis=2, keepdims=True) - x_hat * np.sum(dx_hat * x_hat, axis=2, keepdims=True))
    dx = dx / (M * np.sqrt(var + eps))
    return dx.reshape(shape), dgamma, dbeta


register_pair(instancenorm_forward, instancenorm_backward_dbeta_mean, kind="instancenorm", bug="extra-batch-mean",
              name="instancenorm_dbeta_mean", note="dbeta the mean over the samples where their sum belongs")


@register("mish", bug="dropped-term", note="the derivative of tanh(softplus(x)) left out of the product rule")
class MishTanhTermDropped:
    def forward(self, x):
        self.x = x
        self.t = np.tanh(np.logaddexp(0, x))
        return x * self.t

    def backward(self, dout):
        return dout * self.t  # BUG: d(x * t) = t + x * dt/dx; the second term is missing


@register("celu", bug="scaled", note="the negative side's derivative written without the 1 / alpha")
class CELUAlphaNotDivided:
    def __init__(self, alpha=0.5):
        self.alpha = alpha

    def forward(self, x):
        self.out = np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0) / self.alpha))
        self.x = x
        return self.out

    def backward(self, dout):
        # BUG: d/dx alpha * (exp(x / alpha) - 1) = exp(x / alpha) = (out + alpha) / alpha
        return dout * np.where(self.x > 0, 1.0, self.out + self.alpha)


def _softmax_rows(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@register("dot_product_attention", bug="dropped-term", note="the softmax backward's coupling term left out")
class ScaledDotProductAttentionDiagonalSoftmax:
    def forward(self, q, k, v):
        self.q, self.k, self.v = q, k, v
        self.scale = 1.0 / np.sqrt(q.shape[-1])
        self.a = _softmax_rows(q @ k.transpose(0, 2, 1) * self.scale)
        return self.a @ v

    def backward(self, dout):
        dv = self.a.transpose(0, 2, 1) @ dout
        da = dout @ self.v.transpose(0, 2, 1)
        ds = self.a * (1 - self.a) * da * self.scale  # BUG: the Jacobian's diagonal alone
        return ds @ self.k, ds.transpose(0, 2, 1) @ self.q, dv


def scaled_dot_product_attention_forward(q, k, v):
    d = q.shape[-1]
    scores = np.einsum("ntd,nsd->nts", q, k) / np.sqrt(d)
    weights = _softmax_rows(scores)
    out = np.einsum("nts,nse->nte", weights, v)
    return out, (q, k, v, weights)


def scaled_dot_product_attention_backward_unscaled(dout, cache):
    q, k, v, weights = cache
    dweights = np.einsum("nte,nse->nts", dout, v)
    dv = np.einsum("nts,nte->nse", weights, dout)
    # BUG: the scores were divided by sqrt(d); their gradient must be too
    dscores = weights * (dweights - np.einsum("nts,nts->nt", weights, dweights)[:, :, None])
    dq = np.einsum("nts,nsd->ntd", dscores, k)
    dk = np.einsum("nts,ntd->nsd", dscores, q)
    return dq, dk, dv


register_pair(scaled_dot_product_attention_forward, scaled_dot_product_attention_backward_unscaled,
              kind="dot_product_attention", bug="scaled", name="scaled_dot_product_attention_unscaled",
              note="dq and dk without the 1 / sqrt(d) the scores were scaled by")


@register("log_softmax", bug="dropped-term", note="dx = dout - softmax: the sum of dout over the row left out")
class LogSoftmaxUpstreamSumDropped:
    def forward(self, x):
        z = x - x.max(axis=-1, keepdims=True)
        self.out = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        return self.out

    def backward(self, dout):
        return dout - np.exp(self.out)  # BUG: true only when each row of dout sums to 1


@register("upsample1d", bug="scaled", note="dLdA divided by the factor, as if each value were averaged")
class Upsample1dDividedByFactor:
    def __init__(self, upsampling_factor):
        self.upsampling_factor = upsampling_factor

    def forward(self, A):
        k = self.upsampling_factor
        N, C, W = A.shape
        Z = np.zeros((N, C, k * (W - 1) + 1))
        Z[:, :, ::k] = A
        return Z

    def backward(self, dLdZ):
        k = self.upsampling_factor
        return dLdZ[:, :, ::k] / k  # BUG: each value was copied once, not spread over k positions


@register("downsample1d", bug="wrong-shape", note="the input's width rebuilt from the output's, k * (W_out - 1) + 1")
class Downsample1dWidthGuessed:
    def __init__(self, downsampling_factor):
        self.downsampling_factor = downsampling_factor

    def forward(self, A):
        return A[:, :, ::self.downsampling_factor]

    def backward(self, dLdZ):
        k = self.downsampling_factor
        N, C, W_out = dLdZ.shape
        # BUG: forward's input may have been up to k - 1 wider; its width must be kept from forward
        dLdA = np.zeros((N, C, k * (W_out - 1) + 1))
        dLdA[:, :, ::k] = dLdZ
        return dLdA


@register("upsample2d", bug="wrong-shape", note="dLdZ subsampled along the height only")
class Upsample2dOneAxis:
    def __init__(self, upsampling_factor):
        self.upsampling_factor = upsampling_factor

    def forward(self, A):
        k = self.upsampling_factor
        N, C, H, W = A.shape
        Z = np.zeros((N, C, k * (H - 1) + 1, k * (W - 1) + 1))
        Z[:, :, ::k, ::k] = A
        return Z

    def backward(self, dLdZ):
        return dLdZ[:, :, ::self.upsampling_factor]  # BUG: the width was dilated too


@register("downsample2d", bug="misrouted", note="dLdA started from ones, so the dropped positions get a gradient")
class Downsample2dStartsFromOnes:
    def __init__(self, downsampling_factor):
        self.downsampling_factor = downsampling_factor

    def forward(self, A):
        self.in_shape = A.shape
        k = self.downsampling_factor
        return A[:, :, ::k, ::k]

    def backward(self, dLdZ):
        k = self.downsampling_factor
        dLdA = np.ones(self.in_shape)  # BUG: the values forward dropped have no gradient: np.zeros
        dLdA[:, :, ::k, ::k] = dLdZ
        return dLdA


@register("nll_loss", bug="missing-batch-mean", note="dx without the 1 / N of the batch mean")
class NLLLossNoBatchMean:
    def forward(self, x, t):
        self.x_shape = x.shape
        self.t = t if t.ndim == 2 else np.eye(x.shape[1])[t]
        return -np.sum(self.t * x) / x.shape[0]

    def backward(self, dout=1):
        return -dout * self.t  # BUG: the loss is the mean over the batch: / N


@register("nll_loss", bug="sign-flip", name="nll_loss_positive")
def nll_loss_positive(x, y):
    N = x.shape[0]
    loss = -np.mean(x[np.arange(N), y])
    dx = np.zeros_like(x)
    dx[np.arange(N), y] = 1.0 / N  # BUG: the loss falls as x[n, y[n]] grows: -1 / N
    return loss, dx


@register("depthwise_conv", bug="extra-batch-mean", note="db the mean over the batch where the sum belongs")
class DepthwiseConv2dDbMean:
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
        self.db = dout.sum(axis=(2, 3)).mean(axis=0)  # BUG: b is shared by the samples: their shares add up
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


def depthwise_conv_backward_dx_overwritten(dout, cache):
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
                # BUG: = where += belongs: overlapping windows each add to a pixel's gradient
                dxp[:, c, i * stride:i * stride + k, j * stride:j * stride + k] = \
                    dout[:, c, i, j][:, None, None] * w[c, 0]
    db = dout.sum(axis=(0, 2, 3))
    dx = dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    return dx, dw, db


register_pair(depthwise_conv_forward, depthwise_conv_backward_dx_overwritten, kind="depthwise_conv",
              bug="dropped-term", name="depthwise_conv_dx_overwritten",
              note="dx keeps the last window's share where windows overlap: the others overwritten")


@register("identity_activation", bug="zero-gradient", note="dLdA never passed on: the derivative of Z is 1")
class IdentityDerivativeOnly:
    def forward(self, Z):
        self.A = Z
        return self.A

    def backward(self, dLdA):
        return np.zeros(self.A.shape)  # BUG: the derivative of Z is 1: dLdZ = dLdA * 1
