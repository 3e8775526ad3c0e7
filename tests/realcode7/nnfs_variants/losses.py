"""A learner's nnfs-style losses: a base whose calculate takes the mean of what forward returns; a softmax and a
sigmoid held by the loss classes that apply them; the loss itself left in self.loss_value."""
import numpy as np
from activations import Sigmoid, Softmax


class Loss:
    def calculate(self, y_pred, y_true):
        return np.mean(self.forward(y_pred, y_true))


class BCELoss(Loss):
    """Unreduced: one loss per element, averaged by calculate over samples and outputs alike."""

    def forward(self, y_pred, y_true):
        y_pred = np.clip(y_pred, 1e-7, 1 - 1e-7)
        return -(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))

    def backward(self, y_pred, y_true):
        self.dinputs = -(y_true / y_pred - (1 - y_true) / (1 - y_pred)) / y_pred.size


class CategoricalCrossEntropy:
    """Softmax and cross-entropy in one: forward stores the probabilities and the loss, returns nothing."""

    def __init__(self):
        self.activation = Softmax()

    def forward(self, inputs, y_true):
        self.activation.forward(inputs)
        self.output = self.activation.output
        rows = np.arange(len(inputs))
        labels = y_true.argmax(axis=1) if y_true.ndim == 2 else y_true
        self.loss_value = -np.mean(np.log(self.output[rows, labels]))

    def backward(self, y_pred, y_true):
        labels = y_true.argmax(axis=1) if y_true.ndim == 2 else y_true
        self.dinputs = y_pred.copy()
        self.dinputs[np.arange(len(y_pred)), labels] -= 1
        self.dinputs /= len(y_pred)


class BinaryCrossEntropy:
    """Sigmoid and binary cross-entropy in one, which no kind covers."""

    def __init__(self):
        self.activation = Sigmoid()

    def forward(self, inputs, y_true):
        self.activation.forward(inputs)
        self.output = self.activation.output
        self.loss_value = -np.mean(y_true * np.log(self.output) + (1 - y_true) * np.log(1 - self.output))

    def backward(self, y_pred, y_true):
        self.dinputs = (y_pred - y_true) / y_pred.size


class MeanSquaredError:
    """A sigmoid and a squared error in one, which no kind covers."""

    def __init__(self):
        self.activation = Sigmoid()

    def forward(self, inputs, y_true):
        self.activation.forward(inputs)
        self.output = self.activation.output
        self.loss_value = np.mean((self.output - y_true) ** 2)

    def backward(self, y_pred, y_true):
        self.dinputs = 2 * (y_pred - y_true) * y_pred * (1 - y_pred) / y_pred.size
