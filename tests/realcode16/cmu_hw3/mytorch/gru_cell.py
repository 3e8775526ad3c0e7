import numpy as np
from mytorch.nn.activation import *


class GRUCell(object):
    """One GRU step on one sample: x (d,), h (h,), as the course's cell takes them."""

    def __init__(self, input_size, hidden_size):
        self.d, self.h = input_size, hidden_size
        h, d = hidden_size, input_size
        self.Wrx, self.Wzx, self.Wnx = (np.random.randn(h, d) for _ in range(3))
        self.Wrh, self.Wzh, self.Wnh = (np.random.randn(h, h) for _ in range(3))
        self.brx, self.bzx, self.bnx = (np.random.randn(h) for _ in range(3))
        self.brh, self.bzh, self.bnh = (np.random.randn(h) for _ in range(3))
        self.r_act, self.z_act, self.h_act = Sigmoid(), Sigmoid(), Tanh()

    def init_weights(self, Wrx, Wzx, Wnx, Wrh, Wzh, Wnh, brx, bzx, bnx, brh, bzh, bnh):
        self.Wrx, self.Wzx, self.Wnx, self.Wrh, self.Wzh, self.Wnh = Wrx, Wzx, Wnx, Wrh, Wzh, Wnh
        self.brx, self.bzx, self.bnx, self.brh, self.bzh, self.bnh = brx, bzx, bnx, brh, bzh, bnh

    def forward(self, x, h_prev_t):
        self.x, self.hidden = x, h_prev_t
        self.r = self.r_act.forward(self.Wrx @ x + self.brx + self.Wrh @ h_prev_t + self.brh)
        self.z = self.z_act.forward(self.Wzx @ x + self.bzx + self.Wzh @ h_prev_t + self.bzh)
        self.hn = self.Wnh @ h_prev_t + self.bnh
        self.n = self.h_act.forward(self.Wnx @ x + self.bnx + self.r * self.hn)
        assert x.shape == (self.d,) and h_prev_t.shape == (self.h,)
        return (1 - self.z) * self.n + self.z * h_prev_t

    def backward(self, delta):
        x, h_prev = self.x.reshape(-1, 1), self.hidden.reshape(-1, 1)
        delta = delta.reshape(-1)
        dn = delta * (1 - self.z) * (1 - self.n ** 2)
        dz = delta * (self.hidden - self.n) * self.z * (1 - self.z)
        dr = dn * self.hn * self.r * (1 - self.r)
        self.dWnx = dn.reshape(-1, 1) @ x.T
        self.dbnx = dn
        self.dWnh = (dn * self.r).reshape(-1, 1) @ h_prev.T
        self.dbnh = dn * self.r
        self.dWzx = dz.reshape(-1, 1) @ x.T
        self.dbzx = dz
        self.dWzh = dz.reshape(-1, 1) @ h_prev.T
        self.dbzh = dz
        self.dWrx = dr.reshape(-1, 1) @ x.T
        self.dbrx = dr
        self.dWrh = dr.reshape(-1, 1) @ h_prev.T
        self.dbrh = dr
        dx = dn @ self.Wnx + dz @ self.Wzx + dr @ self.Wrx
        dh_prev_t = delta * self.z + (dn * self.r) @ self.Wnh + dz @ self.Wzh + dr @ self.Wrh
        return dx.reshape(1, -1), dh_prev_t.reshape(1, -1)
