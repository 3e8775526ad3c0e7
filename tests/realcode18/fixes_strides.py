"""A learner's strided convolutions, loop by loop: CS231n's naive convolution with each window's corner bound a line at
a time, and a transposed convolution reading its stride with a default (`conv_param.get("stride", 1)`). Correct; the
fix tests write one slip into a copy (the corners bound to the output's index without the stride, on both lines; the
upstream patch a transposed convolution's backward reads taken without the stride)."""
import numpy as np


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            top = i * stride
            left = j * stride
            window = xp[:, :, top:top + HH, left:left + WW]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    F, _, HH, WW = w.shape
    _, _, Ho, Wo = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for i in range(Ho):
        for j in range(Wo):
            top = i * stride
            left = j * stride
            window = xp[:, :, top:top + HH, left:left + WW]
            dw += np.tensordot(dout[:, :, i, j], window, axes=([0], [0]))
            dxp[:, :, top:top + HH, left:left + WW] += np.tensordot(dout[:, :, i, j], w, axes=([1], [0]))
    dx = dxp[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]]
    return dx, dw, db


def conv_transpose_forward(x, w, b, conv_param):
    step = conv_param.get("stride", 1)
    N, C, H, W = x.shape
    _, F, kh, kw = w.shape
    out = np.zeros((N, F, (H - 1) * step + kh, (W - 1) * step + kw))
    for r in range(H):
        for q in range(W):
            out[:, :, r * step:r * step + kh, q * step:q * step + kw] += np.tensordot(x[:, :, r, q], w, axes=([1], [0]))
    return out + b[None, :, None, None], (x, w, conv_param)


def conv_transpose_backward(dout, cache):
    x, w, conv_param = cache
    step = conv_param.get("stride", 1)
    _, _, H, W = x.shape
    _, _, kh, kw = w.shape
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for r in range(H):
        for q in range(W):
            region = dout[:, :, r * step:r * step + kh, q * step:q * step + kw]
            dx[:, :, r, q] = np.tensordot(region, w, axes=([1, 2, 3], [1, 2, 3]))
            dw += np.tensordot(x[:, :, r, q], region, axes=([0], [0]))
    return dx, dw, dout.sum(axis=(0, 2, 3))
