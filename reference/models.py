"""Correct whole models of the zoo, in the three conventions courses teach, written as course code is.

- CS231n: `model.params` and `model.loss(X, y) -> (loss, grads)`, built from layer functions as
  `cs231n/layers.py` has them (TwoLayerNet; FullyConnectedNet with dropout and batch/layer norm);
- the textbook: `net.params`, `net.loss(x, t)`, `net.gradient(x, t)` (the chapter-4 TwoLayerNet with its
  hand-written gradient; MultiLayerNetExtend built from layer classes, with weight decay, batch norm, dropout);
- Nielsen: `net.weights` / `net.biases` lists, `feedforward(a)`, `backprop(x, y) -> (nabla_b, nabla_w)`
  (Network with the quadratic cost; Network2 with a cost object).
The buggy copies live in `zoo_models_*.py`: each subclasses its model here and rewrites the one method
(or the one layer) that carries its bug. The layer functions and classes the models use are class
attributes, so that a buggy model can swap in a buggy layer as a learner's own layers.py would hold it.
"""

from collections import OrderedDict

import numpy as np

from gradlab.models.zoo import register_model

# --- CS231n layer functions --------------------------------------------------------------------------


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def batchnorm_forward(x, gamma, beta, bn_param):
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    running_mean = bn_param.get("running_mean", np.zeros(x.shape[1]))
    running_var = bn_param.get("running_var", np.ones(x.shape[1]))
    if bn_param["mode"] == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        std = np.sqrt(var + eps)
        x_hat = (x - mu) / std
        out = gamma * x_hat + beta
        cache = (x, x_hat, gamma, std)
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
    else:
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
        cache = None
    return out, cache


def batchnorm_backward(dout, cache):
    x, x_hat, gamma, std = cache
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = (dx_hat - dx_hat.mean(axis=0) - x_hat * np.mean(dx_hat * x_hat, axis=0)) / std
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    std = np.sqrt(var + eps)
    x_hat = (x - mu) / std
    return gamma * x_hat + beta, (x, x_hat, gamma, std)


def layernorm_backward(dout, cache):
    x, x_hat, gamma, std = cache
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = (dx_hat - dx_hat.mean(axis=1, keepdims=True)
          - x_hat * np.mean(dx_hat * x_hat, axis=1, keepdims=True)) / std
    return dx, dgamma, dbeta


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p  # p keeps a unit; dividing by it keeps the expectation
        return x * mask, (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask
    return dout


def softmax_loss(x, y):
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    return loss, dx / N


# --- CS231n models -------------------------------------------------------------------------------------


@register_model()
class TwoLayerNet:
    """affine - relu - affine - softmax, L2 regularisation 0.5 * reg * sum(W**2) on both weights."""

    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.reg = reg
        self.params = {"W1": weight_scale * np.random.randn(input_dim, hidden_dim), "b1": np.zeros(hidden_dim),
                       "W2": weight_scale * np.random.randn(hidden_dim, num_classes), "b2": np.zeros(num_classes)}

    def loss(self, X, y=None):
        W1, b1, W2, b2 = self.params["W1"], self.params["b1"], self.params["W2"], self.params["b2"]
        hidden_in, cache1 = affine_forward(X, W1, b1)
        hidden, cache_relu = relu_forward(hidden_in)
        scores, cache2 = affine_forward(hidden, W2, b2)
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        grads = {}
        dhidden, grads["W2"], grads["b2"] = affine_backward(dscores, cache2)
        grads["W2"] += self.reg * W2
        dhidden_in = relu_backward(dhidden, cache_relu)
        _, grads["W1"], grads["b1"] = affine_backward(dhidden_in, cache1)
        grads["W1"] += self.reg * W1
        return loss, grads


@register_model()
class FullyConnectedNet:
    """{affine - [batch/layer norm] - relu - [dropout]} x (L - 1) - affine - softmax, L2 on every weight."""

    batchnorm_backward = staticmethod(batchnorm_backward)
    dropout_backward = staticmethod(dropout_backward)

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, dropout_keep_ratio=1, normalization=None,
                 reg=0.0, weight_scale=1e-2, dtype=np.float32, seed=None):
        self.normalization, self.reg, self.dtype = normalization, reg, dtype
        self.use_dropout = dropout_keep_ratio != 1
        self.num_layers = 1 + len(hidden_dims)
        dims = [input_dim, *hidden_dims, num_classes]
        self.params = {}
        for i in range(1, self.num_layers + 1):
            self.params[f"W{i}"] = weight_scale * np.random.randn(dims[i - 1], dims[i])
            self.params[f"b{i}"] = np.zeros(dims[i])
            if normalization and i < self.num_layers:
                self.params[f"gamma{i}"], self.params[f"beta{i}"] = np.ones(dims[i]), np.zeros(dims[i])
        self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
        if seed is not None:
            self.dropout_param["seed"] = seed
        self.norm_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]
        for k, v in self.params.items():
            self.params[k] = v.astype(dtype)

    def loss(self, X, y=None):
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"
        self.dropout_param["mode"] = mode
        for p in self.norm_params:
            p["mode"] = mode
        caches, out = [], X
        for i in range(1, self.num_layers):
            out, cache = affine_forward(out, self.params[f"W{i}"], self.params[f"b{i}"])
            layer = {"affine": cache}
            if self.normalization == "batchnorm":
                out, layer["norm"] = batchnorm_forward(out, self.params[f"gamma{i}"], self.params[f"beta{i}"],
                                                       self.norm_params[i - 1])
            elif self.normalization == "layernorm":
                out, layer["norm"] = layernorm_forward(out, self.params[f"gamma{i}"], self.params[f"beta{i}"],
                                                       self.norm_params[i - 1])
            out, layer["relu"] = relu_forward(out)
            if self.use_dropout:
                out, layer["dropout"] = dropout_forward(out, self.dropout_param)
            caches.append(layer)
        L = self.num_layers
        scores, last = affine_forward(out, self.params[f"W{L}"], self.params[f"b{L}"])
        if mode == "test":
            return scores
        loss, dout = softmax_loss(scores, y)
        grads = {}
        dout, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dout, last)
        for i in range(L - 1, 0, -1):
            layer = caches[i - 1]
            if self.use_dropout:
                dout = self.dropout_backward(dout, layer["dropout"])
            dout = relu_backward(dout, layer["relu"])
            if self.normalization == "batchnorm":
                dout, grads[f"gamma{i}"], grads[f"beta{i}"] = self.batchnorm_backward(dout, layer["norm"])
            elif self.normalization == "layernorm":
                dout, grads[f"gamma{i}"], grads[f"beta{i}"] = layernorm_backward(dout, layer["norm"])
            dout, grads[f"W{i}"], grads[f"b{i}"] = affine_backward(dout, layer["affine"])
        for i in range(1, L + 1):
            W = self.params[f"W{i}"]
            loss += 0.5 * self.reg * np.sum(W * W)
            grads[f"W{i}"] += self.reg * W
        return loss, grads


# --- the textbook's functions and layer classes ---------------------------------------------------------


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_grad(x):
    return (1.0 - sigmoid(x)) * sigmoid(x)


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t, y = t.reshape(1, t.size), y.reshape(1, y.size)
    if t.size == y.size:  # one-hot labels: the index of each row's 1
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.x = self.dW = self.db = None

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = np.sum(dout, axis=0)
        return dout @ self.W.T


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


class SoftmaxWithLoss:
    def __init__(self):
        self.y = self.t = None

    def forward(self, x, t):
        self.t, self.y = t, softmax(x)
        return cross_entropy_error(self.y, self.t)

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:
            return (self.y - self.t) / batch_size
        dx = self.y.copy()
        dx[np.arange(batch_size), self.t] -= 1
        return dx / batch_size


class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9):
        self.gamma, self.beta, self.momentum = gamma, beta, momentum
        self.running_mean = self.running_var = None
        self.xc = self.std = self.xn = self.dgamma = self.dbeta = None

    def forward(self, x, train_flg=True):
        if self.running_mean is None:
            self.running_mean, self.running_var = np.zeros(x.shape[1]), np.zeros(x.shape[1])
        if train_flg:
            mu = x.mean(axis=0)
            self.xc = x - mu
            var = np.mean(self.xc ** 2, axis=0)
            self.std = np.sqrt(var + 10e-7)
            self.xn = self.xc / self.std
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
            return self.gamma * self.xn + self.beta
        return self.gamma * (x - self.running_mean) / np.sqrt(self.running_var + 10e-7) + self.beta

    def backward(self, dout):
        batch_size = dout.shape[0]
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc += (2.0 / batch_size) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        return dxc - dmu / batch_size


class Dropout:
    """The textbook's dropout: no scaling while training, x (1 - ratio) at test time."""

    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio, self.mask = dropout_ratio, None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        return dout * self.mask


# --- textbook models -------------------------------------------------------------------------------------


@register_model()
class TextbookTwoLayerNet:
    """The chapter-4 net: affine - sigmoid - affine - softmax, its gradient written out by hand (one-hot t)."""

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {"W1": weight_init_std * np.random.randn(input_size, hidden_size), "b1": np.zeros(hidden_size),
                       "W2": weight_init_std * np.random.randn(hidden_size, output_size), "b2": np.zeros(output_size)}

    def predict(self, x):
        z1 = sigmoid(x @ self.params["W1"] + self.params["b1"])
        return softmax(z1 @ self.params["W2"] + self.params["b2"])

    def loss(self, x, t):
        return cross_entropy_error(self.predict(x), t)

    def gradient(self, x, t):
        W1, b1, W2, b2 = self.params["W1"], self.params["b1"], self.params["W2"], self.params["b2"]
        batch_num = x.shape[0]
        a1 = x @ W1 + b1
        z1 = sigmoid(a1)
        y = softmax(z1 @ W2 + b2)
        dy = (y - t) / batch_num
        grads = {"W2": z1.T @ dy, "b2": np.sum(dy, axis=0)}
        dz1 = dy @ W2.T
        da1 = sigmoid_grad(a1) * dz1
        grads["W1"] = x.T @ da1
        grads["b1"] = np.sum(da1, axis=0)
        return grads


@register_model()
class MultiLayerNetExtend:
    """affine - [batch norm] - relu - [dropout] ... - affine - softmax, weight decay 0.5 * lambda * sum(W**2)."""

    norm_layer = BatchNormalization
    dropout_layer = Dropout

    def __init__(self, input_size, hidden_size_list, output_size, weight_init_std=0.01, weight_decay_lambda=0,
                 use_dropout=False, dropout_ration=0.5, use_batchnorm=False):
        self.weight_decay_lambda, self.use_batchnorm = weight_decay_lambda, use_batchnorm
        self.hidden_layer_num = len(hidden_size_list)
        sizes = [input_size, *hidden_size_list, output_size]
        self.params, self.layers = {}, OrderedDict()
        for idx in range(1, self.hidden_layer_num + 2):
            self.params[f"W{idx}"] = weight_init_std * np.random.randn(sizes[idx - 1], sizes[idx])
            self.params[f"b{idx}"] = np.zeros(sizes[idx])
        for idx in range(1, self.hidden_layer_num + 1):
            self.layers[f"Affine{idx}"] = Affine(self.params[f"W{idx}"], self.params[f"b{idx}"])
            if use_batchnorm:
                self.params[f"gamma{idx}"] = np.ones(sizes[idx])
                self.params[f"beta{idx}"] = np.zeros(sizes[idx])
                self.layers[f"BatchNorm{idx}"] = self.norm_layer(self.params[f"gamma{idx}"], self.params[f"beta{idx}"])
            self.layers[f"Relu{idx}"] = Relu()
            if use_dropout:
                self.layers[f"Dropout{idx}"] = self.dropout_layer(dropout_ration)
        last = self.hidden_layer_num + 1
        self.layers[f"Affine{last}"] = Affine(self.params[f"W{last}"], self.params[f"b{last}"])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x, train_flg=False):
        for key, layer in self.layers.items():
            x = layer.forward(x, train_flg) if key.startswith(("Dropout", "BatchNorm")) else layer.forward(x)
        return x

    def loss(self, x, t, train_flg=False):
        y = self.predict(x, train_flg)
        weight_decay = 0
        for idx in range(1, self.hidden_layer_num + 2):
            weight_decay += 0.5 * self.weight_decay_lambda * np.sum(self.params[f"W{idx}"] ** 2)
        return self.last_layer.forward(y, t) + weight_decay

    def gradient(self, x, t):
        self.loss(x, t, train_flg=True)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        for idx in range(1, self.hidden_layer_num + 2):
            grads[f"W{idx}"] = self.layers[f"Affine{idx}"].dW + self.weight_decay_lambda * self.params[f"W{idx}"]
            grads[f"b{idx}"] = self.layers[f"Affine{idx}"].db
            if self.use_batchnorm and idx != self.hidden_layer_num + 1:
                grads[f"gamma{idx}"] = self.layers[f"BatchNorm{idx}"].dgamma
                grads[f"beta{idx}"] = self.layers[f"BatchNorm{idx}"].dbeta
        return grads


# --- Nielsen-style networks ------------------------------------------------------------------------------


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


@register_model()
class Network:
    """Samples as (D, 1) columns, the quadratic cost 0.5 ||a - y||^2 (`cost_derivative` is a - y)."""

    def __init__(self, sizes):
        self.num_layers, self.sizes = len(sizes), sizes
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]
        self.weights = [np.random.randn(y, x) for x, y in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation, activations, zs = x, [x], []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for layer in range(2, self.num_layers):
            delta = np.dot(self.weights[-layer + 1].transpose(), delta) * sigmoid_prime(zs[-layer])
            nabla_b[-layer] = delta
            nabla_w[-layer] = np.dot(delta, activations[-layer - 1].transpose())
        return nabla_b, nabla_w

    def cost_derivative(self, output_activations, y):
        return output_activations - y


class CrossEntropyCost:
    @staticmethod
    def fn(a, y):
        return np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a)))

    @staticmethod
    def delta(z, a, y):
        return a - y  # sigmoid'(z) cancels against the cost's derivative


@register_model()
class Network2:
    """The cost is an object: `cost.fn(a, y)` is the loss, `cost.delta(z, a, y)` the output layer's error."""

    def __init__(self, sizes, cost=CrossEntropyCost):
        self.num_layers, self.sizes, self.cost = len(sizes), sizes, cost
        self.biases = [np.random.randn(y, 1) for y in sizes[1:]]
        self.weights = [np.random.randn(y, x) / np.sqrt(x) for x, y in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(np.dot(w, a) + b)
        return a

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation, activations, zs = x, [x], []
        for b, w in zip(self.biases, self.weights):
            z = np.dot(w, activation) + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.cost.delta(zs[-1], activations[-1], y)
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for layer in range(2, self.num_layers):
            delta = np.dot(self.weights[-layer + 1].transpose(), delta) * sigmoid_prime(zs[-layer])
            nabla_b[-layer] = delta
            nabla_w[-layer] = np.dot(delta, activations[-layer - 1].transpose())
        return nabla_b, nabla_w
