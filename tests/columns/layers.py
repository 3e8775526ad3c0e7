"""Layers written for samples as columns, as a deeplearning.ai-style learner writes them from scratch.

x is (features, N); Z = W @ X + b with W (out, in) and b (out, 1) unless a layer says otherwise;
one-hot labels are (C, N), class indices (N,). Each correct layer has one-bug twins below it,
each with its `# gradlab: kind=...` comment and the bug code it must receive (`# BUG: <code>`).
Written for gradlab's tests; not a registry module.
"""

import numpy as np

# ------------------------------------------------------------------ affine


class Affine:
    """Z = W @ X + b, W (out, in), b (out, 1)."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, X):
        self.X = X
        return self.W @ X + self.b

    def backward(self, dZ):
        self.dW = dZ @ self.X.T
        self.db = dZ.sum(axis=1, keepdims=True)
        return self.W.T @ dZ


# gradlab: kind=affine
class AffineBiasOverSamplesAxis0(Affine):
    # BUG: wrong-reduction
    def backward(self, dZ):
        dx = super().backward(dZ)
        self.db = dZ.sum(axis=0)  # the row layout's habit: here axis 0 is the units, not the samples
        return dx


# gradlab: kind=affine
class AffineTransposedDW(Affine):
    # BUG: transposed
    def backward(self, dZ):
        dx = super().backward(dZ)
        self.dW = self.X @ dZ.T
        return dx


# gradlab: kind=affine
class AffineScalarDb(Affine):
    # BUG: wrong-reduction
    def backward(self, dZ):
        dx = super().backward(dZ)
        self.db = dZ.sum()
        return dx


# gradlab: kind=affine
class AffineRowDb(Affine):
    # BUG: transposed
    def backward(self, dZ):
        dx = super().backward(dZ)
        self.db = dZ.sum(axis=1, keepdims=True).T  # (1, M): a row where a column belongs
        return dx


# gradlab: kind=affine
class AffinePerSampleDb(Affine):
    # BUG: wrong-reduction
    def backward(self, dZ):
        dx = super().backward(dZ)
        self.db = dZ.copy()  # never summed over the samples
        return dx


class AffineInOut:
    """Z = W.T @ X + b with W (in, out): weights kept as gradlab keeps them."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, X):
        self.X = X
        return self.W.T @ X + self.b

    def backward(self, dZ):
        self.dW = self.X @ dZ.T
        self.db = dZ.sum(axis=1, keepdims=True)
        return self.W @ dZ


# gradlab: kind=affine
class AffineInOutTransposedDW(AffineInOut):
    # BUG: transposed
    def backward(self, dZ):
        dx = super().backward(dZ)
        self.dW = dZ @ self.X.T
        return dx


class Dense:
    """Builds its own parameters from the sizes: W (n_out, n_in), b (n_out, 1)."""

    def __init__(self, n_in, n_out):
        self.W = np.random.randn(n_out, n_in) * 0.01
        self.b = np.zeros((n_out, 1))

    def forward(self, A):
        self.A = A
        return self.W @ A + self.b

    def backward(self, dZ):
        self.dW = dZ @ self.A.T
        self.db = np.sum(dZ, axis=1, keepdims=True)
        return self.W.T @ dZ


def affine_forward(x, w, b):
    return w @ x + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return w.T @ dout, dout @ x.T, dout.sum(axis=1, keepdims=True)


# ------------------------------------------------------------------ activations


class Relu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


# gradlab: kind=relu
class ReluInPlace(Relu):
    # BUG: mutates-input
    def forward(self, x):
        self.mask = x <= 0
        x[self.mask] = 0
        return x


class Sigmoid:
    def forward(self, x):
        self.s = 1.0 / (1.0 + np.exp(-x))
        return self.s

    def backward(self, dout):
        return dout * self.s * (1.0 - self.s)


# gradlab: kind=sigmoid
class SigmoidSignFlip(Sigmoid):
    # BUG: sign-flip
    def backward(self, dout):
        return dout * self.s * (self.s - 1.0)


def tanh_forward(x):
    y = np.tanh(x)
    return y, y


def tanh_backward(dout, cache):
    return dout * (1.0 - cache ** 2)


# gradlab: kind=tanh
def tanh_flipped_forward(x):
    y = np.tanh(x)
    return y, y


# BUG: sign-flip
def tanh_flipped_backward(dout, cache):
    return dout * (cache ** 2 - 1.0)


class LeakyRelu:
    def __init__(self, alpha=0.01):
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, dout):
        return dout * np.where(self.x > 0, 1.0, self.alpha)


# gradlab: kind=leaky_relu
class LeakyReluSlopeEverywhere(LeakyRelu):
    # BUG: misrouted (the two slopes swapped: the right values on the wrong sides)
    def backward(self, dout):
        return dout * np.where(self.x > 0, self.alpha, 1.0)


class Swish:
    def forward(self, x):
        self.x, self.s = x, 1.0 / (1.0 + np.exp(-x))
        return x * self.s

    def backward(self, dout):
        return dout * (self.s + self.x * self.s * (1.0 - self.s))


# gradlab: kind=swish
class SwishOnlySigmoid(Swish):
    # BUG: dropped-term
    def backward(self, dout):
        return dout * self.s


# ------------------------------------------------------------------ softmax


class Softmax:
    """Over the classes: axis 0."""

    def forward(self, z):
        e = np.exp(z - z.max(axis=0, keepdims=True))
        self.p = e / e.sum(axis=0, keepdims=True)
        return self.p

    def backward(self, dout):
        return self.p * (dout - (dout * self.p).sum(axis=0, keepdims=True))


# gradlab: kind=softmax
class SoftmaxDiagonalOnly(Softmax):
    # BUG: dropped-term
    def backward(self, dout):
        return dout * self.p * (1.0 - self.p)


# gradlab: kind=softmax
class SoftmaxOverSamples:
    # BUG: couples-samples
    def forward(self, z):
        e = np.exp(z - z.max(axis=1, keepdims=True))  # the row layout's axis: here it runs over the samples
        self.p = e / e.sum(axis=1, keepdims=True)
        return self.p

    def backward(self, dout):
        return self.p * (dout - (dout * self.p).sum(axis=1, keepdims=True))


# ------------------------------------------------------------------ losses


class SoftmaxWithLoss:
    """Mean cross-entropy over the N columns; labels one-hot (C, N) or indices (N,)."""

    def forward(self, Z, Y):
        if Y.ndim == 1:
            Y = np.eye(Z.shape[0])[:, Y]
        self.Y = Y
        shifted = Z - Z.max(axis=0, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
        self.P = np.exp(log_p)
        return -np.sum(Y * log_p) / Z.shape[1]

    def backward(self, dout=1):
        return dout * (self.P - self.Y) / self.Y.shape[1]


# gradlab: kind=softmax_with_loss
class SoftmaxWithLossNoMean(SoftmaxWithLoss):
    # BUG: missing-batch-mean
    def backward(self, dout=1):
        return dout * (self.P - self.Y)


def softmax_loss(x, y):
    """x (C, N), y (N,) class indices."""
    N = x.shape[1]
    shifted = x - x.max(axis=0, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    dx = np.exp(log_p)
    dx[y, np.arange(N)] -= 1.0
    return -log_p[y, np.arange(N)].mean(), dx / N


def svm_loss(x, y):
    """x (C, N), y (N,): the multiclass hinge loss, averaged over the N columns."""
    N = x.shape[1]
    correct = x[y, np.arange(N)]
    margins = np.maximum(0.0, x - correct + 1.0)
    margins[y, np.arange(N)] = 0.0
    positive = (margins > 0).astype(float)
    positive[y, np.arange(N)] -= positive.sum(axis=0)
    return margins.sum() / N, positive / N


# gradlab: kind=svm_loss
def svm_loss_no_correct_class_term(x, y):
    # BUG: dropped-term
    N = x.shape[1]
    correct = x[y, np.arange(N)]
    margins = np.maximum(0.0, x - correct + 1.0)
    margins[y, np.arange(N)] = 0.0
    return margins.sum() / N, (margins > 0).astype(float) / N


class MSELoss:
    """0.5 * sum((y - t)^2) / N over the N columns."""

    def forward(self, y, t):
        self.diff = y - t
        return 0.5 * np.sum(self.diff ** 2) / y.shape[1]

    def backward(self, dout=1):
        return dout * self.diff / self.diff.shape[1]


# gradlab: kind=mse_loss
class MSELossWithoutHalf(MSELoss):
    # BUG: scaled
    def forward(self, y, t):
        self.diff = y - t
        return np.sum(self.diff ** 2) / y.shape[1]


# ------------------------------------------------------------------ normalisation and dropout


class BatchNormalization:
    """Normalises each feature (row) over the samples (axis 1); gamma and beta are columns (D, 1)."""

    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = gamma, beta, eps

    def forward(self, x, train_flg=True):
        self.xc = x - x.mean(axis=1, keepdims=True)
        self.std = np.sqrt((self.xc ** 2).mean(axis=1, keepdims=True) + self.eps)
        self.xn = self.xc / self.std
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        self.dbeta = dout.sum(axis=1, keepdims=True)
        self.dgamma = (dout * self.xn).sum(axis=1, keepdims=True)
        dxn = dout * self.gamma
        return (dxn - dxn.mean(axis=1, keepdims=True)
                - self.xn * (dxn * self.xn).mean(axis=1, keepdims=True)) / self.std


# gradlab: kind=batchnorm
class BatchNormNoMeanPath(BatchNormalization):
    # BUG: dropped-term
    def backward(self, dout):
        super().backward(dout)
        return dout * self.gamma / self.std


# gradlab: kind=batchnorm
class BatchNormFlatParams:
    """gamma and beta kept as flat (D,) vectors, made columns where they are used."""

    def __init__(self, gamma, beta):
        if np.ndim(gamma) != 1:
            raise ValueError("gamma must be a vector")
        self.gamma, self.beta = gamma, beta

    def forward(self, x, train_flg=True):
        self.xc = x - x.mean(axis=1, keepdims=True)
        self.std = np.sqrt((self.xc ** 2).mean(axis=1, keepdims=True) + 1e-5)
        self.xn = self.xc / self.std
        return self.gamma[:, None] * self.xn + self.beta[:, None]

    def backward(self, dout):
        self.dbeta = dout.sum(axis=1)
        self.dgamma = (dout * self.xn).sum(axis=1)
        dxn = dout * self.gamma[:, None]
        return (dxn - dxn.mean(axis=1, keepdims=True)
                - self.xn * (dxn * self.xn).mean(axis=1, keepdims=True)) / self.std


def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    xc = x - x.mean(axis=1, keepdims=True)
    std = np.sqrt((xc ** 2).mean(axis=1, keepdims=True) + eps)
    xn = xc / std
    return gamma * xn + beta, (xn, gamma, std)


def batchnorm_backward(dout, cache):
    xn, gamma, std = cache
    dxn = dout * gamma
    dx = (dxn - dxn.mean(axis=1, keepdims=True) - xn * (dxn * xn).mean(axis=1, keepdims=True)) / std
    return dx, (dout * xn).sum(axis=1, keepdims=True), dout.sum(axis=1, keepdims=True)


class Dropout:
    """Inverted dropout with a drop ratio."""

    def __init__(self, dropout_ratio=0.5):
        self.ratio = dropout_ratio

    def forward(self, x, train_flg=True):
        self.mask = (np.random.rand(*x.shape) > self.ratio) / (1.0 - self.ratio)
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


# gradlab: kind=dropout
class DropoutForgetsScale(Dropout):
    # BUG: scaled
    def backward(self, dout):
        return dout * (self.mask > 0)


# ------------------------------------------------------------------ batch-first kinds: the layout does not apply


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b = W, b

    def forward(self, x):
        return x

    def backward(self, dout):
        return dout
