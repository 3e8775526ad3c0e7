"""Buggy textbook models (`net.params`, `net.loss(x, t)`, `net.gradient(x, t)`): one learner's mistake each.

Each class subclasses its correct net in `models.py` and rewrites the one method (or swaps the one layer
class) that carries the bug, marked `# BUG`.
"""

import numpy as np
from gradlab.reference.models import Dropout, MultiLayerNetExtend, TextbookTwoLayerNet, sigmoid, sigmoid_grad, softmax

from gradlab.models.zoo import register_model


@register_model(bug="wrong-input", wrong={"W1", "b1"}, note="sigmoid_grad(z1) of the sigmoid's output, not of a1")
class TextbookTwoLayerNetSigmoidGradOfOutput(TextbookTwoLayerNet):
    def gradient(self, x, t):
        W1, b1, W2, b2 = self.params["W1"], self.params["b1"], self.params["W2"], self.params["b2"]
        batch_num = x.shape[0]
        a1 = x @ W1 + b1
        z1 = sigmoid(a1)
        y = softmax(z1 @ W2 + b2)
        dy = (y - t) / batch_num
        grads = {"W2": z1.T @ dy, "b2": np.sum(dy, axis=0)}
        dz1 = dy @ W2.T
        da1 = sigmoid_grad(z1) * dz1  # BUG: sigmoid_grad takes the pre-activation a1
        grads["W1"] = x.T @ da1
        grads["b1"] = np.sum(da1, axis=0)
        return grads


@register_model(bug="missing-batch-mean", wrong={"W2", "b2", "W1", "b1"},
                note="dy = y - t: the loss is a mean over the batch, its gradient a sum")
class TextbookTwoLayerNetNoBatchMean(TextbookTwoLayerNet):
    def gradient(self, x, t):
        W1, b1, W2, b2 = self.params["W1"], self.params["b1"], self.params["W2"], self.params["b2"]
        a1 = x @ W1 + b1
        z1 = sigmoid(a1)
        y = softmax(z1 @ W2 + b2)
        dy = y - t  # BUG: (y - t) / batch_num
        grads = {"W2": z1.T @ dy, "b2": np.sum(dy, axis=0)}
        da1 = sigmoid_grad(a1) * (dy @ W2.T)
        grads["W1"] = x.T @ da1
        grads["b1"] = np.sum(da1, axis=0)
        return grads


@register_model(bug="mismatch", wrong={"W2", "W1"},
                note="weight decay's gradient 2 * lambda * W for the penalty 0.5 * lambda * W**2")
class MultiLayerNetExtendDecayTwice(MultiLayerNetExtend):
    def gradient(self, x, t):
        self.loss(x, t, train_flg=True)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        for idx in range(1, self.hidden_layer_num + 2):
            # BUG: the loss's 0.5 cancels the 2 of the square
            grads[f"W{idx}"] = self.layers[f"Affine{idx}"].dW + 2 * self.weight_decay_lambda * self.params[f"W{idx}"]
            grads[f"b{idx}"] = self.layers[f"Affine{idx}"].db
            if self.use_batchnorm and idx != self.hidden_layer_num + 1:
                grads[f"gamma{idx}"] = self.layers[f"BatchNorm{idx}"].dgamma
                grads[f"beta{idx}"] = self.layers[f"BatchNorm{idx}"].dbeta
        return grads


class DropoutPassesEverything(Dropout):
    def backward(self, dout):
        return dout  # BUG: dout * self.mask


@register_model(bug="missing-mask", wrong={"W1", "b1"}, use_dropout=True,
                note="Dropout.backward returns dout: the dropped units get gradient")
class MultiLayerNetExtendDropoutWithoutMask(MultiLayerNetExtend):
    dropout_layer = DropoutPassesEverything
