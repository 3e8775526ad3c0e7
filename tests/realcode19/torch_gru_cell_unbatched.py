"""A GRU cell in PyTorch's equations, a weight per gate, one sample at a time (vectors), as a learner of CMU
11-785's recurrent homework writes it: r and z from sigmoid, the candidate's hidden term hn = Wnh @ h + bnh
multiplied by r after its weight, h_t = (1 - z) * n + z * h."""
import numpy as np


def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


class GRUCell:
    def __init__(self, in_dim, hidden_dim):
        rng = np.random.default_rng(3)
        h, d = hidden_dim, in_dim
        for g in "rzn":
            setattr(self, f"W{g}x", rng.standard_normal((h, d)))
            setattr(self, f"W{g}h", rng.standard_normal((h, h)))
            setattr(self, f"b{g}x", rng.standard_normal(h))
            setattr(self, f"b{g}h", rng.standard_normal(h))
        self.zero_grad()

    def zero_grad(self):
        for g in "rzn":
            for side in "xh":
                setattr(self, f"dW{g}{side}", np.zeros_like(getattr(self, f"W{g}{side}")))
                setattr(self, f"db{g}{side}", np.zeros_like(getattr(self, f"b{g}{side}")))

    def forward(self, x, h_prev_t):
        self.x, self.hidden = x, h_prev_t
        self.r = _sig(self.Wrx @ x + self.brx + self.Wrh @ h_prev_t + self.brh)
        self.z = _sig(self.Wzx @ x + self.bzx + self.Wzh @ h_prev_t + self.bzh)
        self.hn = self.Wnh @ h_prev_t + self.bnh
        self.n = np.tanh(self.Wnx @ x + self.bnx + self.r * self.hn)
        return (1 - self.z) * self.n + self.z * h_prev_t

    def backward(self, delta):
        x, h = self.x, self.hidden
        dn = delta * (1 - self.z)
        dz = delta * (h - self.n)
        dh_direct = delta * self.z
        da_n = dn * (1 - self.n ** 2)
        dr = da_n * self.hn
        dhn = da_n * self.r
        da_z = dz * self.z * (1 - self.z)
        da_r = dr * self.r * (1 - self.r)
        self.dWnx += np.outer(da_n, x)
        self.dbnx += da_n
        self.dWnh += np.outer(dhn, h)
        self.dbnh += dhn
        self.dWzx += np.outer(da_z, x)
        self.dbzx += da_z
        self.dWzh += np.outer(da_z, h)
        self.dbzh += da_z
        self.dWrx += np.outer(da_r, x)
        self.dbrx += da_r
        self.dWrh += np.outer(da_r, h)
        self.dbrh += da_r
        dx = self.Wnx.T @ da_n + self.Wzx.T @ da_z + self.Wrx.T @ da_r
        dh_prev_t = dh_direct + self.Wnh.T @ dhn + self.Wzh.T @ da_z + self.Wrh.T @ da_r
        return dx, dh_prev_t
