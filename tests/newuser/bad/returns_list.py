import numpy as np


class Relu:
    def forward(self, x):
        self.mask = x > 0
        return (x * self.mask).tolist()

    def backward(self, dout):
        return list(np.asarray(dout) * self.mask)


def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))
    return out, out


def sigmoid_backward(dout, cache):
    return [dout * cache * (1 - cache)]
