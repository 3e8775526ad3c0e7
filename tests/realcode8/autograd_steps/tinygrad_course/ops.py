"""The operations of chapter 3, each a Function: forward on arrays, backward on Values."""

import numpy as np

from tinygrad_course.engine import Function, Value, lift


class Tanh(Function):
    def forward(self, x):
        return np.tanh(x)

    def backward(self, gy):
        y = self.outputs[0]()  # the output, kept by the caller
        return gy * (1 - y * y)


class Linear(Function):
    def forward(self, x, W, b):
        return x @ W + b

    def backward(self, gy):
        x, W, _ = self.inputs
        return gy @ W.T, x.T @ gy, Value_sum(gy)


def Value_sum(gy):
    return Sum0()(gy)


class Sum0(Function):
    def forward(self, a):
        return a.sum(axis=0)

    def backward(self, gy):
        raise NotImplementedError("second derivatives are not part of this chapter")


class MeanSquaredError(Function):
    def forward(self, y, t):
        return ((y - t) ** 2).sum() / len(y)

    def backward(self, gy):
        y, t = self.inputs
        return gy * (y - t) * (2.0 / len(y.data)), gy * (t - y) * (2.0 / len(y.data))


class Log(Function):
    def forward(self, a):
        return np.log(a)

    def backward(self, gy):
        a, = self.inputs
        return gy * (1.0 / a.data)


def binary_cross_entropy(p, t):
    # composed of the engine's operations: the engine derives its backward
    p, t = lift(p, Value(np.zeros(()))), lift(t, Value(np.zeros(())))
    total = Sum0()(t * Log()(p) + (1.0 - t) * Log()(1.0 - p))
    loss = total * (-1.0 / len(p.data))
    return loss
