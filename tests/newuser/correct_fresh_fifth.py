# Correct layers written in unusual but right ways (symmetry tricks, masks read from the output,
# einsum, log-sum-exp, gradients taken before an in-backward update), for gradlab's new-user tests:
# every one must pass. Written for these tests, not taken from any course.
import numpy as np


def sigmoid_forward(x):
    out = 1.0 / (1.0 + np.exp(-x))
    return out, x


def sigmoid_backward(dout, cache):
    # s(-x) * (1 - s(-x)) equals s(x) * (1 - s(x)): the "wrong sign" in exp is harmless here
    x = cache
    s = 1.0 / (1.0 + np.exp(x))
    return dout * s * (1.0 - s)


class LeakyRelu:
    # the mask read from the output: out > 0 exactly where x > 0 for a positive slope
    def __init__(self, alpha=0.2):
        self.alpha = alpha

    def forward(self, x):
        self.out = np.maximum(x, self.alpha * x)
        return self.out

    def backward(self, dout):
        return np.where(self.out > 0, dout, self.alpha * dout)


def softmax_loss(x, y):
    n = x.shape[0]
    lse = np.log(np.sum(np.exp(x - x.max(axis=1, keepdims=True)), axis=1)) + x.max(axis=1)
    loss = np.mean(lse - x[np.arange(n), y])
    dx = np.exp(x - lse[:, None])
    np.subtract.at(dx, (np.arange(n), y), 1.0)
    return loss, dx / n


def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    if bn_param["mode"] != "train":
        rm = bn_param.get("running_mean", np.zeros(x.shape[1]))
        rv = bn_param.get("running_var", np.ones(x.shape[1]))
        return gamma * (x - rm) / np.sqrt(rv + eps) + beta, None
    mu = np.einsum("nd->d", x) / x.shape[0]
    xc = x - mu
    var = np.einsum("nd,nd->d", xc, xc) / x.shape[0]
    xhat = xc / np.sqrt(var + eps)
    return gamma * xhat + beta, (xhat, gamma, var + eps)


def batchnorm_backward(dout, cache):
    xhat, gamma, ve = cache
    n = dout.shape[0]
    dbeta = np.einsum("nd->d", dout)
    dgamma = np.einsum("nd,nd->d", dout, xhat)
    dx = (gamma / np.sqrt(ve) / n) * (n * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    n, c, h, w = x.shape
    oh, ow = (h - ph) // s + 1, (w - pw) // s + 1
    out = np.empty((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[..., i, j] = np.amax(x[..., i * s:i * s + ph, j * s:j * s + pw], axis=(-2, -1))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    # the first maximum of each window only, its position unravelled with the window's own shape
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for idx in np.ndindex(*dout.shape):
        a, ch, i, j = idx
        window = x[a, ch, i * s:i * s + ph, j * s:j * s + pw]
        r, q = np.unravel_index(np.argmax(window), window.shape)
        dx[a, ch, i * s + r, j * s + q] += dout[idx]
    return dx


def svm_loss_vectorized(W, X, y, reg):
    n = X.shape[0]
    scores = X @ W
    margins = scores - np.take_along_axis(scores, y[:, None], axis=1) + 1.0
    margins[np.arange(n), y] = 0.0
    active = margins > 0
    loss = np.sum(margins[active]) / n + reg * np.sum(W ** 2)
    coeff = active.astype(X.dtype)
    np.add.at(coeff, (np.arange(n), y), -active.sum(axis=1))
    return loss, X.T @ coeff / n + 2 * reg * W


class Dense:
    # the gradient for the input is taken before the in-place update, so the update is harmless
    def __init__(self, n_in, n_out):
        self.weights = np.random.randn(n_in, n_out) * 0.1
        self.bias = np.zeros((1, n_out))

    def forward(self, input):
        self.input = input
        return input @ self.weights + self.bias

    def backward(self, output_gradient, learning_rate):
        input_gradient = output_gradient @ self.weights.T
        self.weights = self.weights - learning_rate * (self.input.T @ output_gradient)
        self.bias = self.bias - learning_rate * output_gradient.sum(axis=0, keepdims=True)
        return input_gradient


class Dropout:
    # the stored mask already carries the 1 / (1 - ratio) scale, so backward multiplies by it alone
    def __init__(self, dropout_ratio=0.3):
        self.dropout_ratio = dropout_ratio

    def forward(self, x, train_flg=True):
        if not train_flg:
            return x
        keep = 1.0 - self.dropout_ratio
        self.mask = (np.random.rand(*x.shape) < keep) / keep
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


def avg_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    n, c, h, w = x.shape
    oh, ow = (h - ph) // s + 1, (w - pw) // s + 1
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].sum(axis=(2, 3)) / (ph * pw)
    return out, (x.shape, pool_param)


def avg_pool_backward_naive(dout, cache):
    shape, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros(shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            g = dout[:, :, i:i + 1, j:j + 1] / (ph * pw)
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += np.broadcast_to(g, g.shape[:2] + (ph, pw))
    return dx


class Affine:
    # N-D input flattened for the product, dx reshaped back; dW by einsum over the batch
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.shape = x.shape
        self.x2 = x.reshape(len(x), -1)
        return self.x2 @ self.W + self.b

    def backward(self, dout):
        self.dW = np.einsum("ni,nj->ij", self.x2, dout)
        self.db = dout.sum(0)
        return (dout @ self.W.T).reshape(*self.shape)


class Tanh:
    # dout - dout * y**2 on a fresh array: the same derivative, rearranged
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        dx = dout.copy()
        dx -= dout * self.y * self.y
        return dx


def linear_forward(A, W, b):
    return W @ A + b, (A, W, b)


def linear_backward(dZ, cache):
    # deeplearning.ai's convention: dW and db are means over the m columns
    A_prev, W, _ = cache
    m = dZ.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m, dZ.mean(axis=1, keepdims=True)
