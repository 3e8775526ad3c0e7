"""Buggy deeplearning.ai RNN and LSTM cells: each a copy of its correct counterpart in `course5_cells.py` with ONE
bug, registered with the bug code gradlab must diagnose."""

import numpy as np

from gradlab.registry import register_pair


def softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def rnn_cell_forward(xt, a_prev, parameters):
    Wax, Waa, ba = parameters["Wax"], parameters["Waa"], parameters["ba"]
    a_next = np.tanh(np.dot(Wax, xt) + np.dot(Waa, a_prev) + ba)
    yt_pred = softmax(np.dot(parameters["Wya"], a_next) + parameters["by"])
    cache = (a_next, a_prev, xt, parameters)
    return a_next, yt_pred, cache


def rnn_cell_backward_dwax_transposed(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = (1 - a_next ** 2) * da_next
    dxt = np.dot(parameters["Wax"].T, dz)
    dWax = np.dot(xt, dz.T)  # BUG: the product's factors swapped: (n_x, n_a), the transpose of Wax's shape
    da_prev = np.dot(parameters["Waa"].T, dz)
    dWaa = np.dot(dz, a_prev.T)
    dba = np.sum(dz, axis=1, keepdims=True)
    return {"dxt": dxt, "da_prev": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}


register_pair(rnn_cell_forward, rnn_cell_backward_dwax_transposed, kind="rnn_cell", bug="transposed",
              name="rnn_cell_dwax_transposed", layout="columns", weights="out_in",
              note="dWax = xt @ dz.T where dz @ xt.T belongs")


def rnn_cell_backward_dba_over_m(da_next, cache):
    a_next, a_prev, xt, parameters = cache
    dz = (1 - a_next ** 2) * da_next
    dxt = np.dot(parameters["Wax"].T, dz)
    dWax = np.dot(dz, xt.T)
    da_prev = np.dot(parameters["Waa"].T, dz)
    dWaa = np.dot(dz, a_prev.T)
    dba = np.sum(dz, axis=1, keepdims=True) / xt.shape[1]  # BUG: linear_backward's 1/m carried over to the cell
    return {"dxt": dxt, "da_prev": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}


register_pair(rnn_cell_forward, rnn_cell_backward_dba_over_m, kind="rnn_cell", bug="extra-batch-mean",
              name="rnn_cell_dba_over_m", layout="columns", weights="out_in",
              note="dba divided by m, where the cell's gradients are sums over the samples")


def lstm_cell_forward(xt, a_prev, c_prev, parameters):
    concat = np.concatenate((a_prev, xt), axis=0)
    ft = sigmoid(np.dot(parameters["Wf"], concat) + parameters["bf"])
    it = sigmoid(np.dot(parameters["Wi"], concat) + parameters["bi"])
    cct = np.tanh(np.dot(parameters["Wc"], concat) + parameters["bc"])
    c_next = ft * c_prev + it * cct
    ot = sigmoid(np.dot(parameters["Wo"], concat) + parameters["bo"])
    a_next = ot * np.tanh(c_next)
    yt_pred = softmax(np.dot(parameters["Wy"], a_next) + parameters["by"])
    cache = (a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters)
    return a_next, c_next, yt_pred, cache


def lstm_cell_backward_dc_prev_own_path(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    concat = np.concatenate((a_prev, xt), axis=0)
    dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)
    dot = da_next * np.tanh(c_next) * ot * (1 - ot)
    dcct = dc * it * (1 - cct ** 2)
    dit = dc * cct * it * (1 - it)
    dft = dc * c_prev * ft * (1 - ft)
    gradients = {}
    dconcat = np.zeros_like(concat)
    for gate, dz in (("f", dft), ("i", dit), ("c", dcct), ("o", dot)):
        gradients["dW" + gate] = np.dot(dz, concat.T)
        gradients["db" + gate] = np.sum(dz, axis=1, keepdims=True)
        dconcat += np.dot(parameters["W" + gate].T, dz)
    gradients["da_prev"] = dconcat[:n_a]
    gradients["dxt"] = dconcat[n_a:]
    gradients["dc_prev"] = dc_next * ft  # BUG: the path through a_next = ot * tanh(c_next) left out
    return gradients


register_pair(lstm_cell_forward, lstm_cell_backward_dc_prev_own_path, kind="lstm_cell", bug="dropped-term",
              name="lstm_cell_dc_prev_own_path", layout="columns", weights="out_in",
              note="dc_prev from dc_next alone, without a_next's path into the cell state")


def lstm_cell_backward_db_summed_to_scalar(da_next, dc_next, cache):
    a_next, c_next, a_prev, c_prev, ft, it, cct, ot, xt, parameters = cache
    n_a = a_next.shape[0]
    concat = np.concatenate((a_prev, xt), axis=0)
    dc = dc_next + da_next * ot * (1 - np.tanh(c_next) ** 2)
    dot = da_next * np.tanh(c_next) * ot * (1 - ot)
    dcct = dc * it * (1 - cct ** 2)
    dit = dc * cct * it * (1 - it)
    dft = dc * c_prev * ft * (1 - ft)
    gradients = {}
    dconcat = np.zeros_like(concat)
    for gate, dz in (("f", dft), ("i", dit), ("c", dcct), ("o", dot)):
        gradients["dW" + gate] = np.dot(dz, concat.T)
        gradients["db" + gate] = np.sum(dz)  # BUG: summed over every axis, where only the samples' (axis 1) belongs
        dconcat += np.dot(parameters["W" + gate].T, dz)
    gradients["da_prev"] = dconcat[:n_a]
    gradients["dxt"] = dconcat[n_a:]
    gradients["dc_prev"] = dc * ft
    return gradients


register_pair(lstm_cell_forward, lstm_cell_backward_db_summed_to_scalar, kind="lstm_cell", bug="wrong-reduction",
              name="lstm_cell_db_summed_to_scalar", layout="columns", weights="out_in",
              note="each gate's bias gradient summed to one number where a column (n_a, 1) belongs")
