"""A batch norm in CMU 11-785's mytorch style: parameters BW and Bb of shape (1, C), gradients dLdBW and dLdBb kept
as (1, C) with keepdims, eval mode by a flag."""
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
            NZ = (Z - self.running_M) / np.sqrt(self.running_V + self.eps)
            return self.BW * NZ + self.Bb
        self.Z = Z
        self.N = Z.shape[0]
        self.M = np.mean(Z, axis=0, keepdims=True)
        self.V = np.var(Z, axis=0, keepdims=True)
        self.NZ = (Z - self.M) / np.sqrt(self.V + self.eps)
        self.running_M = self.alpha * self.running_M + (1 - self.alpha) * self.M
        self.running_V = self.alpha * self.running_V + (1 - self.alpha) * self.V
        return self.BW * self.NZ + self.Bb

    def backward(self, dLdBZ):
        self.dLdBW = np.sum(dLdBZ * self.NZ, axis=0, keepdims=True)
        self.dLdBb = np.sum(dLdBZ, axis=0, keepdims=True)
        dLdNZ = dLdBZ * self.BW
        std = np.sqrt(self.V + self.eps)
        dLdV = np.sum(dLdNZ * (self.Z - self.M) * -0.5 * std ** -3, axis=0, keepdims=True)
        dLdM = -np.sum(dLdNZ / std, axis=0, keepdims=True) - 2 / self.N * dLdV * np.sum(self.Z - self.M, axis=0,
                                                                                       keepdims=True)
        return dLdNZ / std + dLdV * 2 * (self.Z - self.M) / self.N + dLdM / self.N
