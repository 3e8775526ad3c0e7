# A fifth held-out set, part nine: more styles in one file (an activation base class taking the function
# and its derivative, a dense layer with samples as columns updating itself in backward, CS231n
# recurrent steps, a ReLU that keeps its first mask), one mistake each. Written for gradlab's new-user
# tests without reading gradlab's zoo; labels chosen from DESIGN.md's vocabulary before any run.
import numpy as np


class Activation:
    def __init__(self, activation, activation_prime):
        self.activation = activation
        self.activation_prime = activation_prime

    def forward(self, input):
        self.input = input
        return self.activation(input)

    def backward(self, output_gradient, learning_rate):
        return np.multiply(output_gradient, self.activation_prime(self.input))


class Sigmoid(Activation):
    # BUG: dropped-term  (sigmoid' written as exp(-x) / (1 + exp(-x)) = 1 - y: the factor y of y * (1 - y) left out)
    def __init__(self):
        def sigmoid(x):
            return 1 / (1 + np.exp(-x))

        def sigmoid_prime(x):
            return np.exp(-x) / (1 + np.exp(-x))

        super().__init__(sigmoid, sigmoid_prime)


class Dense:
    # BUG: stale-parameters  (weights updated before the input gradient is taken: it uses the new weights)
    def __init__(self, input_size, output_size):
        self.weights = np.random.randn(output_size, input_size)
        self.bias = np.random.randn(output_size, 1)

    def forward(self, input):
        self.input = input
        return np.dot(self.weights, self.input) + self.bias

    def backward(self, output_gradient, learning_rate):
        weights_gradient = np.dot(output_gradient, self.input.T)
        self.weights -= learning_rate * weights_gradient
        self.bias -= learning_rate * np.sum(output_gradient, axis=1, keepdims=True)
        return np.dot(self.weights.T, output_gradient)


class Relu:
    # BUG: misrouted  (the mask is computed on the first forward only: later inputs reuse a stale mask)
    def __init__(self):
        self.mask = None

    def forward(self, x):
        if self.mask is None:
            self.mask = x <= 0
        out = x.copy()
        out[x <= 0] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    # BUG: transposed  (x.T of the N-D input reverses all its axes: dw comes out in transposed positions)
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = (x.T @ dout).reshape(w.shape)
    db = dout.sum(axis=0)
    return dx, dw, db


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(np.dot(x, Wx) + np.dot(prev_h, Wh) + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    # BUG: zero-gradient  (dprev_h left as zeros: the path to the previous hidden state never computed)
    x, prev_h, Wx, Wh, next_h = cache
    dz = dnext_h * (1 - next_h ** 2)
    dx = np.dot(dz, Wx.T)
    dprev_h = np.zeros_like(prev_h)
    dWx = np.dot(x.T, dz)
    dWh = np.dot(prev_h.T, dz)
    db = np.sum(dz, axis=0)
    return dx, dprev_h, dWx, dWh, db


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x.dot(Wx) + prev_h.dot(Wh) + b
    i = 1 / (1 + np.exp(-a[:, :H]))
    f = 1 / (1 + np.exp(-a[:, H:2 * H]))
    o = 1 / (1 + np.exp(-a[:, 2 * H:3 * H]))
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    # BUG: mismatch  (the g gate's tanh' written as 1 - g where 1 - g**2 belongs)
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    t = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1 - t * t)
    da = np.concatenate([dc * g * i * (1 - i), dc * prev_c * f * (1 - f),
                         dnext_h * t * o * (1 - o), dc * i * (1 - g)], axis=1)
    return da.dot(Wx.T), da.dot(Wh.T), dc * f, x.T.dot(da), prev_h.T.dot(da), da.sum(axis=0)


def conv_forward_naive(x, w, b, conv_param):
    S, P = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
    Ho, Wo = 1 + (H + 2 * P - HH) // S, 1 + (W + 2 * P - WW) // S
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    out[n, f, i, j] = np.sum(xp[n, :, i * S:i * S + HH, j * S:j * S + WW] * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    # BUG: dropped-term  (dw[f] = ... inside the loops where += belongs: only the last position's share is kept)
    x, w, b, conv_param = cache
    S, P = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (P, P), (P, P)))
    dxp, dw, db = np.zeros_like(xp), np.zeros_like(w), dout.sum(axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = xp[n, :, i * S:i * S + HH, j * S:j * S + WW]
                    dw[f] = dout[n, f, i, j] * window
                    dxp[n, :, i * S:i * S + HH, j * S:j * S + WW] += dout[n, f, i, j] * w[f]
    return dxp[:, :, P:P + H, P:P + W], dw, db


def mse_loss(x, y):
    # BUG: scaled  (loss is the mean of (x - y)**2 over every element, its gradient lost the 2)
    loss = np.mean((x - y) ** 2)
    return loss, (x - y) / x.size
