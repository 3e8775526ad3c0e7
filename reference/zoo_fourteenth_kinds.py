"""Buggy layers of the kinds added in session 30 (positional encoding, Kullback-Leibler divergence, 1-D transposed
convolution): each a copy of its correct counterpart in `fourteenth_kinds.py` with ONE bug, registered with the bug
code gradlab must diagnose."""

import numpy as np

from gradlab.registry import register, register_pair


@register("positional_encoding", bug="scaled",
          note="forward scales x by sqrt(d_model) before adding the table; backward passes dout through unscaled")
class PositionalEncodingScaledInput:
    def __init__(self, d_model, max_len=64):
        position = np.arange(max_len)[:, None]
        div_term = np.exp(np.arange(0, d_model, 2) * (-np.log(10000.0) / d_model))
        self.pe = np.zeros((max_len, d_model))
        self.pe[:, 0::2] = np.sin(position * div_term)
        self.pe[:, 1::2] = np.cos(position * div_term)
        self.scale = np.sqrt(d_model)

    def forward(self, x):
        return x * self.scale + self.pe[:x.shape[1]]

    def backward(self, dout):
        return dout  # BUG: the input was scaled by sqrt(d_model) on the way in


@register("positional_encoding", bug="extra-batch-mean", note="dW averaged over the batch where it is a sum")
class LearnedPositionalEncodingBatchMean:
    def __init__(self, W):
        self.W = W
        self.dW = None

    def forward(self, x):
        return x + self.W[None, :x.shape[1]]

    def backward(self, dout):
        self.dW = np.zeros_like(self.W)
        self.dW[:dout.shape[1]] = dout.mean(axis=0)  # BUG: each sample adds its own share: a sum
        return dout


@register("kl_div_loss", bug="missing-batch-mean", note="dx without the 1 / N of the batch mean the loss takes")
class KLDivergenceNoBatchMean:
    def forward(self, y_pred, y_true):
        self.y_pred, self.y_true = y_pred, y_true
        return np.sum(y_true * np.log(y_true / y_pred)) / y_pred.shape[0]

    def backward(self, dout=1):
        return -dout * self.y_true / self.y_pred  # BUG: the loss is averaged over the batch


@register("kl_div_loss", bug="sign-flip", note="d/dq of -p log q written +p / q")
def kl_div_loss_sign(x, y):
    N = x.shape[0]
    loss = np.sum(y * (np.log(y) - np.log(x))) / N
    return loss, y / x / N  # BUG: the divergence falls as q grows towards p: the gradient is -p / q


@register("conv_transpose1d", bug="wrong-reduction", note="db summed over the batch only, not over the positions")
class ConvTranspose1dBiasPerPosition:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x):
        self.x = x
        N, C, L = x.shape
        _, F, k = self.W.shape
        s, p = self.stride, self.pad
        full = np.zeros((N, F, (L - 1) * s + k))
        for i in range(L):
            full[:, :, i * s:i * s + k] += np.einsum("nc,cfk->nfk", x[:, :, i], self.W)
        return full[:, :, p:full.shape[2] - p] + self.b[None, :, None]

    def backward(self, dout):
        N, C, L = self.x.shape
        _, F, k = self.W.shape
        s, p = self.stride, self.pad
        dfull = np.pad(dout, ((0, 0), (0, 0), (p, p)))
        dx = np.zeros_like(self.x)
        self.dW = np.zeros_like(self.W)
        for i in range(L):
            window = dfull[:, :, i * s:i * s + k]
            dx[:, :, i] = np.einsum("nfk,cfk->nc", window, self.W)
            self.dW += np.einsum("nc,nfk->cfk", self.x[:, :, i], window)
        self.db = dout.sum(axis=0)  # BUG: one bias per filter is added at every output position too
        return dx


def conv_transpose1d_forward(x, w, b, conv_param):
    s, p = conv_param.get("stride", 1), conv_param.get("pad", 0)
    N, C, L = x.shape
    _, F, k = w.shape
    full = np.zeros((N, F, (L - 1) * s + k))
    for i in range(L):
        full[:, :, i * s:i * s + k] += np.tensordot(x[:, :, i], w, axes=(1, 0))
    out = full[:, :, p:full.shape[2] - p] + b[None, :, None]
    return out, (x, w, b, conv_param)


def conv_transpose1d_backward_overwrites(dout, cache):
    x, w, b, conv_param = cache
    s, p = conv_param.get("stride", 1), conv_param.get("pad", 0)
    L, k = x.shape[2], w.shape[2]
    dfull = np.pad(dout, ((0, 0), (0, 0), (p, p)))
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for i in range(L):
        window = dfull[:, :, i * s:i * s + k]
        dx[:, :, i] = np.tensordot(window, w, axes=([1, 2], [1, 2]))
        dw = np.tensordot(x[:, :, i], window, axes=(0, 0))  # BUG: every input position adds to dw: +=
    return dx, dw, dout.sum(axis=(0, 2))


register_pair(conv_transpose1d_forward, conv_transpose1d_backward_overwrites, kind="conv_transpose1d",
              bug="dropped-term", name="conv_transpose1d_dw_overwritten",
              note="dw = where dw += belongs: only the last input position's share is kept")
