"""Buggy deeplearning.ai RNN and LSTM sequences: each a copy of its correct counterpart in `course5_sequences.py`
with ONE bug, registered with the bug code gradlab must diagnose (the cells they call are the correct ones)."""

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



def rnn_backward_dwaa_overwritten(da, caches):
    caches, x = caches
    n_a, m, T_x = da.shape
    n_x = x.shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax = np.zeros((n_a, n_x))
    dWaa = np.zeros((n_a, n_a))
    dba = np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        gradients = rnn_cell_backward(da[:, :, t] + da_prevt, caches[t])
        da_prevt = gradients["da_prev"]
        dx[:, :, t] = gradients["dxt"]
        dWax += gradients["dWax"]
        dWaa = gradients["dWaa"]  # BUG: each step's share replaces the sum over the steps after it
        dba += gradients["dba"]
    return {"dx": dx, "da0": da_prevt, "dWax": dWax, "dWaa": dWaa, "dba": dba}


register_pair(rnn_forward, rnn_backward_dwaa_overwritten, kind="rnn_sequence", bug="dropped-term",
              name="rnn_sequence_dwaa_overwritten", note="dWaa = the step's share where += belongs")


def rnn_backward_dx_negated(da, caches):
    caches, x = caches
    n_a, m, T_x = da.shape
    n_x = x.shape[0]
    dx = np.zeros((n_x, m, T_x))
    dWax = np.zeros((n_a, n_x))
    dWaa = np.zeros((n_a, n_a))
    dba = np.zeros((n_a, 1))
    da_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        gradients = rnn_cell_backward(da[:, :, t] + da_prevt, caches[t])
        da_prevt = gradients["da_prev"]
        dx[:, :, t] = -gradients["dxt"]  # BUG: a minus sign carried over from a gradient-descent step
        dWax += gradients["dWax"]
        dWaa += gradients["dWaa"]
        dba += gradients["dba"]
    return {"dx": dx, "da0": da_prevt, "dWax": dWax, "dWaa": dWaa, "dba": dba}


register_pair(rnn_forward, rnn_backward_dx_negated, kind="rnn_sequence", bug="sign-flip",
              name="rnn_sequence_dx_negated", note="dx stored with its sign flipped")


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


def lstm_backward_dbo_over_m(da, caches):
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
    gradients["dbo"] = gradients["dbo"] / m  # BUG: the cost's 1/m applied to one gradient, not in the cost
    gradients["da0"] = da_prevt
    return gradients


register_pair(lstm_forward, lstm_backward_dbo_over_m, kind="lstm_sequence", bug="extra-batch-mean",
              name="lstm_sequence_dbo_over_m", note="dbo divided by m, where the sequence's gradients are sums")
