"""Correct class-style layers, in the manner of the textbook "Deep Learning from Scratch".

One class per layer: `forward` returns the output, `backward(dout)` returns `dx` and stores the
parameter gradients as attributes (`dW`, `db`, `dgamma`, `dbeta`). Loss layers take `forward(x, t)`
and `backward(dout=1)`. Data is batch first, images are (N, C, H, W).
"""

import numpy as np

from gradlab.registry import register


def _im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """(N, C, H, W) images -> (N*out_h*out_w, C*filter_h*filter_w) rows, one per window.

    Padding is with zeros (as in the textbook), for convolution and pooling alike.
    """
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1

    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w), dtype=input_data.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]

    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def _col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The adjoint of `_im2col`: windows back to images, summing where windows overlap."""
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)

    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), dtype=col.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            # += because overlapping windows (stride < filter size) reach the same pixel
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]

    return img[:, :, pad:H + pad, pad:W + pad]


def _sigmoid(x):
    # exp(-log(1 + exp(-x))) never overflows, unlike 1 / (1 + exp(-x)) for very negative x
    return np.exp(-np.logaddexp(0, -x))


@register("affine")
class Affine:
    """out = x @ W + b, with x of shape (N, d1, ..., dk) flattened to (N, D)."""

    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.original_x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        dx = dout @ self.W.T
        self.dW = self.x.T @ dout
        self.db = np.sum(dout, axis=0)
        return dx.reshape(self.original_x_shape)


@register("relu")
class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        # a multiply by the mask rather than `out[mask] = 0`: boolean indexing is ten times slower
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


@register("leaky_relu")
class LeakyRelu:
    """out = x for x > 0, alpha * x otherwise."""

    def __init__(self, alpha=0.01):
        self.alpha = alpha
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] *= self.alpha
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] *= self.alpha
        return dx


@register("sigmoid")
class Sigmoid:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = _sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out


@register("tanh")
class Tanh:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out ** 2)


@register("elu")
class ELU:
    """x where x > 0, alpha * (exp(x) - 1) elsewhere; its derivative there is out + alpha."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha
        self.out = self.mask = None

    def forward(self, x):
        self.mask = x > 0
        self.out = np.where(self.mask, x, self.alpha * np.expm1(np.minimum(x, 0)))
        return self.out

    def backward(self, dout):
        return dout * np.where(self.mask, 1.0, self.out + self.alpha)


@register("softplus")
class Softplus:
    """log(1 + exp(x)); its derivative is sigmoid(x)."""

    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        return np.logaddexp(0, x)

    def backward(self, dout):
        return dout * _sigmoid(self.x)


@register("swish")
class Swish:
    """out = x * sigmoid(x) (also called SiLU)."""

    def __init__(self):
        self.x = None
        self.s = None

    def forward(self, x):
        self.x = x
        self.s = _sigmoid(x)
        return x * self.s

    def backward(self, dout):
        # d(x s)/dx = s + x s (1 - s)
        return dout * self.s * (1.0 + self.x * (1.0 - self.s))


@register("softmax")
class Softmax:
    """Softmax over the last axis (the class axis); not a loss."""

    def __init__(self):
        self.out = None

    def forward(self, x):
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        self.out = e / np.sum(e, axis=-1, keepdims=True)
        return self.out

    def backward(self, dout):
        y = self.out
        # the Jacobian diag(y) - y y^T applied to dout, row by row
        return y * (dout - np.sum(dout * y, axis=-1, keepdims=True))


@register("softmax_with_loss")
class SoftmaxWithLoss:
    """Softmax followed by cross-entropy, averaged over the batch.

    `t` is one-hot (N, C) (or any rows of probabilities) or class indices (N,).
    """

    def __init__(self):
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = t
        shifted = x - np.max(x, axis=1, keepdims=True)
        log_y = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        self.y = np.exp(log_y)
        N = x.shape[0]
        if t.ndim == x.ndim:
            return -np.sum(t * log_y) / N
        return -np.sum(log_y[np.arange(N), t]) / N

    def backward(self, dout=1):
        N = self.y.shape[0]
        if self.t.ndim == self.y.ndim:
            dx = (self.y - self.t).astype(self.y.dtype)
        else:
            dx = self.y.copy()
            dx[np.arange(N), self.t] -= 1
        return dout * dx / N


@register("mse_loss")
class MeanSquaredError:
    """loss = sum((x - t) ** 2) / (2 N): half the squared error, summed per sample, averaged over the batch.

    Its gradient is dx = (x - t) / N.
    """

    def __init__(self):
        self.diff = None

    def forward(self, x, t):
        self.diff = x - t
        N = x.shape[0]
        return 0.5 * np.sum(self.diff ** 2) / N

    def backward(self, dout=1):
        N = self.diff.shape[0]
        return dout * self.diff / N


@register("batchnorm")
class BatchNormalization:
    """Batch normalisation over the batch axis, per feature.

    Input of more than two dimensions is flattened to (N, -1) as in the textbook, so `gamma` and
    `beta` then have one entry per C*H*W feature. In training mode the batch statistics are used
    and the running averages are updated (they are statistics, not parameters).
    """

    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.running_mean = running_mean
        self.running_var = running_var
        self.eps = 1e-7
        self.input_shape = None
        self.train_flg = None
        self.xn = None
        self.std = None
        self.dgamma = None
        self.dbeta = None

    def forward(self, x, train_flg=True):
        self.input_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        D = x.shape[1]
        if self.running_mean is None:
            self.running_mean = np.zeros(D, dtype=x.dtype)
            self.running_var = np.zeros(D, dtype=x.dtype)

        self.train_flg = train_flg
        if train_flg:
            mu = x.mean(axis=0)
            var = x.var(axis=0)
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
        else:
            mu = self.running_mean
            var = self.running_var

        self.std = np.sqrt(var + self.eps)
        self.xn = (x - mu) / self.std
        out = self.gamma * self.xn + self.beta
        return out.reshape(self.input_shape)

    def backward(self, dout):
        dout = dout.reshape(dout.shape[0], -1)
        N = dout.shape[0]
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        if self.train_flg:
            # mean and variance depend on x too: the two subtracted terms are their paths
            dx = (N * dxn - dxn.sum(axis=0) - self.xn * np.sum(dxn * self.xn, axis=0)) / (N * self.std)
        else:
            dx = dxn / self.std
        return dx.reshape(self.input_shape)


@register("dropout")
class Dropout:
    """Training: drop each unit with probability `dropout_ratio`; test: scale by the keep ratio."""

    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        self.mask = None
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        if self.mask is None:
            return dout * (1.0 - self.dropout_ratio)
        return dout * self.mask


@register("conv")
class Convolution:
    """2-D convolution (cross-correlation) of (N, C, H, W) input with W of shape (F, C, FH, FW)."""

    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.x_shape = None
        self.col = None
        self.col_W = None
        self.dW = None
        self.db = None

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1

        col = _im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = col @ col_W + self.b
        out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)

        self.x_shape = x.shape
        self.col = col
        self.col_W = col_W
        return out

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)

        self.db = np.sum(dout, axis=0)
        self.dW = (self.col.T @ dout).transpose(1, 0).reshape(FN, C, FH, FW)

        dcol = dout @ self.col_W.T
        return _col2im(dcol, self.x_shape, FH, FW, self.stride, self.pad)


@register("max_pool")
class Pooling:
    """Max pooling over pool_h x pool_w windows of (N, C, H, W) input; windows may overlap.

    Padding is with zeros (the textbook's im2col). On a tie the gradient goes to the first maximum.
    """

    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x_shape = None
        self.arg_max = None

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1
        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1

        col = _im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        self.arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1)
        out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

        self.x_shape = x.shape
        return out

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size), dtype=dout.dtype)
        dmax[np.arange(self.arg_max.size), self.arg_max] = dout.flatten()

        # rows of dmax are ordered (N, out_h, out_w, C); _col2im wants (N*out_h*out_w, C*pool_size)
        dcol = dmax.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        return _col2im(dcol, self.x_shape, self.pool_h, self.pool_w, self.stride, self.pad)


@register("embedding")
class Embedding:
    """out = W[idx] for integer indices of any shape; the indices themselves get no gradient."""

    def __init__(self, W):
        self.W = W
        self.idx = None
        self.dW = None

    def forward(self, idx):
        self.idx = idx
        return self.W[idx]

    def backward(self, dout):
        dW = np.zeros_like(self.W)
        # a repeated index collects the gradient of every position that used it
        np.add.at(dW, self.idx, dout)
        self.dW = dW
        return None
