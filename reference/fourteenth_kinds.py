"""Correct layers of the kinds added in session 30 (layers the curriculum and learners' projects use): a positional
encoding added to a sequence (the transformer's sinusoidal table, and a learned one), the Kullback-Leibler divergence
loss (on probabilities and, as PyTorch's KLDivLoss, on log-probabilities) and a 1-D transposed convolution."""

import numpy as np

from gradlab.registry import register, register_pair


@register("positional_encoding")
class PositionalEncoding:
    """The transformer's fixed table, sines on even features and cosines on odd ones."""

    def __init__(self, d_model, max_len=64):
        position = np.arange(max_len)[:, None]
        div_term = np.exp(np.arange(0, d_model, 2) * (-np.log(10000.0) / d_model))
        self.pe = np.zeros((max_len, d_model))
        self.pe[:, 0::2] = np.sin(position * div_term)
        self.pe[:, 1::2] = np.cos(position * div_term)

    def forward(self, x):
        return x + self.pe[:x.shape[1]]

    def backward(self, dout):
        return dout  # the table is a constant


@register("positional_encoding", name="LearnedPositionalEncoding")
class LearnedPositionalEncoding:
    def __init__(self, W):
        self.W = W
        self.dW = None

    def forward(self, x):
        return x + self.W[None, :x.shape[1]]

    def backward(self, dout):
        self.dW = np.zeros_like(self.W)
        self.dW[:dout.shape[1]] = dout.sum(axis=0)  # every sample reads the same positions
        return dout


@register("kl_div_loss")
class KLDivergence:
    """On predicted probabilities: sum p log(p / q), averaged over the batch."""

    def forward(self, y_pred, y_true):
        self.y_pred, self.y_true = y_pred, y_true
        return np.sum(y_true * np.log(y_true / y_pred)) / y_pred.shape[0]

    def backward(self, dout=1):
        return -dout * self.y_true / self.y_pred / self.y_pred.shape[0]


@register("kl_div_loss", name="KLDivLoss")
class KLDivLoss:
    """PyTorch's convention: the input is log q already, reduction 'batchmean'."""

    def forward(self, x, t):
        self.t, self.batch = t, x.shape[0]
        return np.sum(t * (np.log(t) - x)) / self.batch

    def backward(self, dout=1.0):
        return -dout * self.t / self.batch


@register("kl_div_loss")
def kl_div_loss(x, y):
    """Function style: (loss, dx), x the predicted probabilities, y the target distribution."""
    N = x.shape[0]
    loss = np.sum(y * (np.log(y) - np.log(x))) / N
    return loss, -y / x / N


@register("conv_transpose1d")
class ConvTranspose1d:
    """PyTorch's layout: W (in_channels, out_channels, kernel_size)."""

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
        dfull = np.pad(dout, ((0, 0), (0, 0), (p, p)))  # the cropped border had no effect on the loss
        dx = np.zeros_like(self.x)
        self.dW = np.zeros_like(self.W)
        for i in range(L):
            window = dfull[:, :, i * s:i * s + k]  # (N, F, k): where x[:, :, i] spread its kernel
            dx[:, :, i] = np.einsum("nfk,cfk->nc", window, self.W)
            self.dW += np.einsum("nc,nfk->cfk", self.x[:, :, i], window)
        self.db = dout.sum(axis=(0, 2))
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


def conv_transpose1d_backward(dout, cache):
    x, w, b, conv_param = cache
    s, p = conv_param.get("stride", 1), conv_param.get("pad", 0)
    L, k = x.shape[2], w.shape[2]
    dfull = np.pad(dout, ((0, 0), (0, 0), (p, p)))
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for i in range(L):
        window = dfull[:, :, i * s:i * s + k]
        dx[:, :, i] = np.tensordot(window, w, axes=([1, 2], [1, 2]))
        dw += np.tensordot(x[:, :, i], window, axes=(0, 0))
    return dx, dw, dout.sum(axis=(0, 2))


register_pair(conv_transpose1d_forward, conv_transpose1d_backward, kind="conv_transpose1d")
