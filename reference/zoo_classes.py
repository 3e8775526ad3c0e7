"""Buggy class-style layers (affine, activations, losses): one real student mistake each.

Every class is a plain copy of its correct counterpart in `classes.py` with ONE bug, registered
with the bug code gradlab must diagnose. Comments mark the bug; nothing else differs.
Convolution, pooling, batch norm, dropout and embedding variants live in `zoo_classes_conv.py`.
"""

import numpy as np

from gradlab.registry import register


def _sigmoid(x):
    return np.exp(-np.logaddexp(0, -x))


@register("affine", bug="transposed", note="dW = dout.T @ x")
class AffineTransposedDW:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.x = self.x_shape = self.dW = self.db = None

    def forward(self, x):
        self.x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        dx = dout @ self.W.T
        self.dW = dout.T @ self.x  # BUG: the product in the wrong order gives W's transpose
        self.db = np.sum(dout, axis=0)
        return dx.reshape(self.x_shape)


@register("affine", bug="wrong-reduction", note="db = np.sum(dout): summed over all axes")
class AffineBiasSummedOverAll:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.x = self.x_shape = self.dW = self.db = None

    def forward(self, x):
        self.x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        dx = dout @ self.W.T
        self.dW = self.x.T @ dout
        self.db = np.sum(dout)  # BUG: axis=0 forgotten, so the bias gradient is one number
        return dx.reshape(self.x_shape)


@register("affine", bug="wrong-shape", note="dx of a 4-D input returned as (N, D)")
class AffineDxNotReshaped:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.x = self.dW = self.db = None

    def forward(self, x):
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        dx = dout @ self.W.T
        self.dW = self.x.T @ dout
        self.db = np.sum(dout, axis=0)
        return dx  # BUG: not reshaped back to the (N, C, H, W) shape of the input


@register("affine", bug="extra-batch-mean", note="dW and db divided by N although the loss already did")
class AffineDividesByBatch:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.x = self.x_shape = self.dW = self.db = None

    def forward(self, x):
        self.x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        N = dout.shape[0]
        dx = dout @ self.W.T
        self.dW = self.x.T @ dout / N  # BUG: the loss layer's dout already carries the 1/N
        self.db = np.sum(dout, axis=0) / N  # BUG: same
        return dx.reshape(self.x_shape)


@register("affine", bug="zero-gradient", note="backward never writes dW")
class AffineNeverWritesDW:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.x = self.x_shape = self.dW = self.db = None

    def forward(self, x):
        self.x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        dx = dout @ self.W.T
        dW = self.x.T @ dout  # BUG: computed into a local, self.dW stays None
        self.db = np.sum(dout, axis=0)
        return dx.reshape(self.x_shape)


@register("affine", bug="stale-parameters", note="W updated inside backward before dx is computed")
class AffineUpdatesInBackward:
    def __init__(self, W, b, lr=0.1):
        self.W, self.b, self.lr = W, b, lr
        self.x = self.x_shape = self.dW = self.db = None

    def forward(self, x):
        self.x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = np.sum(dout, axis=0)
        self.W -= self.lr * self.dW  # BUG: an SGD step inside backward, and dx then uses the new W
        dx = dout @ self.W.T
        return dx.reshape(self.x_shape)


@register("affine", bug="couples-samples", note="x centred by the batch mean before the product")
class AffineCentresBatch:
    """Gradients are consistent with the forward; the bug is that samples are mixed at all."""

    def __init__(self, W, b):
        self.W, self.b = W, b
        self.xc = self.x_shape = self.dW = self.db = None

    def forward(self, x):
        self.x_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        self.xc = x - x.mean(axis=0)  # BUG: every output now depends on the whole batch
        return self.xc @ self.W + self.b

    def backward(self, dout):
        dxc = dout @ self.W.T
        self.dW = self.xc.T @ dout
        self.db = np.sum(dout, axis=0)
        return (dxc - dxc.mean(axis=0)).reshape(self.x_shape)


@register("relu", bug="mutates-input", note="forward zeroes the negatives of x in place")
class ReluInPlace:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        x[self.mask] = 0  # BUG: writes into the caller's array instead of a copy
        return x

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


@register("leaky_relu", bug="misrouted", note="the slope alpha applied on the positive side in backward")
class LeakyReluSlopeOnWrongSide:
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
        dx[~self.mask] *= self.alpha  # BUG: the slope belongs to the negative side
        return dx


@register("sigmoid", bug="mismatch", note="ReLU's backward pasted into a sigmoid")
class SigmoidWithReluBackward:
    def __init__(self):
        self.x = self.out = None

    def forward(self, x):
        self.x = x
        self.out = _sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * (self.x > 0)  # BUG: the derivative of another function entirely


@register("tanh", bug="sign-flip", note="1 - y**2 written as y**2 - 1")
class TanhSignFlip:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (self.out ** 2 - 1.0)  # BUG: the derivative is 1 - y**2


@register("tanh", bug="crashed", note="backward reads an attribute forward never set")
class TanhForgetsCache:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.y ** 2)  # BUG: forward stored self.out, not self.y


@register("swish", bug="dropped-term", note="d(x s)/dx taken as s: the x s (1 - s) branch is missing")
class SwishDropsProductBranch:
    def __init__(self):
        self.x = self.s = None

    def forward(self, x):
        self.x = x
        self.s = _sigmoid(x)
        return x * self.s

    def backward(self, dout):
        return dout * self.s  # BUG: product rule with one branch: s' x is missing


@register("softmax", bug="dropped-term", note="only the diagonal of the Jacobian diag(y) - y y^T")
class SoftmaxDiagonalOnly:
    def __init__(self):
        self.out = None

    def forward(self, x):
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        self.out = e / np.sum(e, axis=-1, keepdims=True)
        return self.out

    def backward(self, dout):
        y = self.out
        return dout * y * (1.0 - y)  # BUG: the sigmoid-like diagonal; the -y_i y_j terms are dropped


@register("softmax_with_loss", bug="missing-batch-mean", note="forward divides by N, backward does not")
class SoftmaxWithLossNoMeanInBackward:
    def __init__(self):
        self.y = self.t = None

    def forward(self, x, t):
        self.t = t if t.ndim == 2 else np.eye(x.shape[1])[t]
        shifted = x - np.max(x, axis=1, keepdims=True)
        self.y = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
        return -np.sum(self.t * np.log(self.y + 1e-7)) / x.shape[0]

    def backward(self, dout=1):
        return dout * (self.y - self.t)  # BUG: the forward's 1/N is missing


@register("softmax_with_loss", bug="sign-flip", note="dx = t - y")
class SoftmaxWithLossSignFlip:
    def __init__(self):
        self.y = self.t = None

    def forward(self, x, t):
        self.t = t if t.ndim == 2 else np.eye(x.shape[1])[t]
        shifted = x - np.max(x, axis=1, keepdims=True)
        self.y = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
        return -np.sum(self.t * np.log(self.y + 1e-7)) / x.shape[0]

    def backward(self, dout=1):
        return dout * (self.t - self.y) / self.t.shape[0]  # BUG: the gradient is y - t


@register("softmax_with_loss", bug="non-finite", note="exp(x) without subtracting the row maximum")
class SoftmaxWithLossNoMaxShift:
    def __init__(self):
        self.y = self.t = None

    def forward(self, x, t):
        self.t = t if t.ndim == 2 else np.eye(x.shape[1])[t]
        e = np.exp(x)  # BUG: overflows to inf for logits near 1000, and inf / inf is NaN
        self.y = e / np.sum(e, axis=1, keepdims=True)
        return -np.sum(self.t * np.log(self.y + 1e-7)) / x.shape[0]

    def backward(self, dout=1):
        return dout * (self.y - self.t) / self.t.shape[0]


@register("mse_loss", bug="scaled", note="loss without the 1/2, gradient as if it had it")
class MeanSquaredErrorMissingFactor2:
    def __init__(self):
        self.diff = None

    def forward(self, x, t):
        self.diff = x - t
        return np.sum(self.diff ** 2) / x.shape[0]

    def backward(self, dout=1):
        return dout * self.diff / self.diff.shape[0]  # BUG: d(diff**2) = 2 diff, the 2 is missing


@register("elu", bug="scaled", note="dx doubled")
class ELUDoubled:
    def __init__(self, alpha=1.0):
        self.alpha = alpha
        self.out = self.mask = None

    def forward(self, x):
        self.mask = x > 0
        self.out = np.where(self.mask, x, self.alpha * np.expm1(np.minimum(x, 0)))
        return self.out

    def backward(self, dout):
        return 2.0 * dout * np.where(self.mask, 1.0, self.out + self.alpha)  # BUG: a stray factor 2


@register("softplus", bug="sign-flip", note="dx = -dout * sigmoid(x)")
class SoftplusSignFlip:
    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        return np.logaddexp(0, x)

    def backward(self, dout):
        return -dout / (1.0 + np.exp(-self.x))  # BUG: the sign
