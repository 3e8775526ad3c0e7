"""A small torch-like framework: parameters are objects holding .data and a .grad that backward adds into (+=), which
its optimizer zeroes between steps; sizes named in_chan / out_chan; an embedding table under a name of its own."""
import numpy as np


class Parameter:
    def __init__(self, data):
        self.data = data
        self.grad = np.zeros_like(data)


class Linear:
    def __init__(self, in_chan, out_chan):
        self.W = Parameter(np.random.randn(in_chan, out_chan) * 0.1)
        self.b = Parameter(np.zeros((1, out_chan)))

    def forward(self, x):
        self.x = x
        return x @ self.W.data + self.b.data

    def backward(self, grad):
        self.W.grad += self.x.T @ grad
        self.b.grad += grad.sum(axis=0, keepdims=True)
        return grad @ self.W.data.T


class Embedding:
    def __init__(self, vocab_size, embedding_dim):
        self.table = Parameter(np.random.randn(vocab_size, embedding_dim))

    def forward(self, ids):
        self.ids = ids
        return self.table.data[ids]

    def backward(self, grad):
        np.add.at(self.table.grad, self.ids, grad)
