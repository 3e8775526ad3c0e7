import numpy as np


class GELU:
    def forward(self, x):
        self.x = x
        self.u = np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)
        self.t = np.tanh(self.u)
        return 0.5 * x * (1 + self.t)

    def backward(self, grad):
        du = np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * self.x ** 2)
        return grad * (0.5 * (1 + self.t) + 0.5 * self.x * (1 - self.t ** 2) * du * 2)
