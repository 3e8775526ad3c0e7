"""CS231n-style models built from the layer functions of this file, written for gradlab's tests: the model
check carries a failing layer's own code up to the model, and a model whose swapped dW crashes is checked
again where its shapes fit. Each class docstring says its bug."""

import numpy as np


def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    flat = x.reshape(x.shape[0], -1)
    return (dout @ w.T).reshape(x.shape), flat.T @ dout, dout.sum(axis=0)


def affine_forward_swapped(x, w, b):
    return affine_forward(x, w, b)


def affine_backward_swapped(dout, cache):
    """The bug: dw is doutᵀ · x, the transpose of the right (D, M) gradient."""
    x, w = cache
    flat = x.reshape(x.shape[0], -1)
    return (dout @ w.T).reshape(x.shape), dout.T @ flat, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def relu_forward_passthrough(x):
    return np.maximum(x, 0), x


def relu_backward_passthrough(dout, cache):
    """The bug: the mask of forward is never applied."""
    return dout.copy()


def softmax_loss(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    N = scores.shape[0]
    d = np.exp(logp)
    d[np.arange(N), y] -= 1
    return -logp[np.arange(N), y].mean(), d / N


class TwoLayerNet:
    """affine - relu - affine - softmax from this file's layers, L2 penalty 0.5 * reg * sum(W**2): correct."""

    forward_affine, backward_affine = staticmethod(affine_forward), staticmethod(affine_backward)
    forward_relu, backward_relu = staticmethod(relu_forward), staticmethod(relu_backward)

    def __init__(self, input_dim=20, hidden_dim=10, num_classes=5, weight_scale=1e-2, reg=0.0):
        self.reg = reg
        self.params = {"W1": weight_scale * np.random.randn(input_dim, hidden_dim), "b1": np.zeros(hidden_dim),
                       "W2": weight_scale * np.random.randn(hidden_dim, num_classes), "b2": np.zeros(num_classes)}

    def loss(self, X, y=None):
        p = self.params
        a, c1 = self.forward_affine(X, p["W1"], p["b1"])
        h, c2 = self.forward_relu(a)
        scores, c3 = self.forward_affine(h, p["W2"], p["b2"])
        if y is None:
            return scores
        loss, d = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
        grads = {}
        dh, grads["W2"], grads["b2"] = self.backward_affine(d, c3)
        grads["W2"] += self.reg * p["W2"]
        da = self.backward_relu(dh, c2)
        _, grads["W1"], grads["b1"] = self.backward_affine(da, c1)
        grads["W1"] += self.reg * p["W1"]
        return loss, grads


class TwoLayerNetSwappedDW(TwoLayerNet):
    """Every dW transposed (affine_backward_swapped): `grads['W2'] += reg * W2` crashes on the shapes; where
    they fit, W2 and W1 are wrong (transposed), b1 and b2 right."""

    forward_affine, backward_affine = staticmethod(affine_forward_swapped), staticmethod(affine_backward_swapped)


class TwoLayerNetPassthroughRelu(TwoLayerNet):
    """The ReLU's backward lets every gradient through (relu_backward_passthrough): W1 and b1 wrong, and the layer
    fails its own check as missing-mask."""

    forward_relu, backward_relu = staticmethod(relu_forward_passthrough), staticmethod(relu_backward_passthrough)


def affine_relu_forward_passthrough(x, w, b):
    a, fc = affine_forward(x, w, b)
    out, rc = relu_forward_passthrough(a)
    return out, (fc, rc)


def affine_relu_backward_passthrough(dout, cache):
    fc, rc = cache
    return affine_backward(relu_backward_passthrough(dout, rc), fc)


class TwoLayerNetComposedPassthrough(TwoLayerNet):
    """The first layer through a composite (affine_relu_*_passthrough) whose ReLU lets every gradient through: the
    composite fails its own check only because of the ReLU it calls, which is the layer to name."""

    def loss(self, X, y=None):
        p = self.params
        h, c1 = affine_relu_forward_passthrough(X, p["W1"], p["b1"])
        scores, c2 = affine_forward(h, p["W2"], p["b2"])
        if y is None:
            return scores
        loss, d = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
        grads = {}
        dh, grads["W2"], grads["b2"] = affine_backward(d, c2)
        _, grads["W1"], grads["b1"] = affine_relu_backward_passthrough(dh, c1)
        grads["W2"] += self.reg * p["W2"]
        grads["W1"] += self.reg * p["W1"]
        return loss, grads


class TwoLayerNetBrokenNames(TwoLayerNet):
    """Crashes on a name, not on shapes (a typo in backward): reported as the crash, not checked again."""

    def loss(self, X, y=None):
        if y is None:
            return super().loss(X)
        return super().loss(X, y)[0], undefined_grads  # noqa: F821 - the bug


class TupleKeyedNet:
    """affine - relu - affine - softmax with its parameters keyed by tuples, params[('W', 1)], as one learner keys
    them: correct."""

    def __init__(self, input_dim=20, hidden_dim=10, num_classes=5, weight_scale=1e-2, reg=0.0):
        self.reg = reg
        self.params = {("W", 1): weight_scale * np.random.randn(input_dim, hidden_dim),
                       ("b", 1): np.zeros(hidden_dim),
                       ("W", 2): weight_scale * np.random.randn(hidden_dim, num_classes),
                       ("b", 2): np.zeros(num_classes)}

    def loss(self, X, y=None):
        p = self.params
        a, c1 = affine_forward(X, p["W", 1], p["b", 1])
        h, c2 = relu_forward(a)
        scores, c3 = affine_forward(h, p["W", 2], p["b", 2])
        if y is None:
            return scores
        loss, d = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(p["W", 1] ** 2) + np.sum(p["W", 2] ** 2))
        grads = {}
        dh, grads["W", 2], grads["b", 2] = affine_backward(d, c3)
        da = relu_backward(dh, c2)
        _, grads["W", 1], grads["b", 1] = affine_backward(da, c1)
        grads["W", 2] = grads["W", 2] + self.reg * p["W", 2]
        grads["W", 1] = grads["W", 1] + self.reg * p["W", 1] * self.w1_penalty_factor()
        return loss, grads

    def w1_penalty_factor(self):
        return 1.0


class TupleKeyedNetDoublePenaltyW1(TupleKeyedNet):
    """The penalty's gradient on ('W', 1) doubled: W1 wrong (mismatch), the rest right."""

    def w1_penalty_factor(self):
        return 2.0
