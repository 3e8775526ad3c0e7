# Correct layers written as in chapter 5 of the textbook, before the tensor (4-D) version.
import numpy as np


class Affine:
    # NOT A BUG: the chapter-5 Affine, which only takes 2-D x (N, D)
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.x = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x = x
        out = np.dot(x, self.W) + self.b
        return out

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx


class MulLayer:
    # chapter 5's two-input layer: probably not a layer gradlab should recognise
    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x
