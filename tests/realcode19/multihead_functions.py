"""Multi-head self-attention in the function convention of CS231n's assignments, written from scratch: the
forward returns (out, cache), the backward (dx, dWq, dWk, dWv, dWo)."""
import numpy as np


def multihead_attention_forward(x, Wq, Wk, Wv, Wo, num_heads):
    N, T, D = x.shape
    d = D // num_heads

    def heads(a):
        return a.reshape(N, T, num_heads, d).transpose(0, 2, 1, 3)

    q, k, v = heads(x @ Wq), heads(x @ Wk), heads(x @ Wv)
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d)
    scores = scores - scores.max(axis=-1, keepdims=True)
    attn = np.exp(scores)
    attn = attn / attn.sum(axis=-1, keepdims=True)
    joined = (attn @ v).transpose(0, 2, 1, 3).reshape(N, T, D)
    cache = (x, Wq, Wk, Wv, Wo, num_heads, q, k, v, attn, joined)
    return joined @ Wo, cache


def multihead_attention_backward(dout, cache):
    x, Wq, Wk, Wv, Wo, num_heads, q, k, v, attn, joined = cache
    N, T, D = x.shape
    d = D // num_heads
    dWo = joined.reshape(-1, D).T @ dout.reshape(-1, D)
    dctx = (dout @ Wo.T).reshape(N, T, num_heads, d).transpose(0, 2, 1, 3)
    dattn = dctx @ v.transpose(0, 1, 3, 2)
    dv = attn.transpose(0, 1, 3, 2) @ dctx
    dscores = attn * (dattn - np.sum(dattn * attn, axis=-1, keepdims=True))
    dscores = dscores / np.sqrt(d)
    dq = dscores @ k
    dk = dscores.transpose(0, 1, 3, 2) @ q

    def join(a):
        return a.transpose(0, 2, 1, 3).reshape(N, T, D)

    dq, dk, dv = join(dq), join(dk), join(dv)
    rows = x.reshape(-1, D)
    dWq = rows.T @ dq.reshape(-1, D)
    dWk = rows.T @ dk.reshape(-1, D)
    dWv = rows.T @ dv.reshape(-1, D)
    dx = dq @ Wq.T + dk @ Wk.T + dv @ Wv.T
    return dx, dWq, dWk, dWv, dWo
