import numpy as np


class Tanh:
    """tanh keeping its last output; backward may be told the output to differentiate at (BPTT)."""

    def forward(self, Z):
        self.A = np.tanh(Z)
        return self.A

    def backward(self, dLdA, state=None):
        A = self.A if state is None else state
        return dLdA * (1 - A ** 2)


class Sigmoid:
    def forward(self, Z):
        self.A = 1 / (1 + np.exp(-Z))
        return self.A

    def backward(self, dLdA, state=None):
        A = self.A if state is None else state
        return dLdA * A * (1 - A)
