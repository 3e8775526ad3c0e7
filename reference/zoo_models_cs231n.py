"""Buggy CS231n models (`model.params`, `model.loss(X, y) -> (loss, grads)`): one learner's mistake each.

Each class subclasses its correct model in `models.py` and rewrites the one method (or swaps the one layer
function) that carries the bug, marked `# BUG`; it is registered with the code its check must find and the
parameters whose gradients the bug makes wrong (a bug low in the network leaves the layers above it right).
"""

import numpy as np
from gradlab.reference.models import (
    FullyConnectedNet,
    TwoLayerNet,
    affine_backward,
    affine_forward,
    relu_backward,
    relu_forward,
    softmax_loss,
)

from gradlab.models.zoo import register_model


@register_model(bug="mismatch", wrong={"W2", "W1"}, note="reg gradient 2 * reg * W for the penalty 0.5 * reg * W**2")
class TwoLayerNetRegGradientTwice(TwoLayerNet):
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
        grads["W2"] += 2 * self.reg * W2  # BUG: the 0.5 in the loss cancels the 2 of the square
        dhidden_in = relu_backward(dhidden, cache_relu)
        _, grads["W1"], grads["b1"] = affine_backward(dhidden_in, cache1)
        grads["W1"] += 2 * self.reg * W1  # BUG: the same
        return loss, grads


@register_model(bug="extra-batch-mean", wrong={"b2"}, note="db2 divided by N again: softmax_loss already did")
class TwoLayerNetBiasDividedTwice(TwoLayerNet):
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
        grads["b2"] /= X.shape[0]  # BUG: dscores is already divided by N
        grads["W2"] += self.reg * W2
        dhidden_in = relu_backward(dhidden, cache_relu)
        _, grads["W1"], grads["b1"] = affine_backward(dhidden_in, cache1)
        grads["W1"] += self.reg * W1
        return loss, grads


@register_model(bug="wrong-reduction", wrong={"b1"}, note="db1 = dhidden_in: the bias gradient not summed over samples")
class TwoLayerNetBiasNotSummed(TwoLayerNet):
    def loss(self, X, y=None):
        W1, b1, W2, b2 = self.params["W1"], self.params["b1"], self.params["W2"], self.params["b2"]
        x = X.reshape(X.shape[0], -1)
        hidden_in = x @ W1 + b1
        hidden = np.maximum(0, hidden_in)
        scores = hidden @ W2 + b2
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        grads = {"W2": hidden.T @ dscores + self.reg * W2, "b2": np.sum(dscores, axis=0)}
        dhidden_in = (dscores @ W2.T) * (hidden_in > 0)
        grads["W1"] = x.T @ dhidden_in + self.reg * W1
        grads["b1"] = dhidden_in  # BUG: np.sum(dhidden_in, axis=0) is the bias gradient
        return loss, grads


@register_model(bug="stale-parameters", wrong={"W2", "b2", "W1", "b1"},
                note="loss takes an SGD step on every parameter after computing the gradients")
class TwoLayerNetUpdatesInLoss(TwoLayerNet):
    def loss(self, X, y=None):
        out = super().loss(X, y)
        if y is None:
            return out
        loss, grads = out
        for name, grad in grads.items():  # BUG: the update belongs to the solver, not to loss
            self.params[name] -= 1e-3 * grad
        return loss, grads


@register_model(bug="dropped-term", wrong={"W1"}, note="dW1 lacks reg * W1")
class FullyConnectedNetNoRegInFirstLayer(FullyConnectedNet):
    def loss(self, X, y=None):
        out = super().loss(X, y)
        if y is None:
            return out
        loss, grads = out
        grads["W1"] -= self.reg * self.params["W1"]  # BUG (as if the loop adding reg * W started at layer 2)
        return loss, grads


def dropout_backward_without_mask(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout / dropout_param["p"]  # BUG: dout * mask; the dropped units get gradient too
    return dout


@register_model(bug="missing-mask", wrong={"W1", "b1"}, dropout_keep_ratio=0.5,
                note="dropout_backward scales dout but forgets the mask")
class FullyConnectedNetDropoutWithoutMask(FullyConnectedNet):
    dropout_backward = staticmethod(dropout_backward_without_mask)


def batchnorm_backward_dgamma_of_input(dout, cache):
    x, x_hat, gamma, std = cache
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x, axis=0)  # BUG: gamma multiplies x_hat, the normalised input, not x
    dx_hat = dout * gamma
    dx = (dx_hat - dx_hat.mean(axis=0) - x_hat * np.mean(dx_hat * x_hat, axis=0)) / std
    return dx, dgamma, dbeta


@register_model(bug="wrong-input", wrong={"gamma1"}, normalization="batchnorm",
                note="batchnorm_backward: dgamma = sum(dout * x) instead of sum(dout * x_hat)")
class FullyConnectedNetBatchnormDgammaOfInput(FullyConnectedNet):
    batchnorm_backward = staticmethod(batchnorm_backward_dgamma_of_input)
