"""Correct RNN and LSTM over a sequence in deeplearning.ai's convention (Course 5, week 1): x (n_x, m, T_x), the
weights in one `parameters` dict, the sequence built from the cells of `course5_cells.py` and the gradients returned
in a dict keyed by 'd' + each name."""

import numpy as np
from gradlab.reference.course5_cells import (
    lstm_cell_backward,
    lstm_cell_forward,
    rnn_cell_backward,
    rnn_cell_forward,
)

from gradlab.registry import register_pair


def rnn_forward(x, a0, parameters):
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wya"].shape
    a = np.zeros((n_a, m, T_x))
    y_pred = np.zeros((n_y, m, T_x))
    caches = []
    a_next = a0
    for t in range(T_x):
        a_next, yt_pred, cache = rnn_cell_forward(x[:, :, t], a_next, parameters)
        a[:, :, t] = a_next
        y_pred[:, :, t] = yt_pred
        caches.append(cache)
    return a, y_pred, (caches, x)


def rnn_backward(da, caches):
    caches, x = caches
    n_a, m, T_x = da.shape
    n_x = x.shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax = np.zeros((n_a, n_x))
    dWaa = np.zeros((n_a, n_a))
    dba = np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        # the loss reaches a<t> directly (da) and through a<t+1> (da_prevt): both paths add
        gradients = rnn_cell_backward(da[:, :, t] + da_prevt, caches[t])
        da_prevt = gradients["da_prev"]
        dx[:, :, t] = gradients["dxt"]
        dWax += gradients["dWax"]
        dWaa += gradients["dWaa"]
        dba += gradients["dba"]
    return {"dx": dx, "da0": da_prevt, "dWax": dWax, "dWaa": dWaa, "dba": dba}


register_pair(rnn_forward, rnn_backward, kind="rnn_sequence", name="rnn_sequence")


def lstm_forward(x, a0, parameters):
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wy"].shape
    a = np.zeros((n_a, m, T_x))
    c = np.zeros((n_a, m, T_x))
    y = np.zeros((n_y, m, T_x))
    caches = []
    a_next, c_next = a0, np.zeros((n_a, m))
    for t in range(T_x):
        a_next, c_next, yt, cache = lstm_cell_forward(x[:, :, t], a_next, c_next, parameters)
        a[:, :, t], c[:, :, t], y[:, :, t] = a_next, c_next, yt
        caches.append(cache)
    return a, y, c, (caches, x)


def lstm_backward(da, caches):
    caches, x = caches
    n_a, m, T_x = da.shape
    gradients = {"dx": np.zeros((x.shape[0], m, T_x))}
    for gate in ("f", "i", "c", "o"):
        gradients["dW" + gate] = np.zeros((n_a, n_a + x.shape[0]))
        gradients["db" + gate] = np.zeros((n_a, 1))
    da_prevt, dc_prevt = np.zeros((n_a, m)), np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = lstm_cell_backward(da[:, :, t] + da_prevt, dc_prevt, caches[t])
        da_prevt, dc_prevt = step["da_prev"], step["dc_prev"]
        gradients["dx"][:, :, t] = step["dxt"]
        for gate in ("f", "i", "c", "o"):
            gradients["dW" + gate] += step["dW" + gate]
            gradients["db" + gate] += step["db" + gate]
    gradients["da0"] = da_prevt
    return gradients


register_pair(lstm_forward, lstm_backward, kind="lstm_sequence", name="lstm_sequence")
