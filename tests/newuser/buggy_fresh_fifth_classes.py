# A fifth held-out set, part four: class style as in the textbook ("Deep Learning from Scratch":
# forward(x) / backward(dout), W and dW as attributes, or the second volume's params / grads lists),
# one mistake each. Written for gradlab's new-user tests; labels chosen from DESIGN.md's vocabulary
# before any run.
import numpy as np


class Affine:
    # BUG: wrong-reduction  (db summed over axis 1, each sample's outputs, where it sums over the batch)
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.x = self.dW = self.db = None

    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b

    def backward(self, dout):
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=1)
        return np.dot(dout, self.W.T)


class Linear:
    # BUG: zero-gradient  (dW = self.grads[0] then dW = ... rebinds the local name: grads stay zero)
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        W, b = self.params
        self.x = x
        return x @ W + b

    def backward(self, dout):
        W, _ = self.params
        dW, db = self.grads
        dW = self.x.T @ dout
        db = dout.sum(axis=0)
        return dout @ W.T


class Sigmoid:
    # BUG: wrong-input  (the derivative exp(-z) / (1 + exp(-z))**2 evaluated at the output, not at x)
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        e = np.exp(-self.out)
        return dout * e / (1 + e) ** 2


class Tanh:
    # BUG: mismatch  (parenthesis slip: (1 - tanh(x))**2 where 1 - tanh(x)**2 belongs)
    def forward(self, x):
        self.x = x
        return np.tanh(x)

    def backward(self, dout):
        return dout * (1 - np.tanh(self.x)) ** 2


class LeakyRelu:
    # BUG: dropped-term  (negative side returns the slope itself: alpha where alpha * dout belongs)
    def __init__(self, alpha=0.01):
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, dout):
        return np.where(self.x > 0, dout, self.alpha)


class SoftmaxWithLoss:
    # BUG: non-finite  (softmax without subtracting the row maximum: exp overflows for large scores)
    def forward(self, x, t):
        self.t = t
        e = np.exp(x)
        self.y = e / np.sum(e, axis=1, keepdims=True)
        n = x.shape[0]
        if t.ndim == 1:
            return -np.sum(np.log(self.y[np.arange(n), t] + 1e-7)) / n
        return -np.sum(t * np.log(self.y + 1e-7)) / n

    def backward(self, dout=1):
        n = self.t.shape[0]
        dx = self.y.copy()
        if self.t.ndim == 1:
            dx[np.arange(n), self.t] -= 1
        else:
            dx -= self.t
        return dx * dout / n


class BatchNormalization:
    # BUG: mutates-input  (x -= mu centres the caller's own array in place)
    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = gamma, beta, eps
        self.dgamma = self.dbeta = None

    def forward(self, x, train_flg=True):
        mu = x.mean(axis=0)
        x -= mu
        self.xc = x
        self.std = np.sqrt(np.mean(x ** 2, axis=0) + self.eps)
        self.xn = x / self.std
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        n = dout.shape[0]
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum(dxn * self.xc / self.std ** 2, axis=0)
        dxc += self.xc / self.std * dstd / n
        return dxc - dxc.mean(axis=0)


class Dropout:
    # BUG: missing-mask  (inverted dropout's backward rescales dout but lets it through the dropped units)
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask / (1.0 - self.dropout_ratio)
        return x

    def backward(self, dout):
        return dout / (1.0 - self.dropout_ratio)


class Convolution:
    # BUG: extra-batch-mean  (db divided by the batch size: this layer's output is not a batch mean)
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad
        self.dW = self.db = None

    def forward(self, x):
        fn, c, fh, fw = self.W.shape
        n, _, h, w = x.shape
        p, s = self.pad, self.stride
        self.xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="constant")
        self.x_shape = x.shape
        oh, ow = (h + 2 * p - fh) // s + 1, (w + 2 * p - fw) // s + 1
        out = np.zeros((n, fn, oh, ow))
        for k in range(fn):
            for i in range(oh):
                for j in range(ow):
                    region = self.xp[:, :, i * s:i * s + fh, j * s:j * s + fw]
                    out[:, k, i, j] = np.sum(region * self.W[k], axis=(1, 2, 3)) + self.b[k]
        return out

    def backward(self, dout):
        fn, c, fh, fw = self.W.shape
        n = dout.shape[0]
        p, s = self.pad, self.stride
        dxp = np.zeros_like(self.xp)
        self.dW = np.zeros_like(self.W)
        self.db = dout.sum(axis=(0, 2, 3)) / n
        for k in range(fn):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    g = dout[:, k, i, j][:, None, None, None]
                    region = self.xp[:, :, i * s:i * s + fh, j * s:j * s + fw]
                    self.dW[k] += np.sum(g * region, axis=0)
                    dxp[:, :, i * s:i * s + fh, j * s:j * s + fw] += g * self.W[k]
        h, w = self.x_shape[2:]
        return dxp[:, :, p:p + h, p:p + w]


class Pooling:
    # BUG: misrouted  (every element of the window gets the window's gradient, not only its maximum)
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x):
        p, s = self.pad, self.stride
        self.xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), mode="constant")
        self.x_shape = x.shape
        n, c, h, w = self.xp.shape
        oh, ow = (h - self.pool_h) // s + 1, (w - self.pool_w) // s + 1
        out = np.zeros((n, c, oh, ow))
        for i in range(oh):
            for j in range(ow):
                region = self.xp[:, :, i * s:i * s + self.pool_h, j * s:j * s + self.pool_w]
                out[:, :, i, j] = region.max(axis=(2, 3))
        return out

    def backward(self, dout):
        p, s = self.pad, self.stride
        dxp = np.zeros_like(self.xp)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                g = dout[:, :, i, j][:, :, None, None]
                dxp[:, :, i * s:i * s + self.pool_h, j * s:j * s + self.pool_w] += g
        h, w = self.x_shape[2:]
        return dxp[:, :, p:p + h, p:p + w]


class LayerNorm:
    # BUG: wrong-reduction  (dgamma summed over axis 1, the features, leaving one value per sample)
    def __init__(self, gamma, beta):
        self.params = [gamma, beta]
        self.grads = [np.zeros_like(gamma), np.zeros_like(beta)]

    def forward(self, x):
        gamma, beta = self.params
        mu = np.mean(x, axis=-1, keepdims=True)
        self.rstd = 1.0 / np.sqrt(np.mean((x - mu) ** 2, axis=-1, keepdims=True) + 1e-6)
        self.xhat = (x - mu) * self.rstd
        return self.xhat * gamma + beta

    def backward(self, dout):
        gamma, _ = self.params
        d = dout.shape[-1]
        self.grads[0] = np.sum(dout * self.xhat, axis=1)
        self.grads[1] = np.sum(dout, axis=0)
        g = dout * gamma
        return self.rstd / d * (d * g - g.sum(-1, keepdims=True)
                                - self.xhat * (g * self.xhat).sum(-1, keepdims=True))


class MSELoss:
    # BUG: missing-batch-mean  (loss is the batch mean of 0.5 * ||y - t||^2, backward returns y - t)
    def forward(self, y, t):
        self.y, self.t = y, t
        return 0.5 * np.sum((y - t) ** 2) / y.shape[0]

    def backward(self, dout=1):
        return (self.y - self.t) * dout
