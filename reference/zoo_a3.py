"""Buggy recurrent layers of CS231n assignment 3 (function style): one classic bug each.

The forwards are the correct ones (`a3_functions`), wrapped here so that each entry belongs to this
module; every backward carries the one bug its registration names: weight gradients overwritten
instead of accumulated over time steps, the gradient from the next step's hidden or cell state
dropped, the cell path without the forget gate, a mask ignored, a batch mean forgotten, a tanh'
evaluated at the wrong array.
"""

import numpy as np

from gradlab.reference import a3_functions as ok
from gradlab.registry import register, register_pair


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    return ok.rnn_step_forward(x, prev_h, Wx, Wh, b)


def rnn_forward(x, h0, Wx, Wh, b):
    return ok.rnn_forward(x, h0, Wx, Wh, b)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    return ok.lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)


def lstm_forward(x, h0, Wx, Wh, b):
    return ok.lstm_forward(x, h0, Wx, Wh, b)


def temporal_affine_forward(x, w, b):
    return ok.temporal_affine_forward(x, w, b)


def word_embedding_forward(x, W):
    return ok.word_embedding_forward(x, W)


# --- one RNN step -------------------------------------------------------------------------------

def rnn_step_backward_transposed_dwh(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h ** 2)
    # BUG: da.T @ prev_h is dWh transposed (Wh is square, so the shape cannot tell)
    return da @ Wx.T, da @ Wh.T, x.T @ da, da.T @ prev_h, da.sum(axis=0)


def rnn_step_backward_db_per_sample(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=1)  # BUG: b is shared by the batch: axis=0


# --- an RNN over time ---------------------------------------------------------------------------

def rnn_backward_overwrites_dwh(dh, cache):
    N, T, H = dh.shape
    x0, _, Wx, Wh, _ = cache[0]
    dx = np.zeros((N, T, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = ok.rnn_step_backward(dh[:, t] + dprev_h, cache[t])
        dWx += dWx_t
        dWh = dWh_t  # BUG: only step 0's share survives; dWh += dWh_t sums over time
        db += db_t
    return dx, dprev_h, dWx, dWh, db


def rnn_backward_drops_next_dh(dh, cache):
    N, T, H = dh.shape
    x0, _, Wx, Wh, _ = cache[0]
    dx = np.zeros((N, T, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        # BUG: dh[:, t] alone; h_t also fed step t+1, whose gradient is dprev_h
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = ok.rnn_step_backward(dh[:, t], cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db


def rnn_backward_no_dh0(dh, cache):
    dx, _, dWx, dWh, db = ok.rnn_backward(dh, cache)
    return dx, np.zeros(dh[:, 0].shape), dWx, dWh, db  # BUG: h0 feeds the first step; its gradient is dprev_h


# --- LSTM ---------------------------------------------------------------------------------------

def lstm_step_backward_no_forget_gate(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache
    dc = dnext_c + dnext_h * o * (1 - tanh_c ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * prev_c * f * (1 - f), dnext_h * tanh_c * o * (1 - o),
                    dc * i * (1 - g ** 2)])
    # BUG: next_c = f * prev_c + ..., so dprev_c = dc * f
    return da @ Wx.T, da @ Wh.T, dc, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def lstm_backward_overwrites_dwx(dh, cache):
    N, T, H = dh.shape
    x0, _, _, Wx, Wh = cache[0][:5]
    dx = np.zeros((N, T, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(4 * H)
    dprev_h, dprev_c = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dprev_c, dWx_t, dWh_t, db_t = ok.lstm_step_backward(dh[:, t] + dprev_h, dprev_c, cache[t])
        dWx = dWx_t  # BUG: dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db


def lstm_backward_drops_next_dc(dh, cache):
    N, T, H = dh.shape
    x0, _, _, Wx, Wh = cache[0][:5]
    dx = np.zeros((N, T, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(4 * H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        # BUG: the cell state c_t feeds step t+1 too; its gradient (dprev_c of that step) is dropped
        dx[:, t], dprev_h, _, dWx_t, dWh_t, db_t = ok.lstm_step_backward(dh[:, t] + dprev_h, np.zeros((N, H)),
                                                                         cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db


def lstm_backward_no_forget_gate(dh, cache):
    N, T, H = dh.shape
    x0, _, _, Wx, Wh = cache[0][:5]
    dx = np.zeros((N, T, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(4 * H)
    dprev_h, dprev_c = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        step = lstm_step_backward_no_forget_gate(dh[:, t] + dprev_h, dprev_c, cache[t])
        dx[:, t], dprev_h, dprev_c, dWx_t, dWh_t, db_t = step
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db


# --- words, affine over time, the masked loss ---------------------------------------------------

def word_embedding_backward_assigns(dout, cache):
    x, W_shape = cache
    dW = np.zeros(W_shape)
    dW[x] = dout  # BUG: a word used twice keeps one gradient; np.add.at(dW, x, dout) sums them
    return dW


def temporal_affine_backward_db_over_n(dout, cache):
    dx, dw, _ = ok.temporal_affine_backward(dout, cache)
    return dx, dw, dout.sum(axis=0)  # BUG: b is added at every (n, t): db sums over axes (0, 1)


# --- a derivative evaluated at the wrong array -----------------------------------------------------

def rnn_step_backward_tanh_at_prev_h(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - prev_h ** 2)  # BUG: tanh' belongs at this step's output: 1 - next_h ** 2
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def rnn_backward_tanh_at_prev_h(dh, cache):
    N, T, H = dh.shape
    x0, _, Wx, Wh, _ = cache[0]
    dx = np.zeros((N, T, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward_tanh_at_prev_h(dh[:, t] + dprev_h, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db


def lstm_step_forward_caching_c(x, prev_h, prev_c, Wx, Wh, b):
    next_h, next_c, cache = ok.lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    return next_h, next_c, (*cache, next_c)


def lstm_step_backward_tanh_at_next_c(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c, next_c = cache
    dc = dnext_c + dnext_h * o * (1 - next_c ** 2)  # BUG: tanh' of the cell state is 1 - tanh(next_c) ** 2
    da = np.hstack([dc * g * i * (1 - i), dc * prev_c * f * (1 - f), dnext_h * tanh_c * o * (1 - o),
                    dc * i * (1 - g ** 2)])
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)


@register("temporal_softmax_loss", bug="missing-mask", name="temporal_softmax_loss_mask_ignored_in_dx")
def temporal_softmax_loss(x, y, mask, verbose=False):
    N, T, V = x.shape
    shifted = x - x.max(axis=2, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    loss = -np.sum(mask * np.take_along_axis(log_p, y[..., None], axis=2)[..., 0]) / N
    dx = np.exp(log_p)
    np.put_along_axis(dx, y[..., None], np.take_along_axis(dx, y[..., None], axis=2) - 1, axis=2)
    return loss, dx / N  # BUG: masked steps are not in the loss, so their dx must be zero (dx *= mask)


@register("temporal_softmax_loss", bug="missing-batch-mean", name="temporal_softmax_loss_dx_not_averaged")
def temporal_softmax_loss_sum(x, y, mask, verbose=False):
    loss, dx = ok.temporal_softmax_loss(x, y, mask)
    return loss, dx * x.shape[0]  # BUG: the loss is averaged over the N samples, so dx is too


register_pair(rnn_step_forward, rnn_step_backward_transposed_dwh, kind="rnn_step", bug="transposed",
              name="rnn_step_transposed_dwh")
register_pair(rnn_step_forward, rnn_step_backward_db_per_sample, kind="rnn_step", bug="wrong-reduction",
              name="rnn_step_db_summed_over_h")
register_pair(rnn_forward, rnn_backward_overwrites_dwh, kind="rnn", bug="dropped-term", name="rnn_overwrites_dwh")
register_pair(rnn_forward, rnn_backward_drops_next_dh, kind="rnn", bug="dropped-term", name="rnn_drops_next_dh")
register_pair(rnn_forward, rnn_backward_no_dh0, kind="rnn", bug="zero-gradient", name="rnn_no_dh0")
register_pair(lstm_step_forward, lstm_step_backward_no_forget_gate, kind="lstm_step", bug="dropped-term",
              name="lstm_step_cell_path_without_forget_gate")
register_pair(lstm_forward, lstm_backward_overwrites_dwx, kind="lstm", bug="dropped-term", name="lstm_overwrites_dwx")
register_pair(lstm_forward, lstm_backward_drops_next_dc, kind="lstm", bug="dropped-term", name="lstm_drops_next_dc")
register_pair(lstm_forward, lstm_backward_no_forget_gate, kind="lstm", bug="dropped-term",
              name="lstm_cell_path_without_forget_gate")
register_pair(word_embedding_forward, word_embedding_backward_assigns, kind="embedding", bug="dropped-term",
              name="word_embedding_assigns_rows")
register_pair(temporal_affine_forward, temporal_affine_backward_db_over_n, kind="temporal_affine",
              bug="wrong-reduction", name="temporal_affine_db_over_n_only")
register_pair(rnn_step_forward, rnn_step_backward_tanh_at_prev_h, kind="rnn_step", bug="wrong-input",
              name="rnn_step_tanh_at_prev_h")
register_pair(rnn_forward, rnn_backward_tanh_at_prev_h, kind="rnn", bug="wrong-input", name="rnn_tanh_at_prev_h")
register_pair(lstm_step_forward_caching_c, lstm_step_backward_tanh_at_next_c, kind="lstm_step", bug="wrong-input",
              name="lstm_step_tanh_at_next_c")
