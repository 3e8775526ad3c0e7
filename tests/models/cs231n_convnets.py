"""CS231n-style models built from the layer functions of cs231n_layers.py: a FullyConnectedNet with the
normalization and dropout options, a ThreeLayerConvNet, and one-bug variants (see each docstring)."""

import numpy as np
from cs231n_layers import (
    affine_backward,
    affine_forward,
    batchnorm_backward,
    batchnorm_forward,
    conv_backward_naive,
    conv_forward_naive,
    dropout_backward,
    dropout_forward,
    layernorm_backward,
    layernorm_forward,
    max_pool_backward_naive,
    max_pool_forward_naive,
    relu_backward,
    relu_forward,
    softmax_loss,
)

NORMS = {"batchnorm": (batchnorm_forward, batchnorm_backward), "layernorm": (layernorm_forward, layernorm_backward)}


class FullyConnectedNet:
    """{affine - [norm] - relu - [dropout]} x (L - 1) - affine - softmax, with L2 regularisation."""

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1,
                 normalization=None, reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        self.normalization, self.reg = normalization, reg
        self.use_dropout = dropout_keep_ratio != 1
        self.num_layers = 1 + len(hidden_dims)
        dims = [input_dim, *hidden_dims, num_classes]
        self.params = {}
        for i in range(1, self.num_layers + 1):
            self.params[f"W{i}"] = (weight_scale * np.random.randn(dims[i - 1], dims[i])).astype(dtype)
            self.params[f"b{i}"] = np.zeros(dims[i], dtype=dtype)
            if normalization and i < self.num_layers:
                self.params[f"gamma{i}"] = np.ones(dims[i], dtype=dtype)
                self.params[f"beta{i}"] = np.zeros(dims[i], dtype=dtype)
        self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
        if seed is not None:
            self.dropout_param["seed"] = seed
        self.norm_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]

    def loss(self, X, y=None):
        out, caches = X, []
        for i in range(1, self.num_layers):
            out, c_aff = affine_forward(out, self.params[f"W{i}"], self.params[f"b{i}"])
            c_norm = None
            if self.normalization:
                out, c_norm = NORMS[self.normalization][0](out, self.params[f"gamma{i}"], self.params[f"beta{i}"],
                                                           self.norm_params[i - 1])
            out, c_relu = relu_forward(out)
            c_drop = None
            if self.use_dropout:
                out, c_drop = dropout_forward(out, self.dropout_param)
            caches.append((c_aff, c_norm, c_relu, c_drop))
        L = self.num_layers
        scores, c_last = affine_forward(out, self.params[f"W{L}"], self.params[f"b{L}"])
        if y is None:
            return scores
        loss, dout = softmax_loss(scores, y)
        grads = {}
        dout, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dout, c_last)
        for i in range(L - 1, 0, -1):
            c_aff, c_norm, c_relu, c_drop = caches[i - 1]
            if self.use_dropout:
                dout = dropout_backward(dout, c_drop)
            dout = relu_backward(dout, c_relu)
            if self.normalization:
                dout, grads[f"gamma{i}"], grads[f"beta{i}"] = self.norm_backward(dout, c_norm)
            dout, grads[f"W{i}"], grads[f"b{i}"] = affine_backward(dout, c_aff)
        for i in range(1, L + 1):
            W = self.params[f"W{i}"]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads[f"W{i}"] += self.reg * W
        return loss, grads

    def norm_backward(self, dout, cache):
        return NORMS[self.normalization][1](dout, cache)


class FullyConnectedNetBatchnormWithoutMeanPath(FullyConnectedNet):
    """Batch norm's backward drops the mean path (dx = gamma * dout / std): with normalization, every W and
    b below the norm is wrong, gamma and beta right; origin the top norm layer's W. Without normalization
    it is correct."""

    def norm_backward(self, dout, cache):
        dx, dgamma, dbeta = super().norm_backward(dout, cache)
        if self.normalization == "batchnorm":
            xhat, gamma, std = cache
            dx = dout * gamma / std
        return dx, dgamma, dbeta


class ThreeLayerConvNet:
    """conv - relu - 2x2 max pool - affine - relu - affine - softmax."""

    def __init__(self, input_dim=(3, 32, 32), num_filters=32, filter_size=7, hidden_dim=100, num_classes=10,
                 weight_scale=1e-3, reg=0.0, dtype=np.float32):
        C, H, W = input_dim
        self.reg = reg
        self.params = {
            "W1": weight_scale * np.random.randn(num_filters, C, filter_size, filter_size), "b1": np.zeros(num_filters),
            "W2": weight_scale * np.random.randn(num_filters * (H // 2) * (W // 2), hidden_dim),
            "b2": np.zeros(hidden_dim),
            "W3": weight_scale * np.random.randn(hidden_dim, num_classes), "b3": np.zeros(num_classes),
        }
        self.params = {k: v.astype(dtype) for k, v in self.params.items()}

    def loss(self, X, y=None):
        conv_param = {"stride": 1, "pad": (self.params["W1"].shape[2] - 1) // 2}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
        out, c1 = conv_forward_naive(X, self.params["W1"], self.params["b1"], conv_param)
        out, r1 = relu_forward(out)
        out, p1 = max_pool_forward_naive(out, pool_param)
        out, c2 = affine_forward(out, self.params["W2"], self.params["b2"])
        out, r2 = relu_forward(out)
        scores, c3 = affine_forward(out, self.params["W3"], self.params["b3"])
        if y is None:
            return scores
        loss, dout = softmax_loss(scores, y)
        grads = {}
        dout, grads["W3"], grads["b3"] = affine_backward(dout, c3)
        dout, grads["W2"], grads["b2"] = affine_backward(relu_backward(dout, r2), c2)
        dout = self.pool_backward(dout, p1)
        _, grads["W1"], grads["b1"] = conv_backward_naive(relu_backward(dout, r1), c1)
        for k in ("W1", "W2", "W3"):
            loss += 0.5 * self.reg * np.sum(self.params[k] ** 2)
            grads[k] += self.reg * self.params[k]
        return loss, grads

    def pool_backward(self, dout, cache):
        return max_pool_backward_naive(dout, cache)


class ThreeLayerConvNetPoolGradientEverywhere(ThreeLayerConvNet):
    """The max pool's gradient goes to every element of its window, not only the maximum: W1 and b1 wrong,
    the affine layers above right; origin W1."""

    def pool_backward(self, dout, cache):
        x, _ = cache
        return np.repeat(np.repeat(dout, 2, axis=2), 2, axis=3)[:, :, :x.shape[2], :x.shape[3]]
