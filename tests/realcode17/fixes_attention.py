"""A learner's multi-head self-attention as a pair of functions, heads split with einsum. Correct; the fix tests write
one slip into a copy (the keys' path left out of dx)."""
import numpy as np


def _heads(t, h):
    n, T, D = t.shape
    return t.reshape(n, T, h, D // h)


def mha_forward(x, Wq, Wk, Wv, Wo, num_heads):
    q, k, v = _heads(x @ Wq, num_heads), _heads(x @ Wk, num_heads), _heads(x @ Wv, num_heads)
    s = np.einsum("nthd,nshd->nhts", q, k) / np.sqrt(q.shape[-1])
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    p = p / p.sum(axis=-1, keepdims=True)
    o = np.einsum("nhts,nshd->nthd", p, v).reshape(x.shape)
    return o @ Wo, (x, Wq, Wk, Wv, Wo, q, k, v, p, o)


def mha_backward(dout, cache):
    x, Wq, Wk, Wv, Wo, q, k, v, p, o = cache
    h = q.shape[2]
    dWo = np.einsum("ntd,nte->de", o, dout)
    do = _heads(dout @ Wo.T, h)
    dp = np.einsum("nthd,nshd->nhts", do, v)
    dv = np.einsum("nhts,nthd->nshd", p, do).reshape(x.shape)
    ds = p * (dp - np.sum(dp * p, axis=-1, keepdims=True)) / np.sqrt(q.shape[-1])
    dq = np.einsum("nhts,nshd->nthd", ds, k).reshape(x.shape)
    dk = np.einsum("nhts,nthd->nshd", ds, q).reshape(x.shape)
    dWq, dWk, dWv = (np.einsum("ntd,nte->de", x, g) for g in (dq, dk, dv))
    dx = dq @ Wq.T + dv @ Wv.T + dk @ Wk.T
    return dx, dWq, dWk, dWv, dWo


def sdpa_forward(q, k, v):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    w = np.exp(s - s.max(axis=-1, keepdims=True))
    w /= w.sum(axis=-1, keepdims=True)
    return w @ v, (q, k, v, w)


def sdpa_backward(dout, cache):
    q, k, v, w = cache
    dv = np.swapaxes(w, -1, -2) @ dout
    dw = dout @ np.swapaxes(v, -1, -2)
    ds = w * (dw - (dw * w).sum(axis=-1, keepdims=True)) / np.sqrt(q.shape[-1])
    dq = ds @ k
    dk = np.swapaxes(ds, -1, -2) @ q
    return dq, dk, dv
