"""A correct recurrent cell in the manner of CMU 11-785's mytorch (PyTorch's layout, the course's calling convention).

`RNNCell(input_size, hidden_size)`: W_ih (H, D), W_hh (H, H), b_ih and b_hh (H,); `forward(x, h_prev_t) -> h_t`;
`backward(delta, h_t, h_prev_l, h_prev_t) -> (dx, dh_prev_t)`, handed the forward's output and inputs back (the
course runs it over time steps and layers, so the cell keeps no cache), adding the batch-averaged weight gradients
into dW_ih, dW_hh, db_ih, db_hh, which `zero_grad` sets back to zeros. The activation is an object whose backward
takes the state it was evaluated at, as the course's BPTT-friendly Tanh does.
`GRUCell(input_size, hidden_size)`: a weight and two biases per gate (Wrx, Wzx, Wnx (H, D); Wrh, Wzh, Wnh (H, H);
brx ... bnh (H,)), PyTorch's equations; `forward(x, h_prev_t) -> h_t`, `backward(delta) -> (dx, dh_prev_t)`. Written
here for batches of rows; the course's own cell takes one sample as vectors, which gradlab detects.
"""

import numpy as np

from gradlab.registry import register


class StateTanh:
    """tanh whose derivative is taken at a given output (`state`), not at the last one computed."""

    def forward(self, z):
        self.value = np.tanh(z)
        return self.value

    def backward(self, grad, state=None):
        y = self.value if state is None else state
        return grad * (1.0 - y * y)


@register("torch_rnn_cell")
class RNNCell:
    def __init__(self, input_size, hidden_size):
        self.input_size, self.hidden_size = input_size, hidden_size
        self.activation = StateTanh()
        h, d = hidden_size, input_size
        self.W_ih, self.W_hh = np.random.randn(h, d), np.random.randn(h, h)
        self.b_ih, self.b_hh = np.random.randn(h), np.random.randn(h)
        self.zero_grad()

    def init_weights(self, W_ih, W_hh, b_ih, b_hh):
        self.W_ih, self.W_hh, self.b_ih, self.b_hh = W_ih, W_hh, b_ih, b_hh

    def zero_grad(self):
        h, d = self.hidden_size, self.input_size
        self.dW_ih = np.zeros((h, d))
        self.dW_hh = np.zeros((h, h))
        self.db_ih = np.zeros(h)
        self.db_hh = np.zeros(h)

    def forward(self, x, h_prev_t):
        return self.activation.forward(x @ self.W_ih.T + self.b_ih + h_prev_t @ self.W_hh.T + self.b_hh)

    def backward(self, delta, h_t, h_prev_l, h_prev_t):
        n = delta.shape[0]
        dz = self.activation.backward(delta, state=h_t)
        self.dW_ih += dz.T @ h_prev_l / n
        self.dW_hh += dz.T @ h_prev_t / n
        self.db_ih += dz.sum(axis=0) / n
        self.db_hh += dz.sum(axis=0) / n
        return dz @ self.W_ih, dz @ self.W_hh


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


@register("torch_gru_cell")
class GRUCell:
    def __init__(self, input_size, hidden_size):
        self.d, self.h = input_size, hidden_size
        h, d = hidden_size, input_size
        self.Wrx, self.Wzx, self.Wnx = np.zeros((h, d)), np.zeros((h, d)), np.zeros((h, d))
        self.Wrh, self.Wzh, self.Wnh = np.zeros((h, h)), np.zeros((h, h)), np.zeros((h, h))
        self.brx, self.bzx, self.bnx = np.zeros(h), np.zeros(h), np.zeros(h)
        self.brh, self.bzh, self.bnh = np.zeros(h), np.zeros(h), np.zeros(h)

    def forward(self, x, h_prev_t):
        self.x, self.hidden = x, h_prev_t
        self.r = _sigmoid(x @ self.Wrx.T + self.brx + h_prev_t @ self.Wrh.T + self.brh)
        self.z = _sigmoid(x @ self.Wzx.T + self.bzx + h_prev_t @ self.Wzh.T + self.bzh)
        self.hn = h_prev_t @ self.Wnh.T + self.bnh
        self.n = np.tanh(x @ self.Wnx.T + self.bnx + self.r * self.hn)
        return (1 - self.z) * self.n + self.z * h_prev_t

    def _gates(self, delta):
        """The gradients at the three gates' pre-activations."""
        dn = delta * (1 - self.z) * (1 - self.n ** 2)
        dz = delta * (self.hidden - self.n) * self.z * (1 - self.z)
        dr = dn * self.hn * self.r * (1 - self.r)
        return dn, dz, dr

    def _store(self, dn, dz, dr):
        x, h = self.x, self.hidden
        self.dWnx, self.dbnx = dn.T @ x, dn.sum(axis=0)
        self.dWnh, self.dbnh = (dn * self.r).T @ h, (dn * self.r).sum(axis=0)
        self.dWzx, self.dbzx = dz.T @ x, dz.sum(axis=0)
        self.dWzh, self.dbzh = dz.T @ h, dz.sum(axis=0)
        self.dWrx, self.dbrx = dr.T @ x, dr.sum(axis=0)
        self.dWrh, self.dbrh = dr.T @ h, dr.sum(axis=0)

    def backward(self, delta):
        dn, dz, dr = self._gates(delta)
        self._store(dn, dz, dr)
        dx = dn @ self.Wnx + dz @ self.Wzx + dr @ self.Wrx
        dh = delta * self.z + (dn * self.r) @ self.Wnh + dz @ self.Wzh + dr @ self.Wrh
        return dx, dh
