"""An autograd engine's first steps, one file: values hold arrays, a function's call unpacks them and remembers its
single input, and the engine hands backward a plain array."""

import numpy as np


class Variable:
    def __init__(self, data):
        self.data = data
        self.grad = None
        self.creator = None

    def backward(self):
        if self.grad is None:
            self.grad = np.ones_like(self.data)
        fn = self.creator
        while fn is not None:
            fn.input.grad = fn.backward(fn.output.grad)
            fn = fn.input.creator


class Function:
    def __call__(self, input):
        y = self.forward(input.data)
        output = Variable(np.asarray(y))
        output.creator = self
        self.input = input
        self.output = output
        return output


class Sigmoid(Function):
    def forward(self, x):
        return 1.0 / (1.0 + np.exp(-x))

    def backward(self, gy):
        s = self.output.data
        return s * (1.0 - s)


class Tanh(Function):
    def forward(self, x):
        return np.tanh(x)

    def backward(self, gy):
        x = self.input.data
        return gy / np.cosh(x)
