"""Correct layers of the textbook's second volume (class style, `params`/`grads` lists filled in place).

`RNN(Wx, Wh, b)` and `LSTM(Wx, Wh, b)` are one step, taking the previous state in forward.
`TimeRNN(Wx, Wh, b, stateful=False)` and `TimeLSTM(Wx, Wh, b, stateful=False)`: `forward(xs) -> hs`
over a whole sequence (N, T, D) -> (N, T, H), `backward(dhs) -> dxs`, the weight gradients written
into the `grads` list in place. A stateful layer carries h (and c) from one forward to the next and
leaves the carried h's gradient in `self.dh`; a layer built with the default `stateful=False` starts
every forward from zeros. The LSTM's gates sit in the 4H columns in the book's order f, g, i, o.
Then the other layers of the book: `MatMul`, `SigmoidWithLoss` and `TimeSigmoidWithLoss` (labels
0/1), word2vec's `EmbeddingDot` (`forward(h, idx)`), and chapter 8's attention: `WeightSum`
(`forward(hs, a)`), `AttentionWeight` and `Attention` (`forward(hs, h)`), `TimeAttention`
(`forward(hs_enc, hs_dec)`), each backward returning a gradient for every input.
"""

import numpy as np

from gradlab.registry import register


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


@register("rnn_step")
class RNN:
    """One step: forward(x, h_prev) -> h_next, backward(dh_next) -> (dx, dh_prev), grads filled in place."""

    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        h_next = np.tanh(x @ Wx + h_prev @ Wh + b)
        self.cache = (x, h_prev, h_next)
        return h_next

    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        x, h_prev, h_next = self.cache
        da = dh_next * (1 - h_next ** 2)
        for grad, value in zip(self.grads, (x.T @ da, h_prev.T @ da, da.sum(axis=0))):
            grad[...] = value
        return da @ Wx.T, da @ Wh.T


@register("lstm_step")
class LSTM:
    """One step: forward(x, h_prev, c_prev) -> (h_next, c_next), backward(dh_next, dc_next) ->
    (dx, dh_prev, dc_prev); gates f, g, i, o."""

    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev, c_prev):
        Wx, Wh, b = self.params
        H = h_prev.shape[1]
        a = x @ Wx + h_prev @ Wh + b
        f, g = _sigmoid(a[:, :H]), np.tanh(a[:, H:2 * H])
        i, o = _sigmoid(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
        c_next = f * c_prev + g * i
        tanh_c = np.tanh(c_next)
        self.cache = (x, h_prev, c_prev, f, g, i, o, tanh_c)
        return o * tanh_c, c_next

    def backward(self, dh_next, dc_next):
        Wx, Wh, _ = self.params
        x, h_prev, c_prev, f, g, i, o, tanh_c = self.cache
        ds = dc_next + dh_next * o * (1 - tanh_c ** 2)
        da = np.hstack([ds * c_prev * f * (1 - f), ds * i * (1 - g ** 2), ds * g * i * (1 - i),
                        dh_next * tanh_c * o * (1 - o)])
        for grad, value in zip(self.grads, (x.T @ da, h_prev.T @ da, da.sum(axis=0))):
            grad[...] = value
        return da @ Wx.T, da @ Wh.T, ds * f


@register("time_rnn")
class TimeRNN:
    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.stateful = stateful
        self.h = self.dh = None
        self.steps = None

    def forward(self, xs):
        Wx, Wh, b = self.params
        N, T, _ = xs.shape
        if not self.stateful or self.h is None:
            self.h = np.zeros((N, Wh.shape[0]))
        hs = np.zeros((N, T, Wh.shape[0]), dtype=np.result_type(xs, Wx, Wh, b))
        self.steps = []
        for t in range(T):
            h_prev = self.h
            self.h = np.tanh(xs[:, t] @ Wx + h_prev @ Wh + b)
            self.steps.append((xs[:, t], h_prev, self.h))
            hs[:, t] = self.h
        return hs

    def backward(self, dhs):
        Wx, Wh, _ = self.params
        dxs = np.zeros((*dhs.shape[:2], Wx.shape[0]))
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
        dh = np.zeros(dhs[:, 0].shape)
        for t in reversed(range(dhs.shape[1])):
            x, h_prev, h = self.steps[t]
            da = (dhs[:, t] + dh) * (1 - h ** 2)  # h_t went to the output at t and to step t+1
            dxs[:, t], dh = da @ Wx.T, da @ Wh.T
            dWx += x.T @ da
            dWh += h_prev.T @ da
            db += da.sum(axis=0)
        for grad, value in zip(self.grads, (dWx, dWh, db)):
            grad[...] = value
        self.dh = dh  # the carried state's gradient, for the layer that produced it (a seq2seq encoder)
        return dxs


@register("time_lstm")
class TimeLSTM:
    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.stateful = stateful
        self.h = self.c = self.dh = None
        self.steps = None

    def forward(self, xs):
        Wx, Wh, b = self.params
        N, T, _ = xs.shape
        H = Wh.shape[0]
        if not self.stateful or self.h is None:
            self.h, self.c = np.zeros((N, H)), np.zeros((N, H))
        hs = np.zeros((N, T, H), dtype=np.result_type(xs, Wx, Wh, b))
        self.steps = []
        for t in range(T):
            h_prev, c_prev = self.h, self.c
            a = xs[:, t] @ Wx + h_prev @ Wh + b
            f, g = _sigmoid(a[:, :H]), np.tanh(a[:, H:2 * H])
            i, o = _sigmoid(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
            self.c = f * c_prev + g * i
            tanh_c = np.tanh(self.c)
            self.h = o * tanh_c
            self.steps.append((xs[:, t], h_prev, c_prev, f, g, i, o, tanh_c))
            hs[:, t] = self.h
        return hs

    def backward(self, dhs):
        Wx, Wh, _ = self.params
        dxs = np.zeros((*dhs.shape[:2], Wx.shape[0]))
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[1])
        dh = np.zeros(dhs[:, 0].shape)
        dc = np.zeros(dhs[:, 0].shape)
        for t in reversed(range(dhs.shape[1])):
            x, h_prev, c_prev, f, g, i, o, tanh_c = self.steps[t]
            dh_t = dhs[:, t] + dh
            ds = dc + dh_t * o * (1 - tanh_c ** 2)  # c_t reaches the loss through h_t and through c_{t+1}
            da = np.hstack([ds * c_prev * f * (1 - f), ds * i * (1 - g ** 2), ds * g * i * (1 - i),
                            dh_t * tanh_c * o * (1 - o)])
            dxs[:, t], dh, dc = da @ Wx.T, da @ Wh.T, ds * f
            dWx += x.T @ da
            dWh += h_prev.T @ da
            db += da.sum(axis=0)
        for grad, value in zip(self.grads, (dWx, dWh, db)):
            grad[...] = value
        self.dh = dh
        return dxs


@register("time_softmax_with_loss")
class TimeSoftmaxWithLoss:
    """Cross-entropy of the softmax at every step, averaged over the steps whose label is not -1 (the
    book's ignore label: such a step adds nothing to the loss nor to dxs)."""

    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, xs, ts):
        counted = ts != -1
        safe = np.where(counted, ts, 0)  # any class: an ignored step's term is zeroed below
        shifted = xs - xs.max(axis=2, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
        self.cache = (np.exp(log_p), safe, counted)
        return -(np.take_along_axis(log_p, safe[..., None], axis=2)[..., 0] * counted).sum() / counted.sum()

    def backward(self, dout=1):
        p, safe, counted = self.cache
        dxs = p.copy()
        np.put_along_axis(dxs, safe[..., None], np.take_along_axis(p, safe[..., None], axis=2) - 1, axis=2)
        return dxs * counted[..., None] * dout / counted.sum()


def _gru_step(x, h_prev, Wx, Wh, b):
    """z, r, h_hat and h_next of one GRU step (gates z, r, h in the 3H columns)."""
    H = Wh.shape[0]
    z = _sigmoid(x @ Wx[:, :H] + h_prev @ Wh[:, :H] + b[:H])
    r = _sigmoid(x @ Wx[:, H:2 * H] + h_prev @ Wh[:, H:2 * H] + b[H:2 * H])
    h_hat = np.tanh(x @ Wx[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:] + b[2 * H:])
    return z, r, h_hat, (1 - z) * h_prev + z * h_hat


def gru_step_backward(dh_next, x, h_prev, z, r, h_hat, Wx, Wh):
    """(dx, dh_prev, dWx, dWh, db) of one GRU step."""
    H = Wh.shape[0]
    da_h = dh_next * z * (1 - h_hat ** 2)
    d_rh = da_h @ Wh[:, 2 * H:].T  # the candidate saw r * h_prev
    da_z = dh_next * (h_hat - h_prev) * z * (1 - z)
    da_r = d_rh * h_prev * r * (1 - r)
    da = np.hstack([da_z, da_r, da_h])
    dWh = np.hstack([h_prev.T @ da_z, h_prev.T @ da_r, (r * h_prev).T @ da_h])
    dh_prev = dh_next * (1 - z) + d_rh * r + da_z @ Wh[:, :H].T + da_r @ Wh[:, H:2 * H].T
    return da @ Wx.T, dh_prev, x.T @ da, dWh, da.sum(axis=0)


@register("gru_step")
class GRU:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev):
        z, r, h_hat, h_next = _gru_step(x, h_prev, *self.params)
        self.cache = (x, h_prev, z, r, h_hat)
        return h_next

    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        dx, dh_prev, *grads = gru_step_backward(dh_next, *self.cache, Wx, Wh)
        for grad, value in zip(self.grads, grads):
            grad[...] = value
        return dx, dh_prev


@register("time_gru")
class TimeGRU:
    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.stateful = stateful
        self.h = self.dh = None
        self.steps = None

    def forward(self, xs):
        N, T, _ = xs.shape
        H = self.params[1].shape[0]
        if not self.stateful or self.h is None:
            self.h = np.zeros((N, H))
        hs = np.zeros((N, T, H), dtype=np.result_type(xs, *self.params))
        self.steps = []
        for t in range(T):
            z, r, h_hat, h_next = _gru_step(xs[:, t], self.h, *self.params)
            self.steps.append((xs[:, t], self.h, z, r, h_hat))
            self.h = hs[:, t] = h_next
        return hs

    def backward(self, dhs):
        Wx, Wh, _ = self.params
        dxs = np.zeros((*dhs.shape[:2], Wx.shape[0]))
        totals = [np.zeros_like(p) for p in self.params]
        dh = np.zeros(dhs[:, 0].shape)
        for t in reversed(range(dhs.shape[1])):
            dxs[:, t], dh, *grads = gru_step_backward(dhs[:, t] + dh, *self.steps[t], Wx, Wh)
            for total, grad in zip(totals, grads):
                total += grad
        for grad, value in zip(self.grads, totals):
            grad[...] = value
        self.dh = dh
        return dxs


@register("time_bilstm")
class TimeBiLSTM:
    """Two TimeLSTMs, one over the reversed sequence; hidden states joined on the last axis."""

    def __init__(self, Wx1, Wh1, b1, Wx2, Wh2, b2, stateful=False):
        self.forward_lstm = TimeLSTM(Wx1, Wh1, b1, stateful)
        self.backward_lstm = TimeLSTM(Wx2, Wh2, b2, stateful)
        self.params = self.forward_lstm.params + self.backward_lstm.params
        self.grads = self.forward_lstm.grads + self.backward_lstm.grads

    def forward(self, xs):
        ahead = self.forward_lstm.forward(xs)
        behind = self.backward_lstm.forward(xs[:, ::-1])[:, ::-1]
        return np.concatenate([ahead, behind], axis=2)

    def backward(self, dhs):
        H = dhs.shape[2] // 2
        dxs = self.forward_lstm.backward(dhs[:, :, :H])
        # the second layer read the sequence reversed: its gradient comes back flipped
        return dxs + self.backward_lstm.backward(dhs[:, ::-1, H:])[:, ::-1]


@register("matmul")
class MatMul:
    """out = x @ W: no bias; dW written into the grads list in place."""

    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]
        self.x = None

    def forward(self, x):
        self.x = x
        return x @ self.params[0]

    def backward(self, dout):
        self.grads[0][...] = self.x.T @ dout
        return dout @ self.params[0].T


@register("sigmoid_with_loss")
class SigmoidWithLoss:
    """Binary cross-entropy of sigmoid(x) with labels 0/1, averaged over the batch."""

    def __init__(self):
        self.params, self.grads = [], []
        self.p = self.t = None

    def forward(self, x, t):
        self.p, self.t = _sigmoid(x), t
        # log(sigmoid(x)) = -log(1 + exp(-x)) and log(1 - sigmoid(x)) = -log(1 + exp(x)), without log(0)
        return np.mean(t * np.log1p(np.exp(-x)) + (1 - t) * np.log1p(np.exp(x)))

    def backward(self, dout=1):
        return (self.p - self.t) * dout / self.t.shape[0]


@register("time_sigmoid_with_loss")
class TimeSigmoidWithLoss:
    """The binary logistic loss at every step of (N, T) scores, averaged over the N * T steps."""

    def __init__(self):
        self.params, self.grads = [], []
        self.p = self.ts = None

    def forward(self, xs, ts):
        self.p, self.ts = _sigmoid(xs), ts
        return np.mean(ts * np.log1p(np.exp(-xs)) + (1 - ts) * np.log1p(np.exp(xs)))

    def backward(self, dout=1):
        return (self.p - self.ts) * dout / self.ts.size


@register("embedding_dot")
class EmbeddingDot:
    """out[i] = h[i] · W[idx[i]]; a row picked by several samples collects all their gradients."""

    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]
        self.cache = None

    def forward(self, h, idx):
        rows = self.params[0][idx]
        self.cache = (h, idx, rows)
        return np.sum(h * rows, axis=1)

    def backward(self, dout):
        h, idx, rows = self.cache
        dout = dout[:, None]
        dW = self.grads[0]
        dW[...] = 0
        np.add.at(dW, idx, dout * h)
        return dout * rows


class UnigramSampler:
    """Negative words drawn from the corpus's word counts to the power `power`, never a row's own target,
    without replacement, from numpy's global random state (as the book's sampler)."""

    def __init__(self, corpus, power, sample_size):
        counts = np.bincount(np.asarray(corpus)).astype(np.float64) ** power
        self.p, self.sample_size = counts / counts.sum(), sample_size

    def get_negative_sample(self, target):
        out = np.empty((len(target), self.sample_size), dtype=np.int64)
        for row, word in enumerate(target):
            p = self.p.copy()
            p[word] = 0.0
            out[row] = np.random.choice(len(p), size=self.sample_size, replace=False, p=p / p.sum())
        return out


@register("negative_sampling_loss")
class NegativeSamplingLoss:
    """word2vec's loss: the target word scored with label 1, each negative word with label 0; W is shared by
    the 1 + sample_size EmbeddingDot layers, listed once per layer in params, one dW each in grads."""

    def __init__(self, W, corpus, power=0.75, sample_size=5):
        self.sampler = UnigramSampler(corpus, power, sample_size)
        self.dots = [EmbeddingDot(W) for _ in range(sample_size + 1)]
        self.losses = [SigmoidWithLoss() for _ in range(sample_size + 1)]
        self.params = [p for d in self.dots for p in d.params]
        self.grads = [g for d in self.dots for g in d.grads]

    def forward(self, h, target):
        words = np.column_stack([target, self.sampler.get_negative_sample(target)])
        labels = np.zeros(len(target), dtype=np.int64)
        return sum(loss.forward(dot.forward(h, words[:, i]), labels + (i == 0))
                   for i, (dot, loss) in enumerate(zip(self.dots, self.losses)))

    def backward(self, dout=1):
        return sum(dot.backward(loss.backward(dout)) for dot, loss in zip(self.dots, self.losses))


def _softmax_rows(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@register("weight_sum")
class WeightSum:
    """c = sum over T of a * hs: (N, T, H), (N, T) -> (N, H)."""

    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, hs, a):
        self.cache = (hs, a)
        return np.einsum("nth,nt->nh", hs, a)

    def backward(self, dc):
        hs, a = self.cache
        return a[:, :, None] * dc[:, None, :], np.einsum("nth,nh->nt", hs, dc)


@register("attention_weight")
class AttentionWeight:
    """a = softmax over T of hs · h: (N, T, H), (N, H) -> (N, T)."""

    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, hs, h):
        a = _softmax_rows(np.einsum("nth,nh->nt", hs, h))
        self.cache = (hs, h, a)
        return a

    def backward(self, da):
        hs, h, a = self.cache
        ds = a * (da - np.sum(a * da, axis=1, keepdims=True))  # the softmax's Jacobian, row by row
        return ds[:, :, None] * h[:, None, :], np.einsum("nt,nth->nh", ds, hs)


@register("attention")
class Attention:
    """The context vector of one decoder state: AttentionWeight, then WeightSum."""

    def __init__(self):
        self.params, self.grads = [], []
        self.weight = AttentionWeight()
        self.weighted_sum = WeightSum()
        self.attention_weight = None

    def forward(self, hs, h):
        self.attention_weight = self.weight.forward(hs, h)
        return self.weighted_sum.forward(hs, self.attention_weight)

    def backward(self, dc):
        dhs_summed, da = self.weighted_sum.backward(dc)
        dhs_scored, dh = self.weight.backward(da)
        return dhs_summed + dhs_scored, dh  # hs was both weighted and scored


@register("time_attention")
class TimeAttention:
    """Attention of every decoder step over all encoder states: (N, T, H), (N, U, H) -> (N, U, H)."""

    def __init__(self):
        self.params, self.grads = [], []
        self.steps = []

    def forward(self, hs_enc, hs_dec):
        self.steps = [Attention() for _ in range(hs_dec.shape[1])]
        return np.stack([step.forward(hs_enc, hs_dec[:, u]) for u, step in enumerate(self.steps)], axis=1)

    def backward(self, dout):
        dhs_enc = 0
        dhs_dec = []
        for u, step in enumerate(self.steps):
            dhs, dh = step.backward(dout[:, u])
            dhs_enc = dhs_enc + dhs  # every step read all of hs_enc
            dhs_dec.append(dh)
        return dhs_enc, np.stack(dhs_dec, axis=1)
