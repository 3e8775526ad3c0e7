"""The same PyTorch-form GRU cell with every weight, bias and gradient its own attribute written out, as CMU's
handout lays the cell out: the backward reads and writes two dozen attributes."""
import numpy as np


class Sigmoid:
    def forward(self, a):
        self.out = 1.0 / (1.0 + np.exp(-a))
        return self.out

    def derivative(self):
        return self.out * (1 - self.out)


class Tanh:
    def forward(self, a):
        self.out = np.tanh(a)
        return self.out

    def derivative(self):
        return 1 - self.out ** 2


class GRUCell:
    def __init__(self, in_dim, hidden_dim):
        rng = np.random.default_rng(5)
        h, d = hidden_dim, in_dim
        self.r_act, self.z_act, self.h_act = Sigmoid(), Sigmoid(), Tanh()
        self.Wrx = rng.standard_normal((h, d))
        self.Wrh = rng.standard_normal((h, h))
        self.brx = rng.standard_normal(h)
        self.brh = rng.standard_normal(h)
        self.Wzx = rng.standard_normal((h, d))
        self.Wzh = rng.standard_normal((h, h))
        self.bzx = rng.standard_normal(h)
        self.bzh = rng.standard_normal(h)
        self.Wnx = rng.standard_normal((h, d))
        self.Wnh = rng.standard_normal((h, h))
        self.bnx = rng.standard_normal(h)
        self.bnh = rng.standard_normal(h)
        self.dWrx = np.zeros((h, d))
        self.dWrh = np.zeros((h, h))
        self.dbrx = np.zeros(h)
        self.dbrh = np.zeros(h)
        self.dWzx = np.zeros((h, d))
        self.dWzh = np.zeros((h, h))
        self.dbzx = np.zeros(h)
        self.dbzh = np.zeros(h)
        self.dWnx = np.zeros((h, d))
        self.dWnh = np.zeros((h, h))
        self.dbnx = np.zeros(h)
        self.dbnh = np.zeros(h)

    def forward(self, x, h_prev_t):
        self.x = x
        self.hidden = h_prev_t
        self.r = self.r_act.forward(self.Wrx @ x + self.brx + self.Wrh @ h_prev_t + self.brh)
        self.z = self.z_act.forward(self.Wzx @ x + self.bzx + self.Wzh @ h_prev_t + self.bzh)
        self.nh = self.Wnh @ h_prev_t + self.bnh
        self.n = self.h_act.forward(self.Wnx @ x + self.bnx + self.r * self.nh)
        return (1 - self.z) * self.n + self.z * h_prev_t

    def backward(self, delta):
        x, h_prev = self.x, self.hidden
        dn = delta * (1 - self.z)
        dz = delta * (h_prev - self.n)
        dn_pre = dn * self.h_act.derivative()
        self.dWnx += np.outer(dn_pre, x)
        self.dbnx += dn_pre
        dr = dn_pre * self.nh
        dnh = dn_pre * self.r
        self.dWnh += np.outer(dnh, h_prev)
        self.dbnh += dnh
        dz_pre = dz * self.z_act.derivative()
        self.dWzx += np.outer(dz_pre, x)
        self.dbzx += dz_pre
        self.dWzh += np.outer(dz_pre, h_prev)
        self.dbzh += dz_pre
        dr_pre = dr * self.r_act.derivative()
        self.dWrx += np.outer(dr_pre, x)
        self.dbrx += dr_pre
        self.dWrh += np.outer(dr_pre, h_prev)
        self.dbrh += dr_pre
        dx = self.Wnx.T @ dn_pre + self.Wzx.T @ dz_pre + self.Wrx.T @ dr_pre
        dh_prev_t = delta * self.z + self.Wnh.T @ dnh + self.Wzh.T @ dz_pre + self.Wrh.T @ dr_pre
        return dx, dh_prev_t
