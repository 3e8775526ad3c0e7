"""Buggy channels-last convolution and pooling: each a copy of its correct counterpart in `channels_last.py` with
ONE bug, registered with the bug code gradlab must diagnose."""

import numpy as np

from gradlab.registry import register_pair


def _pad(A, pad):
    return np.pad(A, ((0, 0), (pad, pad), (pad, pad), (0, 0)))


def conv_forward(A_prev, W, b, hparameters):
    stride, pad = hparameters["stride"], hparameters["pad"]
    f = W.shape[0]
    A_pad = _pad(A_prev, pad)
    n_H = (A_pad.shape[1] - f) // stride + 1
    n_W = (A_pad.shape[2] - f) // stride + 1
    Z = np.zeros((A_prev.shape[0], n_H, n_W, W.shape[3]))
    for h in range(n_H):
        for w in range(n_W):
            window = A_pad[:, h * stride:h * stride + f, w * stride:w * stride + f, :]
            Z[:, h, w, :] = np.tensordot(window, W, axes=([1, 2, 3], [0, 1, 2]))
    return Z + b, (A_prev, W, b, hparameters)


def conv_backward_dw_over_m(dZ, cache):
    A_prev, W, b, hparameters = cache
    stride, pad = hparameters["stride"], hparameters["pad"]
    f = W.shape[0]
    A_pad = _pad(A_prev, pad)
    dA_pad = np.zeros_like(A_pad)
    dW = np.zeros_like(W)
    for h in range(dZ.shape[1]):
        for w in range(dZ.shape[2]):
            rows, cols = slice(h * stride, h * stride + f), slice(w * stride, w * stride + f)
            g = dZ[:, h, w, :]
            dA_pad[:, rows, cols, :] += np.tensordot(g, W, axes=([1], [3]))
            dW += np.tensordot(A_pad[:, rows, cols, :], g, axes=([0], [0]))
    dW = dW / A_prev.shape[0]  # BUG: linear_backward's 1/m carried over; dZ already holds each example's share
    db = dZ.sum(axis=(0, 1, 2)).reshape(b.shape)
    n_H_prev, n_W_prev = A_prev.shape[1], A_prev.shape[2]
    dA_prev = dA_pad[:, pad:pad + n_H_prev, pad:pad + n_W_prev, :]
    return dA_prev, dW, db


register_pair(conv_forward, conv_backward_dw_over_m, kind="conv_channels_last", bug="extra-batch-mean",
              name="conv_channels_last_dw_over_m", note="dW divided by m as linear_backward's is")


def pool_forward(A_prev, hparameters, mode="max"):
    f, stride = hparameters["f"], hparameters["stride"]
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    n_H, n_W = (n_H_prev - f) // stride + 1, (n_W_prev - f) // stride + 1
    A = np.zeros((m, n_H, n_W, n_C))
    for h in range(n_H):
        for w in range(n_W):
            window = A_prev[:, h * stride:h * stride + f, w * stride:w * stride + f, :]
            A[:, h, w, :] = window.max(axis=(1, 2)) if mode == "max" else window.mean(axis=(1, 2))
    return A, (A_prev, hparameters)


def pool_backward_overwrites(dA, cache, mode="max"):
    A_prev, hparameters = cache
    f, stride = hparameters["f"], hparameters["stride"]
    dA_prev = np.zeros_like(A_prev)
    for h in range(dA.shape[1]):
        for w in range(dA.shape[2]):
            rows, cols = slice(h * stride, h * stride + f), slice(w * stride, w * stride + f)
            g = dA[:, h:h + 1, w:w + 1, :]
            if mode == "max":
                window = A_prev[:, rows, cols, :]
                mask = window == window.max(axis=(1, 2), keepdims=True)
                # BUG: = where overlapping windows must add (+=): the last window's share replaces the others'
                dA_prev[:, rows, cols, :] = mask * g
            else:
                dA_prev[:, rows, cols, :] += g / (f * f)
    return dA_prev


register_pair(pool_forward, pool_backward_overwrites, kind="pool_channels_last", bug="dropped-term",
              name="pool_channels_last_overwrites", note="overlapping windows' shares overwritten, not added")
