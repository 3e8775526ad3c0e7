"""A learner's multi-head self-attention, written for gradlab's tests: backward divides the scores' gradient by the
head size where forward divided the scores by its square root (one bug: the query and key paths are off by a factor)."""

import numpy as np


class MultiHeadSelfAttention:
    def __init__(self, d_model, num_heads):
        rng = np.random.default_rng(3)
        self.n_heads = num_heads
        self.Wq = rng.normal(0.0, 0.2, (d_model, d_model))
        self.Wk = rng.normal(0.0, 0.2, (d_model, d_model))
        self.Wv = rng.normal(0.0, 0.2, (d_model, d_model))
        self.Wo = rng.normal(0.0, 0.2, (d_model, d_model))

    def _split(self, m):
        b, t, e = m.shape
        return m.reshape(b, t, self.n_heads, e // self.n_heads).transpose(0, 2, 1, 3)

    def _join(self, m):
        b, h, t, e = m.shape
        return m.transpose(0, 2, 1, 3).reshape(b, t, h * e)

    def forward(self, x):
        self.x = x
        self.q = self._split(x @ self.Wq)
        self.k = self._split(x @ self.Wk)
        self.v = self._split(x @ self.Wv)
        self.hd = self.q.shape[-1]
        logits = np.einsum("bhid,bhjd->bhij", self.q, self.k) / np.sqrt(self.hd)
        logits -= logits.max(axis=-1, keepdims=True)
        w = np.exp(logits)
        self.w = w / w.sum(axis=-1, keepdims=True)
        self.mixed = self._join(np.einsum("bhij,bhjd->bhid", self.w, self.v))
        return self.mixed @ self.Wo

    def backward(self, grad):
        x2 = self.x.reshape(-1, self.x.shape[-1])
        self.dWo = self.mixed.reshape(x2.shape).T @ grad.reshape(x2.shape)
        dmixed = self._split(grad @ self.Wo.T)
        dw = np.einsum("bhid,bhjd->bhij", dmixed, self.v)
        dv = np.einsum("bhij,bhid->bhjd", self.w, dmixed)
        dlogits = self.w * (dw - np.sum(dw * self.w, axis=-1, keepdims=True)) / self.hd
        dq = np.einsum("bhij,bhjd->bhid", dlogits, self.k)
        dk = np.einsum("bhij,bhid->bhjd", dlogits, self.q)
        dq, dk, dv = self._join(dq), self._join(dk), self._join(dv)
        self.dWq = x2.T @ dq.reshape(x2.shape)
        self.dWk = x2.T @ dk.reshape(x2.shape)
        self.dWv = x2.T @ dv.reshape(x2.shape)
        return dq @ self.Wq.T + dk @ self.Wk.T + dv @ self.Wv.T
