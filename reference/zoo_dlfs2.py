"""Buggy recurrent layers of the textbook's second volume (class style): one classic bug each.

Each class is the correct one of `dlfs2_classes` with a backward that carries the bug its
registration names: a weight gradient overwritten at each time step instead of summed, the gradient
from the next step's hidden state dropped, the cell path without the forget gate, a tanh' or sigmoid'
evaluated at the wrong array; and, for the word2vec and attention layers, a table row assigned where
repeated indices must accumulate, a softmax's Jacobian without its coupling term, a path of hs
dropped, one decoder step's share kept.
"""

import numpy as np

from gradlab.reference.dlfs2_classes import (
    GRU,
    LSTM,
    RNN,
    Attention,
    AttentionWeight,
    EmbeddingDot,
    MatMul,
    NegativeSamplingLoss,
    SigmoidWithLoss,
    TimeAttention,
    TimeBiLSTM,
    TimeLSTM,
    TimeRNN,
    TimeSigmoidWithLoss,
    TimeSoftmaxWithLoss,
    WeightSum,
    gru_step_backward,
)
from gradlab.registry import register


@register("time_rnn", bug="dropped-term", note="dWx = x.T @ da inside the loop over time")
class TimeRNNOverwritesDWx(TimeRNN):
    def backward(self, dhs):
        Wx, Wh, _ = self.params
        dxs = np.zeros((*dhs.shape[:2], Wx.shape[0]))
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
        dh = np.zeros(dhs[:, 0].shape)
        for t in reversed(range(dhs.shape[1])):
            x, h_prev, h = self.steps[t]
            da = (dhs[:, t] + dh) * (1 - h ** 2)
            dxs[:, t], dh = da @ Wx.T, da @ Wh.T
            dWx = x.T @ da  # BUG: each step overwrites the others' share; dWx += x.T @ da
            dWh += h_prev.T @ da
            db += da.sum(axis=0)
        for grad, value in zip(self.grads, (dWx, dWh, db)):
            grad[...] = value
        self.dh = dh
        return dxs


@register("time_rnn", bug="dropped-term", note="dh from step t+1 not added to dhs[:, t]")
class TimeRNNDropsNextDh(TimeRNN):
    def backward(self, dhs):
        Wx, Wh, _ = self.params
        dxs = np.zeros((*dhs.shape[:2], Wx.shape[0]))
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
        for t in reversed(range(dhs.shape[1])):
            x, h_prev, h = self.steps[t]
            da = dhs[:, t] * (1 - h ** 2)  # BUG: h_t also fed step t+1; its gradient dh must be added
            dxs[:, t] = da @ Wx.T
            dWx += x.T @ da
            dWh += h_prev.T @ da
            db += da.sum(axis=0)
        for grad, value in zip(self.grads, (dWx, dWh, db)):
            grad[...] = value
        return dxs


@register("time_lstm", bug="dropped-term", note="dc_prev = ds, without the forget gate")
class TimeLSTMNoForgetGate(TimeLSTM):
    def backward(self, dhs):
        Wx, Wh, _ = self.params
        dxs = np.zeros((*dhs.shape[:2], Wx.shape[0]))
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[1])
        dh = np.zeros(dhs[:, 0].shape)
        dc = np.zeros(dhs[:, 0].shape)
        for t in reversed(range(dhs.shape[1])):
            x, h_prev, c_prev, f, g, i, o, tanh_c = self.steps[t]
            dh_t = dhs[:, t] + dh
            ds = dc + dh_t * o * (1 - tanh_c ** 2)
            da = np.hstack([ds * c_prev * f * (1 - f), ds * i * (1 - g ** 2), ds * g * i * (1 - i),
                            dh_t * tanh_c * o * (1 - o)])
            dxs[:, t], dh, dc = da @ Wx.T, da @ Wh.T, ds  # BUG: c_t = f * c_prev + ..., so dc_prev = ds * f
            dWx += x.T @ da
            dWh += h_prev.T @ da
            db += da.sum(axis=0)
        for grad, value in zip(self.grads, (dWx, dWh, db)):
            grad[...] = value
        self.dh = dh
        return dxs


@register("time_softmax_with_loss", bug="scaled", note="dxs /= N where the loss averages over N * T")
class TimeSoftmaxWithLossMeanOverBatchOnly(TimeSoftmaxWithLoss):
    def backward(self, dout=1):
        p, safe, counted = self.cache
        dxs = p.copy()
        np.put_along_axis(dxs, safe[..., None], np.take_along_axis(p, safe[..., None], axis=2) - 1, axis=2)
        return dxs * counted[..., None] * dout / safe.shape[0]  # BUG: the loss is the mean over the counted steps


@register("time_softmax_with_loss", bug="missing-mask",
          note="dxs without the ignore mask: steps labelled -1 get p - onehot(last class)")
class TimeSoftmaxWithLossIgnoredStepsGetGradient(TimeSoftmaxWithLoss):
    def backward(self, dout=1):
        p, safe, counted = self.cache
        dxs = p.copy()
        np.put_along_axis(dxs, safe[..., None], np.take_along_axis(p, safe[..., None], axis=2) - 1, axis=2)
        return dxs * dout / counted.sum()  # BUG: the forward counts no step labelled -1: multiply by the mask


@register("lstm_step", bug="dropped-term", note="dc_prev = ds, without the forget gate")
class LSTMNoForgetGate(LSTM):
    def backward(self, dh_next, dc_next):
        Wx, Wh, _ = self.params
        x, h_prev, c_prev, f, g, i, o, tanh_c = self.cache
        ds = dc_next + dh_next * o * (1 - tanh_c ** 2)
        da = np.hstack([ds * c_prev * f * (1 - f), ds * i * (1 - g ** 2), ds * g * i * (1 - i),
                        dh_next * tanh_c * o * (1 - o)])
        for grad, value in zip(self.grads, (x.T @ da, h_prev.T @ da, da.sum(axis=0))):
            grad[...] = value
        return da @ Wx.T, da @ Wh.T, ds  # BUG: c_next = f * c_prev + ..., so dc_prev = ds * f


@register("gru_step", bug="dropped-term", note="dh_prev = dh_next * (1 - z) only: the paths through z, r and h_hat")
class GRUDirectPathOnly(GRU):
    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        dx, _, *grads = gru_step_backward(dh_next, *self.cache, Wx, Wh)
        for grad, value in zip(self.grads, grads):
            grad[...] = value
        z = self.cache[2]
        return dx, dh_next * (1 - z)  # BUG: h_prev also reaches h_next through z, r and h_hat


@register("rnn_step", bug="wrong-input", note="dt = dh_next * (1 - h_prev ** 2): tanh' at the previous state")
class RNNTanhAtPrevState(RNN):
    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        x, h_prev, h_next = self.cache
        dt = dh_next * (1 - h_prev ** 2)  # BUG: tanh' belongs at this step's output: 1 - h_next ** 2
        for grad, value in zip(self.grads, (x.T @ dt, h_prev.T @ dt, dt.sum(axis=0))):
            grad[...] = value
        return dt @ Wx.T, dt @ Wh.T


@register("lstm_step", bug="wrong-input", note="ds = dc_next + dh_next * o * (1 - c_next ** 2): tanh' of c_next")
class LSTMTanhAtCellState(LSTM):
    def backward(self, dh_next, dc_next):
        Wx, Wh, _ = self.params
        x, h_prev, c_prev, f, g, i, o, tanh_c = self.cache
        c_next = f * c_prev + g * i
        ds = dc_next + dh_next * o * (1 - c_next ** 2)  # BUG: the derivative of tanh(c_next) is 1 - tanh_c ** 2
        da = np.hstack([ds * c_prev * f * (1 - f), ds * i * (1 - g ** 2), ds * g * i * (1 - i),
                        dh_next * tanh_c * o * (1 - o)])
        for grad, value in zip(self.grads, (x.T @ da, h_prev.T @ da, da.sum(axis=0))):
            grad[...] = value
        return da @ Wx.T, da @ Wh.T, ds * f


@register("gru_step", bug="wrong-input", note="da_z with sigmoid(z) * (1 - sigmoid(z)): sigmoid' at the gate's output")
class GRUSigmoidAtGateOutput(GRU):
    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        x, h_prev, z, r, h_hat = self.cache
        H = Wh.shape[0]
        da_h = dh_next * z * (1 - h_hat ** 2)
        d_rh = da_h @ Wh[:, 2 * H:].T
        s = 1 / (1 + np.exp(-z))
        da_z = dh_next * (h_hat - h_prev) * s * (1 - s)  # BUG: z is already sigmoid(a_z): its derivative is z * (1 - z)
        da_r = d_rh * h_prev * r * (1 - r)
        da = np.hstack([da_z, da_r, da_h])
        dWh = np.hstack([h_prev.T @ da_z, h_prev.T @ da_r, (r * h_prev).T @ da_h])
        for grad, value in zip(self.grads, (x.T @ da, dWh, da.sum(axis=0))):
            grad[...] = value
        dh_prev = dh_next * (1 - z) + d_rh * r + da_z @ Wh[:, :H].T + da_r @ Wh[:, H:2 * H].T
        return da @ Wx.T, dh_prev


@register("time_rnn", bug="wrong-input", note="da = dh * (1 - h_prev ** 2) at every step: tanh' at the previous state")
class TimeRNNTanhAtPrevState(TimeRNN):
    def backward(self, dhs):
        Wx, Wh, _ = self.params
        dxs = np.zeros((*dhs.shape[:2], Wx.shape[0]))
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
        dh = np.zeros(dhs[:, 0].shape)
        for t in reversed(range(dhs.shape[1])):
            x, h_prev, h = self.steps[t]
            da = (dhs[:, t] + dh) * (1 - h_prev ** 2)  # BUG: tanh' belongs at this step's output: 1 - h ** 2
            dxs[:, t], dh = da @ Wx.T, da @ Wh.T
            dWx += x.T @ da
            dWh += h_prev.T @ da
            db += da.sum(axis=0)
        for grad, value in zip(self.grads, (dWx, dWh, db)):
            grad[...] = value
        self.dh = dh
        return dxs


@register("time_bilstm", bug="dropped-term", note="dxs from the forward direction only")
class TimeBiLSTMForwardDxOnly(TimeBiLSTM):
    def backward(self, dhs):
        H = dhs.shape[2] // 2
        dxs = self.forward_lstm.backward(dhs[:, :, :H])
        self.backward_lstm.backward(dhs[:, ::-1, H:])
        return dxs  # BUG: x also fed the backward LSTM: add its dx, flipped back in time


@register("matmul", bug="extra-batch-mean", note="dW = x.T @ dout / N: the loss above already averaged")
class MatMulMeanOverBatch(MatMul):
    def backward(self, dout):
        self.grads[0][...] = self.x.T @ dout / len(self.x)  # BUG: dout already carries the loss's 1/N
        return dout @ self.params[0].T


@register("sigmoid_with_loss", bug="missing-batch-mean", note="dx = sigmoid(x) - t: the loss's mean over N left out")
class SigmoidWithLossNoBatchMean(SigmoidWithLoss):
    def backward(self, dout=1):
        return (self.p - self.t) * dout  # BUG: the loss is the mean over the batch: divide by N


@register("time_sigmoid_with_loss", bug="scaled", note="dxs divided by N where the loss averages over N * T")
class TimeSigmoidWithLossMeanOverBatchOnly(TimeSigmoidWithLoss):
    def backward(self, dout=1):
        return (self.p - self.ts) * dout / self.ts.shape[0]  # BUG: the mean is over all N * T steps: ts.size


@register("embedding_dot", bug="dropped-term", note="dW[idx] = dout * h: a repeated row keeps one sample's share")
class EmbeddingDotAssignsRows(EmbeddingDot):
    def backward(self, dout):
        h, idx, rows = self.cache
        dout = dout[:, None]
        dW = self.grads[0]
        dW[...] = 0
        dW[idx] = dout * h  # BUG: fancy assignment keeps the last write per row; np.add.at(dW, idx, ...) sums
        return dout * rows


@register("negative_sampling_loss", bug="dropped-term", note="one dW array shared by every EmbeddingDot")
class NegativeSamplingLossSharedDW(NegativeSamplingLoss):
    def __init__(self, W, corpus, power=0.75, sample_size=5):
        super().__init__(W, corpus, power, sample_size)
        dW = np.zeros_like(W)
        for dot in self.dots:
            dot.grads[0] = dW  # BUG: each backward zeroes and rewrites it: only the last word's share is left
        self.params, self.grads = [W], [dW]


@register("weight_sum", bug="wrong-reduction", note="da = hs * dc, not summed over H")
class WeightSumDaNotSummed(WeightSum):
    def backward(self, dc):
        hs, a = self.cache
        da = hs * dc[:, None, :]  # BUG: a[n, t] weighs a whole vector: sum over H (axis=2) for its gradient
        return a[:, :, None] * dc[:, None, :], da


@register("attention_weight", bug="dropped-term", note="ds = a * da: the softmax's coupling term left out")
class AttentionWeightDiagonalSoftmax(AttentionWeight):
    def backward(self, da):
        hs, h, a = self.cache
        ds = a * da  # BUG: every weight depends on every score: subtract a * sum(a * da) over T
        return ds[:, :, None] * h[:, None, :], np.einsum("nt,nth->nh", ds, hs)


@register("attention", bug="dropped-term", note="dhs from the weighted sum only, not through the weights")
class AttentionWeightedPathOnly(Attention):
    def backward(self, dc):
        dhs, da = self.weighted_sum.backward(dc)
        _, dh = self.weight.backward(da)
        return dhs, dh  # BUG: hs was also scored against h: add the attention weight's dhs


@register("time_attention", bug="dropped-term", note="dhs_enc = dhs: each decoder step overwrites the others")
class TimeAttentionOverwritesDhsEnc(TimeAttention):
    def backward(self, dout):
        dhs_enc = 0
        dhs_dec = []
        for u, step in enumerate(self.steps):
            dhs, dh = step.backward(dout[:, u])
            dhs_enc = dhs  # BUG: every step read all of hs_enc: dhs_enc += dhs
            dhs_dec.append(dh)
        return dhs_enc, np.stack(dhs_dec, axis=1)


@register("time_rnn", bug="zero-gradient", note="stateful: self.dh never written, the carried h gets no gradient")
class TimeRNNForgetsCarriedDh(TimeRNN):
    def backward(self, dhs):  # BUG: self.dh = dh is never written, though the encoder of a seq2seq model reads it
        Wx, Wh, _ = self.params
        dxs = np.zeros((*dhs.shape[:2], Wx.shape[0]))
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
        dh = np.zeros(dhs[:, 0].shape)
        for t in reversed(range(dhs.shape[1])):
            x, h_prev, h = self.steps[t]
            da = (dhs[:, t] + dh) * (1 - h ** 2)
            dxs[:, t], dh = da @ Wx.T, da @ Wh.T
            dWx += x.T @ da
            dWh += h_prev.T @ da
            db += da.sum(axis=0)
        for grad, value in zip(self.grads, (dWx, dWh, db)):
            grad[...] = value
        return dxs


@register("time_rnn", bug="dropped-term", note="stateful: step 0's previous state cached as zeros, not the carried h")
class TimeRNNCachesZeroStart(TimeRNN):
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
            # BUG: step 0 starts from the carried h when stateful; cache h_prev as it was
            self.steps.append((xs[:, t], h_prev if t > 0 else np.zeros_like(h_prev), self.h))
            hs[:, t] = self.h
        return hs
