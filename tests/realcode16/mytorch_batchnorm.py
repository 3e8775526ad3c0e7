"""A batch norm in CMU 11-785's first homework's spelling: scale BW, shift Bb, gradients dLdBW and dLdBb."""
import numpy as np


class BatchNorm1d:
    def __init__(self, num_features, alpha=0.9):
        self.alpha, self.eps = alpha, 1e-8
        self.BW = np.ones((1, num_features))
        self.Bb = np.zeros((1, num_features))
        self.running_M = np.zeros((1, num_features))
        self.running_V = np.ones((1, num_features))

    def forward(self, Z, eval=False):
        if eval:
            return self.BW * (Z - self.running_M) / np.sqrt(self.running_V + self.eps) + self.Bb
        self.Z, self.N = Z, Z.shape[0]
        self.M = Z.mean(axis=0, keepdims=True)
        self.V = Z.var(axis=0, keepdims=True)
        self.NZ = (Z - self.M) / np.sqrt(self.V + self.eps)
        self.running_M = self.alpha * self.running_M + (1 - self.alpha) * self.M
        self.running_V = self.alpha * self.running_V + (1 - self.alpha) * self.V
        return self.BW * self.NZ + self.Bb

    def backward(self, dLdBZ):
        self.dLdBW = (dLdBZ * self.NZ).sum(axis=0, keepdims=True)
        self.dLdBb = dLdBZ.sum(axis=0, keepdims=True)
        dLdNZ = dLdBZ * self.BW
        inv = 1.0 / np.sqrt(self.V + self.eps)
        dLdV = -0.5 * (dLdNZ * (self.Z - self.M) * inv ** 3).sum(axis=0, keepdims=True)
        dLdM = -(dLdNZ * inv).sum(axis=0, keepdims=True) - 2 * dLdV * (self.Z - self.M).mean(axis=0, keepdims=True)
        return dLdNZ * inv + dLdV * 2 * (self.Z - self.M) / self.N + dLdM / self.N
