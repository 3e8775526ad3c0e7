"""Buggy twin: a Linear given its weights that never keeps them, which is a broken affine layer, not another one."""


class Linear:
    def __init__(self, W, b):
        self.shape = W.shape

    def forward(self, x):
        return x @ self.W + self.b

    def backward(self, dout):
        return dout @ self.W.T
