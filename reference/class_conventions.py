"""Class-style layers written in the other conventions found in published code, correct and buggy.

- sizes in the constructor, the layer draws its own weights as (out, in) (`Dense(input_size, output_size)`);
- `backward(output_gradient, learning_rate)` that updates the weights itself, as many learners' projects do;
- the textbook's second volume: `self.params = [W, b]` and `self.grads` lists filled in place;
- private attributes `_W`, `_b` with gradients `_dW`, `_db`;
- the "Neural Networks from Scratch" book's `Layer_Dense(n_inputs, n_neurons)`: forward and backward return
  nothing and leave `self.output`, `self.dinputs`, `self.dweights`, `self.dbiases`.

Each buggy variant is a copy of its correct neighbour with ONE bug, registered with its code. Data
is batch first (N, features), as in the rest of the zoo.
"""

import numpy as np

from gradlab.registry import register


@register("affine")
class Dense:
    """Builds its own weights from sizes, stored (out, in) and used as x @ W.T + b."""

    def __init__(self, input_size, output_size):
        self.weights = np.random.randn(output_size, input_size) * 0.1
        self.bias = np.zeros(output_size)

    def forward(self, x):
        self.x = x
        return x @ self.weights.T + self.bias

    def backward(self, dout):
        self.dweights = dout.T @ self.x
        self.dbias = dout.sum(axis=0)
        return dout @ self.weights


@register("affine", bug="wrong-reduction", note="dbias summed over every axis")
class DenseBiasSummedOverAll:
    def __init__(self, input_size, output_size):
        self.weights = np.random.randn(output_size, input_size) * 0.1
        self.bias = np.zeros(output_size)

    def forward(self, x):
        self.x = x
        return x @ self.weights.T + self.bias

    def backward(self, dout):
        self.dweights = dout.T @ self.x
        self.dbias = dout.sum()  # BUG: a single number; the bias gradient sums over the batch axis only
        return dout @ self.weights


@register("affine")
class DenseSGD:
    """Updates its own weights inside backward, with the learning rate backward is given."""

    def __init__(self, input_size, output_size):
        self.weights = np.random.randn(input_size, output_size) * 0.1
        self.bias = np.zeros((1, output_size))

    def forward(self, x):
        self.x = x
        return x @ self.weights + self.bias

    def backward(self, output_gradient, learning_rate):
        weights_gradient = self.x.T @ output_gradient
        input_gradient = output_gradient @ self.weights.T
        self.weights -= learning_rate * weights_gradient
        self.bias -= learning_rate * output_gradient.sum(axis=0, keepdims=True)
        return input_gradient


@register("affine", bug="stale-parameters", note="input gradient computed with the updated weights")
class DenseSGDUpdatesFirst:
    def __init__(self, input_size, output_size):
        self.weights = np.random.randn(input_size, output_size) * 0.1
        self.bias = np.zeros((1, output_size))

    def forward(self, x):
        self.x = x
        return x @ self.weights + self.bias

    def backward(self, output_gradient, learning_rate):
        weights_gradient = self.x.T @ output_gradient
        self.weights -= learning_rate * weights_gradient
        self.bias -= learning_rate * output_gradient.sum(axis=0, keepdims=True)
        return output_gradient @ self.weights.T  # BUG: the weights were already updated


@register("affine")
class AffineParamsList:
    """The second volume's convention: parameters and gradients in lists, gradients filled in place."""

    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        W, b = self.params
        self.x = x
        return x @ W + b

    def backward(self, dout):
        W, b = self.params
        self.grads[0][...] = self.x.T @ dout
        self.grads[1][...] = dout.sum(axis=0)
        return dout @ W.T


@register("affine", bug="sign-flip", note="db = -sum(dout)")
class AffineParamsListNegativeBias:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        W, b = self.params
        self.x = x
        return x @ W + b

    def backward(self, dout):
        W, b = self.params
        self.grads[0][...] = self.x.T @ dout
        self.grads[1][...] = -dout.sum(axis=0)  # BUG: the sign
        return dout @ W.T


@register("affine")
class AffinePrivate:
    """Parameters and gradients kept in private attributes."""

    def __init__(self, W, b):
        self._W, self._b = W, b

    def forward(self, x):
        self._x = x
        return x @ self._W + self._b

    def backward(self, dout):
        self._dW = self._x.T @ dout
        self._db = dout.sum(axis=0)
        return dout @ self._W.T


@register("affine", bug="zero-gradient", note="_dW never written")
class AffinePrivateForgetsWeights:
    def __init__(self, W, b):
        self._W, self._b = W, b

    def forward(self, x):
        self._x = x
        return x @ self._W + self._b

    def backward(self, dout):
        self._db = dout.sum(axis=0)  # BUG: _dW is never computed
        return dout @ self._W.T


@register("affine")
class Layer_Dense:  # noqa: N801 - the book's spelling, which gradlab reads as a dense layer
    """Returns nothing: the output and the gradients are left in attributes."""

    def __init__(self, n_inputs, n_neurons):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))

    def forward(self, inputs, training=True):
        self.inputs = inputs
        self.output = inputs @ self.weights + self.biases

    def backward(self, dvalues):
        self.dweights = self.inputs.T @ dvalues
        self.dbiases = dvalues.sum(axis=0, keepdims=True)
        self.dinputs = dvalues @ self.weights.T


@register("affine", bug="extra-batch-mean", note="dbiases averaged over the batch")
class Layer_DenseBiasAveraged:  # noqa: N801
    def __init__(self, n_inputs, n_neurons):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))

    def forward(self, inputs, training=True):
        self.inputs = inputs
        self.output = inputs @ self.weights + self.biases

    def backward(self, dvalues):
        self.dweights = self.inputs.T @ dvalues
        self.dbiases = dvalues.mean(axis=0, keepdims=True)  # BUG: the loss's 1/N is already in dvalues
        self.dinputs = dvalues @ self.weights.T
