"""Buggy layers of the kinds added in session 28 (RMS normalisation, the transposed convolution, multi-head
attention): each a copy of its correct counterpart in `eleventh_kinds.py` with ONE bug, registered with the bug code
gradlab must diagnose."""

import numpy as np

from gradlab.registry import register, register_pair


@register("rmsnorm", bug="sign-flip", note="the rms path's share added to dx where it is subtracted")
class RMSNormRmsPathAdded:
    def __init__(self, gamma, eps=1e-6):
        self.gamma = gamma
        self.eps = eps
        self.dgamma = None

    def forward(self, x):
        self.rms = np.sqrt(np.mean(x ** 2, axis=-1, keepdims=True) + self.eps)
        self.x_hat = x / self.rms
        return self.gamma * self.x_hat

    def backward(self, dout):
        self.dgamma = np.sum(dout * self.x_hat, axis=0)
        dx_hat = dout * self.gamma
        # BUG: + where -: the rms grows with every feature, so its path takes back what x_hat's gives
        return (dx_hat + self.x_hat * np.mean(dx_hat * self.x_hat, axis=-1, keepdims=True)) / self.rms


@register("rmsnorm", bug="wrong-reduction", note="dgamma summed over the features instead of the samples")
class RMSNormDgammaOverFeatures:
    def __init__(self, gamma, eps=1e-6):
        self.gamma = gamma
        self.eps = eps
        self.dgamma = None

    def forward(self, x):
        self.rms = np.sqrt(np.mean(x ** 2, axis=-1, keepdims=True) + self.eps)
        self.x_hat = x / self.rms
        return self.gamma * self.x_hat

    def backward(self, dout):
        self.dgamma = np.sum(dout * self.x_hat, axis=1)  # BUG: axis 1 (the features) where axis 0 belongs
        dx_hat = dout * self.gamma
        return (dx_hat - self.x_hat * np.mean(dx_hat * self.x_hat, axis=-1, keepdims=True)) / self.rms


def rmsnorm_forward(x, gamma, eps=1e-5):
    rms = np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps)
    out = gamma * x / rms
    return out, (x, gamma, rms)


def rmsnorm_backward_dgamma_mean(dout, cache):
    x, gamma, rms = cache
    D = x.shape[1]
    dgamma = np.mean(dout * x / rms, axis=0)  # BUG: gamma is shared by the samples: their shares add up
    g = dout * gamma
    dx = g / rms - x * np.sum(g * x, axis=1, keepdims=True) / (D * rms ** 3)
    return dx, dgamma


register_pair(rmsnorm_forward, rmsnorm_backward_dgamma_mean, kind="rmsnorm", bug="extra-batch-mean",
              name="rmsnorm_dgamma_mean", note="dgamma the mean over the samples where their sum belongs")


@register("conv_transpose", bug="extra-batch-mean", note="db the mean over the batch where the sum belongs")
class ConvTranspose2DDbMean:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b = W, b
        self.stride, self.pad = stride, pad
        self.dW = self.db = None

    def forward(self, x):
        self.x = x
        s, p, k = self.stride, self.pad, self.W.shape[2]
        N, C, H, W = x.shape
        full = np.zeros((N, self.W.shape[1], (H - 1) * s + k, (W - 1) * s + k))
        for i in range(H):
            for j in range(W):
                # each input value spreads its kernel over the output window it maps to
                full[:, :, i * s:i * s + k, j * s:j * s + k] += np.tensordot(x[:, :, i, j], self.W, axes=([1], [0]))
        self.full_shape = full.shape
        return full[:, :, p:full.shape[2] - p, p:full.shape[3] - p] + self.b.reshape(1, -1, 1, 1)

    def backward(self, dout):
        s, p, k = self.stride, self.pad, self.W.shape[2]
        dfull = np.zeros(self.full_shape)
        dfull[:, :, p:self.full_shape[2] - p, p:self.full_shape[3] - p] = dout
        N, C, H, W = self.x.shape
        dx = np.zeros_like(self.x)
        self.dW = np.zeros_like(self.W)
        for i in range(H):
            for j in range(W):
                window = dfull[:, :, i * s:i * s + k, j * s:j * s + k]
                dx[:, :, i, j] = np.tensordot(window, self.W, axes=([1, 2, 3], [1, 2, 3]))
                self.dW += np.tensordot(self.x[:, :, i, j], window, axes=([0], [0]))
        self.db = dout.sum(axis=(2, 3)).mean(axis=0)  # BUG: b is shared by the samples: their shares add up
        return dx


def conv_transpose_forward(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    k = w.shape[2]
    out = np.zeros((N, w.shape[1], (H - 1) * stride + k, (W - 1) * stride + k))
    for i in range(H):
        for j in range(W):
            spread = np.einsum("nc,cfab->nfab", x[:, :, i, j], w)
            out[:, :, i * stride:i * stride + k, j * stride:j * stride + k] += spread
    out = out[:, :, pad:out.shape[2] - pad, pad:out.shape[3] - pad] + b[None, :, None, None]
    return out, (x, w, conv_param)


def conv_transpose_backward_dw_overwritten(dout, cache):
    x, w, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    k = w.shape[2]
    dfull = np.pad(dout, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    for i in range(H):
        for j in range(W):
            window = dfull[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            dx[:, :, i, j] = np.einsum("nfab,cfab->nc", window, w)
            dw = np.einsum("nc,nfab->cfab", x[:, :, i, j], window)  # BUG: = where += belongs
    db = dout.sum(axis=(0, 2, 3))
    return dx, dw, db


register_pair(conv_transpose_forward, conv_transpose_backward_dw_overwritten, kind="conv_transpose",
              bug="dropped-term", name="conv_transpose_dw_overwritten",
              note="dw the last input position's share alone: the others overwritten")


def _softmax_rows(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@register("multihead_attention", bug="transposed", note="dWo = dout.T @ joined where joined.T @ dout belongs")
class MultiHeadAttentionDwoTransposed:
    def __init__(self, Wq, Wk, Wv, Wo, num_heads):
        self.Wq, self.Wk, self.Wv, self.Wo = Wq, Wk, Wv, Wo
        self.h = num_heads
        self.dWq = self.dWk = self.dWv = self.dWo = None

    def _split(self, a):
        N, T, D = a.shape
        return a.reshape(N, T, self.h, D // self.h).transpose(0, 2, 1, 3)

    def _join(self, a):
        N, h, T, d = a.shape
        return a.transpose(0, 2, 1, 3).reshape(N, T, h * d)

    def forward(self, x):
        self.x = x
        self.q, self.k, self.v = (self._split(x @ W) for W in (self.Wq, self.Wk, self.Wv))
        self.scale = 1.0 / np.sqrt(self.q.shape[-1])
        self.a = _softmax_rows(self.q @ self.k.transpose(0, 1, 3, 2) * self.scale)
        self.joined = self._join(self.a @ self.v)
        return self.joined @ self.Wo

    def backward(self, dout):
        D = self.x.shape[-1]
        self.dWo = dout.reshape(-1, D).T @ self.joined.reshape(-1, D)  # BUG: the product's factors swapped
        dctx = self._split(dout @ self.Wo.T)
        da = dctx @ self.v.transpose(0, 1, 3, 2)
        dv = self.a.transpose(0, 1, 3, 2) @ dctx
        # softmax's Jacobian on each row: a * (da - sum(a * da))
        ds = self.a * (da - np.sum(self.a * da, axis=-1, keepdims=True)) * self.scale
        dq, dk = ds @ self.k, ds.transpose(0, 1, 3, 2) @ self.q
        flat_x = self.x.reshape(-1, D)
        dx = 0
        for name, g, W in (("dWq", dq, self.Wq), ("dWk", dk, self.Wk), ("dWv", dv, self.Wv)):
            g = self._join(g)
            setattr(self, name, flat_x.T @ g.reshape(-1, D))
            dx = dx + g @ W.T
        return dx


@register("multihead_attention", bug="extra-batch-mean", note="dWo divided by the batch")
class MultiHeadAttentionDwoMean:
    def __init__(self, Wq, Wk, Wv, Wo, num_heads):
        self.Wq, self.Wk, self.Wv, self.Wo = Wq, Wk, Wv, Wo
        self.h = num_heads
        self.dWq = self.dWk = self.dWv = self.dWo = None

    def _split(self, a):
        N, T, D = a.shape
        return a.reshape(N, T, self.h, D // self.h).transpose(0, 2, 1, 3)

    def _join(self, a):
        N, h, T, d = a.shape
        return a.transpose(0, 2, 1, 3).reshape(N, T, h * d)

    def forward(self, x):
        self.x = x
        self.q, self.k, self.v = (self._split(x @ W) for W in (self.Wq, self.Wk, self.Wv))
        self.scale = 1.0 / np.sqrt(self.q.shape[-1])
        self.a = _softmax_rows(self.q @ self.k.transpose(0, 1, 3, 2) * self.scale)
        self.joined = self._join(self.a @ self.v)
        return self.joined @ self.Wo

    def backward(self, dout):
        D = self.x.shape[-1]
        self.dWo = self.joined.reshape(-1, D).T @ dout.reshape(-1, D) / len(dout)  # BUG: the samples' shares add up
        dctx = self._split(dout @ self.Wo.T)
        da = dctx @ self.v.transpose(0, 1, 3, 2)
        dv = self.a.transpose(0, 1, 3, 2) @ dctx
        # softmax's Jacobian on each row: a * (da - sum(a * da))
        ds = self.a * (da - np.sum(self.a * da, axis=-1, keepdims=True)) * self.scale
        dq, dk = ds @ self.k, ds.transpose(0, 1, 3, 2) @ self.q
        flat_x = self.x.reshape(-1, D)
        dx = 0
        for name, g, W in (("dWq", dq, self.Wq), ("dWk", dk, self.Wk), ("dWv", dv, self.Wv)):
            g = self._join(g)
            setattr(self, name, flat_x.T @ g.reshape(-1, D))
            dx = dx + g @ W.T
        return dx
