"""A correct recurrent cell in the manner of CMU 11-785's mytorch (PyTorch's layout, the course's calling convention).

`RNNCell(input_size, hidden_size)`: W_ih (H, D), W_hh (H, H), b_ih and b_hh (H,); `forward(x, h_prev_t) -> h_t`;
`backward(delta, h_t, h_prev_l, h_prev_t) -> (dx, dh_prev_t)`, handed the forward's output and inputs back (the
course runs it over time steps and layers, so the cell keeps no cache), adding the batch-averaged weight gradients
into dW_ih, dW_hh, db_ih, db_hh, which `zero_grad` sets back to zeros. The activation is an object whose backward
takes the state it was evaluated at, as the course's BPTT-friendly Tanh does.
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
