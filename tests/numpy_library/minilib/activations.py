"""Activation objects in the style of the numpy deep-learning libraries (written for gradlab's tests):
`__call__(x)` computes, `gradient(x)` is its derivative element by element."""

import numpy as np


class Sigmoid:
    def __call__(self, x):
        return 1 / (1 + np.exp(-x))

    def gradient(self, x):
        s = self(x)
        return s * (1 - s)


class TanH:
    def __call__(self, x):
        return np.tanh(x)

    def gradient(self, x):
        return 1 - np.tanh(x) ** 2


class ReLU:
    def __call__(self, x):
        return np.where(x > 0, x, 0.0)

    def gradient(self, x):
        return (x > 0).astype(float)


class Softmax:
    def __call__(self, x):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def gradient(self, x):
        # the Jacobian's diagonal: what an array shaped like x can hold
        p = self(x)
        return p * (1 - p)


class Swish2:
    """A name gradlab does not know: listed as skipped, never guessed."""

    def __call__(self, x):
        return x / (1 + np.exp(-2 * x))

    def gradient(self, x):
        s = 1 / (1 + np.exp(-2 * x))
        return s + 2 * x * s * (1 - s)


ACTIVATIONS = {"sigmoid": Sigmoid, "tanh": TanH, "relu": ReLU, "softmax": Softmax, "swish2": Swish2}
