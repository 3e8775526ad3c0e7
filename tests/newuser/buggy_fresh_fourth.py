# A fourth set of one-bug layers in learners' own styles (axis slips, loops over windows, a GELU
# approximation), one mistake each; written for gradlab's new-user tests, not taken from any course.
import numpy as np


class LayerNorm:
    # BUG: couples-samples  (backward's means taken over the batch, axis 0, where forward normalised axis 1)
    def __init__(self, gamma, beta):
        self.gamma, self.beta = gamma, beta
        self.dgamma = self.dbeta = None

    def forward(self, x):
        self.mu = x.mean(axis=1, keepdims=True)
        self.inv = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
        self.xhat = (x - self.mu) * self.inv
        return self.gamma * self.xhat + self.beta

    def backward(self, dout):
        self.dgamma = np.sum(dout * self.xhat, axis=0)
        self.dbeta = np.sum(dout, axis=0)
        g = dout * self.gamma
        return self.inv * (g - g.mean(axis=0, keepdims=True)
                           - self.xhat * (g * self.xhat).mean(axis=0, keepdims=True))


class GELU:
    # BUG: mismatch  (tanh form's inner derivative written with 0.044715 where 3 * 0.044715 belongs)
    def forward(self, x):
        self.x = x
        self.u = np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)
        return 0.5 * x * (1.0 + np.tanh(self.u))

    def backward(self, dout):
        x, t = self.x, np.tanh(self.u)
        du = np.sqrt(2.0 / np.pi) * (1.0 + 0.044715 * x ** 2)
        return dout * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t ** 2) * du)


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    oh, ow = 1 + (H - ph) // s, 1 + (W - pw) // s
    out = np.empty((N, C, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    # BUG: misrouted  (each window's gradient given to its top-left element, not to its maximum)
    x, pool_param = cache
    s = pool_param["stride"]  # the window size is never read: the corner alone gets the gradient
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * s, j * s] += dout[:, :, i, j]
    return dx


def elu_forward(x):
    out = np.where(x > 0, x, np.exp(x) - 1.0)
    return out, x


def elu_backward(dout, cache):
    # BUG: dropped-term  (returned the local derivative alone: the upstream dout never multiplied in)
    x = cache
    return np.where(x > 0, 1.0, np.exp(x))
