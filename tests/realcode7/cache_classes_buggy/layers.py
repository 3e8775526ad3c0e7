"""The same conventions with one bug each: dW twice too large, the 2 of the square left out."""
import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        return x @ self.W + self.b, (x,)

    def backward(self, dout, cache):
        (x,) = cache
        self.dW, self.db = 2 * x.T @ dout, dout.sum(axis=0)
        return dout @ self.W.T


class Reduced:
    def __call__(self, x, y):
        return self.forward(x, y).mean()

    def backward(self, *args):
        grad = self.backward_impl(*args)
        return grad / np.prod(grad.shape[:-1])


class MSE(Reduced):
    def forward(self, x, y):
        return ((x - y) ** 2).mean(axis=-1)

    def backward_impl(self, x, y):
        return (x - y) / x.shape[-1]
