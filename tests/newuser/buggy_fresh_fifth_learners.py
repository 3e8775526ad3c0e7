# A fifth held-out set, part five: learners' own numpy nets (layers built from sizes,
# `backward(output_gradient, learning_rate)` that updates the weights itself, activations keeping
# their input), one mistake each. Written for gradlab's new-user tests; labels chosen from DESIGN.md's
# vocabulary before any run.
import numpy as np


class Layer:
    def __init__(self):
        self.input = None
        self.output = None

    def forward(self, input):
        raise NotImplementedError

    def backward(self, output_gradient, learning_rate):
        raise NotImplementedError


class Dense(Layer):
    # BUG: stale-parameters  (weights updated first, then input_gradient computed with the new weights)
    def __init__(self, input_size, output_size):
        super().__init__()
        self.weights = np.random.randn(input_size, output_size) * 0.1
        self.bias = np.zeros((1, output_size))

    def forward(self, input):
        self.input = input
        return input @ self.weights + self.bias

    def backward(self, output_gradient, learning_rate):
        weights_gradient = self.input.T @ output_gradient
        self.weights -= learning_rate * weights_gradient
        self.bias -= learning_rate * output_gradient.sum(axis=0, keepdims=True)
        return output_gradient @ self.weights.T


class FullyConnected(Layer):
    # BUG: wrong-reduction  (bias gradient summed over axis 1, one value per sample, not over the batch)
    def __init__(self, n_in, n_out):
        super().__init__()
        self.W = np.random.randn(n_in, n_out) / np.sqrt(n_in)
        self.b = np.zeros(n_out)

    def forward(self, input):
        self.input = input
        return np.dot(input, self.W) + self.b

    def backward(self, output_gradient, learning_rate):
        input_gradient = np.dot(output_gradient, self.W.T)
        self.W -= learning_rate * np.dot(self.input.T, output_gradient)
        self.b -= learning_rate * np.sum(output_gradient, axis=1)
        return input_gradient


class DenseLayer(Layer):
    # BUG: transposed  (weights gradient as output_gradient.T @ input: (n_out, n_in) for (n_in, n_out) weights)
    def __init__(self, n_inputs, n_neurons):
        super().__init__()
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))

    def forward(self, input):
        self.input = input
        return np.dot(input, self.weights) + self.biases

    def backward(self, output_gradient, learning_rate):
        dweights = np.dot(output_gradient.T, self.input)
        dbiases = np.sum(output_gradient, axis=0, keepdims=True)
        dinputs = np.dot(output_gradient, self.weights.T)
        self.weights -= learning_rate * dweights
        self.biases -= learning_rate * dbiases
        return dinputs


class ReLU(Layer):
    # BUG: missing-mask  (backward passes the gradient through unchanged: the units forward zeroed get it too)
    def forward(self, input):
        self.input = input
        return np.maximum(0, input)

    def backward(self, output_gradient, learning_rate):
        return output_gradient


class Sigmoid(Layer):
    # BUG: extra-batch-mean  (an elementwise activation divides its gradient by the batch size)
    def forward(self, input):
        self.input = input
        self.output = 1 / (1 + np.exp(-input))
        return self.output

    def backward(self, output_gradient, learning_rate):
        s = self.output
        return output_gradient * s * (1 - s) / output_gradient.shape[0]


class Tanh(Layer):
    # BUG: wrong-input  (1 - input**2: the derivative written for the output, applied to the input)
    def forward(self, input):
        self.input = input
        return np.tanh(input)

    def backward(self, output_gradient, learning_rate):
        return output_gradient * (1 - self.input ** 2)


class Softmax(Layer):
    # BUG: dropped-term  (only the Jacobian's diagonal s * (1 - s): the -s_i * s_j terms between classes left out)
    def forward(self, input):
        e = np.exp(input - np.max(input, axis=1, keepdims=True))
        self.output = e / np.sum(e, axis=1, keepdims=True)
        return self.output

    def backward(self, output_gradient, learning_rate):
        return output_gradient * self.output * (1 - self.output)


class Dropout(Layer):
    # BUG: scaled  (forward scales the kept units by 1 / (1 - rate), backward multiplies by the 0/1 mask only)
    def __init__(self, rate=0.5):
        super().__init__()
        self.rate = rate

    def forward(self, input, training=True):
        if not training:
            return input
        self.mask = np.random.binomial(1, 1 - self.rate, size=input.shape)
        return input * self.mask / (1 - self.rate)

    def backward(self, output_gradient, learning_rate):
        return output_gradient * self.mask


class LeakyRelu(Layer):
    # BUG: wrong-reduction  (the slope side's gradient summed over the batch: one row broadcast to every sample)
    def __init__(self, alpha=0.1):
        super().__init__()
        self.alpha = alpha

    def forward(self, input):
        self.input = input
        return np.where(input > 0, input, self.alpha * input)

    def backward(self, output_gradient, learning_rate):
        slope = np.where(self.input > 0, 1.0, self.alpha)
        return np.sum(output_gradient, axis=0) * slope


class SquareLoss:
    # BUG: sign-flip  (gradient written as y - y_pred: the loss 0.5 * (y - y_pred)**2 gives y_pred - y)
    def loss(self, y, y_pred):
        return 0.5 * np.power(y - y_pred, 2)

    def gradient(self, y, y_pred):
        return y - y_pred
