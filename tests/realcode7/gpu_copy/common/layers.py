import numpy as np


class Embedding:
    """Looks its rows up through cupy's np.asnumpy, which numpy never had."""

    def __init__(self, W):
        self.params, self.grads = [W], [np.zeros_like(W)]

    def forward(self, idx):
        self.idx = np.asnumpy(idx)
        return self.params[0][self.idx]

    def backward(self, dout):
        self.grads[0][...] = 0
        np.add.at(self.grads[0], self.idx, dout)


class Relu:
    """Written when numpy still had np.float."""

    def forward(self, x):
        self.mask = (x > 0).astype(np.float)
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask
