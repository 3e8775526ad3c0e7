"""CS231n-style models (`model.params`, `model.loss(X, y) -> (loss, grads)`), written for gradlab's tests:
a correct TwoLayerNet and FullyConnectedNet, and variants with one bug each (the class docstring says which)."""

import numpy as np


def _softmax_loss(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    N = scores.shape[0]
    loss = -log_probs[np.arange(N), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1
    return loss, dscores / N


class TwoLayerNet:
    """affine - relu - affine - softmax, with L2 regularisation 0.5 * reg * sum(W**2)."""

    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.reg = reg
        self.params = {
            "W1": weight_scale * np.random.randn(input_dim, hidden_dim), "b1": np.zeros(hidden_dim),
            "W2": weight_scale * np.random.randn(hidden_dim, num_classes), "b2": np.zeros(num_classes),
        }

    def scores_and_cache(self, X):
        p = self.params
        x = X.reshape(X.shape[0], -1)
        pre = x @ p["W1"] + p["b1"]
        h = np.maximum(0, pre)
        return h @ p["W2"] + p["b2"], (x, pre, h)

    def loss(self, X, y=None):
        scores, (x, pre, h) = self.scores_and_cache(X)
        if y is None:
            return scores
        p, reg = self.params, self.reg
        loss, dscores = _softmax_loss(scores, y)
        loss += 0.5 * reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
        grads = {"W2": h.T @ dscores + reg * p["W2"], "b2": dscores.sum(axis=0)}
        dh = dscores @ p["W2"].T
        dpre = dh * (pre > 0)
        grads["W1"] = x.T @ dpre + self.weight_decay_of_W1()
        grads["b1"] = dpre.sum(axis=0)
        return loss, self.finish(grads, dscores)

    def weight_decay_of_W1(self):
        return self.reg * self.params["W1"]

    def finish(self, grads, dscores):
        return grads


class TwoLayerNetForgetsRegInW1(TwoLayerNet):
    """dW1 lacks reg * W1: W1 is wrong (dropped-term), everything else right; origin W1."""

    def weight_decay_of_W1(self):
        return 0.0


class TwoLayerNetBiasOverClasses(TwoLayerNet):
    """db2 summed over the classes instead of the batch: b2 is wrong (wrong-reduction); origin b2."""

    def finish(self, grads, dscores):
        grads["b2"] = dscores.sum(axis=1)
        return grads


class TwoLayerNetInvertedReluMask(TwoLayerNet):
    """The ReLU mask is inverted in backward: W1 and b1 wrong, W2 and b2 right; origin W1."""

    def loss(self, X, y=None):
        if y is None:
            return super().loss(X)
        scores, (x, pre, h) = self.scores_and_cache(X)
        loss, grads = super().loss(X, y)
        _, dscores = _softmax_loss(scores, y)
        dpre = (dscores @ self.params["W2"].T) * (pre <= 0)
        grads["W1"] = x.T @ dpre + self.reg * self.params["W1"]
        grads["b1"] = dpre.sum(axis=0)
        return loss, grads


class FullyConnectedNet:
    """{affine - relu} x (L - 1) - affine - softmax, L2 regularisation on every weight."""

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, reg=0.0, weight_scale=1e-2,
                 dtype=np.float32, seed=None):
        self.reg, self.dtype = reg, dtype
        self.num_layers = 1 + len(hidden_dims)
        dims = [input_dim, *hidden_dims, num_classes]
        self.params = {}
        for i in range(self.num_layers):
            self.params[f"W{i + 1}"] = (weight_scale * np.random.randn(dims[i], dims[i + 1])).astype(dtype)
            self.params[f"b{i + 1}"] = np.zeros(dims[i + 1], dtype=dtype)

    def loss(self, X, y=None):
        a = X.astype(self.dtype).reshape(X.shape[0], -1)
        caches = []
        for i in range(1, self.num_layers + 1):
            z = a @ self.params[f"W{i}"] + self.params[f"b{i}"]
            caches.append((a, z))
            a = np.maximum(0, z) if i < self.num_layers else z
        if y is None:
            return a
        loss, dout = _softmax_loss(a, y)
        grads = {}
        for i in range(self.num_layers, 0, -1):
            W = self.params[f"W{i}"]
            loss += 0.5 * self.reg * np.sum(W**2)
            x, z = caches[i - 1]
            if i < self.num_layers:
                dout = dout * (z > 0)
            grads[f"W{i}"] = x.T @ dout + self.reg_gradient(i, W)
            grads[f"b{i}"] = dout.sum(axis=0)
            dout = dout @ W.T
        return loss, grads

    def reg_gradient(self, i, W):
        return self.reg * W


class FullyConnectedNetRegOnLastLayerOnly(FullyConnectedNet):
    """Only the last layer's gradient has its reg * W: every other W is wrong (dropped-term); origin the
    second-to-last W."""

    def reg_gradient(self, i, W):
        return self.reg * W if i == self.num_layers else 0.0
