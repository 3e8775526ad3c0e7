import numpy as np
from mytorch.nn.activation import *


class RNNCell(object):
    def __init__(self, input_size, hidden_size):
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.activation = Tanh()
        self.W_ih = np.random.randn(hidden_size, input_size)
        self.W_hh = np.random.randn(hidden_size, hidden_size)
        self.b_ih = np.random.randn(hidden_size)
        self.b_hh = np.random.randn(hidden_size)
        self.zero_grad()

    def init_weights(self, W_ih, W_hh, b_ih, b_hh):
        self.W_ih, self.W_hh, self.b_ih, self.b_hh = W_ih, W_hh, b_ih, b_hh

    def zero_grad(self):
        self.dW_ih = np.zeros((self.hidden_size, self.input_size))
        self.dW_hh = np.zeros((self.hidden_size, self.hidden_size))
        self.db_ih = np.zeros(self.hidden_size)
        self.db_hh = np.zeros(self.hidden_size)

    def __call__(self, x, h_prev_t):
        return self.forward(x, h_prev_t)

    def forward(self, x, h_prev_t):
        z = np.dot(x, self.W_ih.T) + self.b_ih + np.dot(h_prev_t, self.W_hh.T) + self.b_hh
        return self.activation.forward(z)

    def backward(self, delta, h_t, h_prev_l, h_prev_t):
        batch_size = delta.shape[0]
        dz = self.activation.backward(delta, state=h_t)
        self.dW_ih += np.dot(dz.T, h_prev_l) / batch_size
        self.dW_hh += np.dot(dz.T, h_prev_l) / batch_size
        self.db_ih += np.mean(dz, axis=0)
        self.db_hh += np.mean(dz, axis=0)
        dx = np.dot(dz, self.W_ih)
        dh_prev_t = np.dot(dz, self.W_hh)
        return dx, dh_prev_t
