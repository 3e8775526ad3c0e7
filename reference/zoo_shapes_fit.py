"""Buggy layers whose wrong gradient crashes on its own shapes before backward returns: one bug each.

A gradient of the wrong shape rarely reaches the checker in published code: CS231n's linear classifier adds
the regularisation to it (`dW += 2 * reg * W`; written `dW = ... + 2 * reg * W` it broadcasts to a square where one
size is 1, a wrong shape rather than a crash), a learner's `backward(grad, lr)` updates the weights with it,
a gated cell joins its pieces into the stacked parameter (`np.hstack((dWz, dWr, dWh))`). gradlab reads the
crash (`gradlab.core.crash_reading`) or checks the layer again where its sizes fit by accident
(`gradlab.cases.where_it_fits`); either way the variant's code comes first and `crashed` stays.
The gated cell (`StackedGRU`, correct) joins its gates' gradients the way the second volume's GRU does,
so that each variant crashes where the book's would; each variant's backward is a copy of its with one bug.
"""

import numpy as np

from gradlab.registry import register


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


@register("linear_softmax", bug="transposed", name="softmax_loss_dw_transposed",
          note="dW = probs.T @ X, then dW += 2 * reg * W in place")
def softmax_loss_dw_transposed(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(N), y]).mean() + reg * np.sum(W * W)
    probs[np.arange(N), y] -= 1
    dW = probs.T @ X  # BUG: the product in the wrong order gives W's transpose
    dW /= N
    dW += 2 * reg * W
    return loss, dW


@register("linear_svm", bug="transposed", name="svm_loss_dw_transposed",
          note="dW = counts.T @ X / N + 2 * reg * W: at D = 1 a square, (C, 1) + (1, C)")
def svm_loss_dw_transposed(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N + reg * np.sum(W * W)
    counts = (margins > 0).astype(W.dtype)
    counts[np.arange(N), y] = -counts.sum(axis=1)
    return loss, counts.T @ X / N + 2 * reg * W  # BUG: counts.T @ X is W's transpose


@register("affine", bug="transposed", note="weights_gradient = output_gradient.T @ x, applied in backward")
class DenseSGDTransposed:
    def __init__(self, input_size, output_size):
        self.weights = np.random.randn(input_size, output_size) * 0.1
        self.bias = np.zeros((1, output_size))

    def forward(self, x):
        self.x = x
        return x @ self.weights + self.bias

    def backward(self, output_gradient, learning_rate):
        weights_gradient = output_gradient.T @ self.x  # BUG: (out, in), the transpose of the weights
        input_gradient = output_gradient @ self.weights.T
        self.weights -= learning_rate * weights_gradient
        self.bias -= learning_rate * output_gradient.sum(axis=0, keepdims=True)
        return input_gradient


@register("gru_step")
class StackedGRU:
    """One GRU step whose gradients are joined gate by gate (z, r, candidate) into the stacked arrays."""

    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        H = Wh.shape[0]
        zr = _sigmoid(x @ Wx[:, :2 * H] + h_prev @ Wh[:, :2 * H] + b[:2 * H])
        z, r = zr[:, :H], zr[:, H:]
        cand = np.tanh(x @ Wx[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:] + b[2 * H:])
        self.cache = (x, h_prev, z, r, cand)
        return (1 - z) * h_prev + z * cand

    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        H = Wh.shape[0]
        x, h_prev, z, r, cand = self.cache
        d_cand = dh_next * z * (1 - cand ** 2)
        d_rh = d_cand @ Wh[:, 2 * H:].T
        d_z = dh_next * (cand - h_prev) * z * (1 - z)
        d_r = d_rh * h_prev * r * (1 - r)
        d_zr = np.hstack((d_z, d_r))
        self.grads[0][...] = np.hstack((x.T @ d_zr, x.T @ d_cand))
        self.grads[1][...] = np.hstack((h_prev.T @ d_zr, (r * h_prev).T @ d_cand))
        self.grads[2][...] = np.concatenate((d_zr.sum(axis=0), d_cand.sum(axis=0)))
        dx = d_zr @ Wx[:, :2 * H].T + d_cand @ Wx[:, 2 * H:].T
        dh_prev = dh_next * (1 - z) + d_rh * r + d_zr @ Wh[:, :2 * H].T
        return dx, dh_prev


@register("gru_step", bug="transposed", note="the candidate's dWx = d_cand.T @ x: hstack crashes unless D == H")
class StackedGRUTransposedDWx(StackedGRU):
    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        H = Wh.shape[0]
        x, h_prev, z, r, cand = self.cache
        d_cand = dh_next * z * (1 - cand ** 2)
        d_rh = d_cand @ Wh[:, 2 * H:].T
        d_z = dh_next * (cand - h_prev) * z * (1 - z)
        d_r = d_rh * h_prev * r * (1 - r)
        d_zr = np.hstack((d_z, d_r))
        self.grads[0][...] = np.hstack((x.T @ d_zr, d_cand.T @ x))  # BUG: (H, D), the transpose
        self.grads[1][...] = np.hstack((h_prev.T @ d_zr, (r * h_prev).T @ d_cand))
        self.grads[2][...] = np.concatenate((d_zr.sum(axis=0), d_cand.sum(axis=0)))
        dx = d_zr @ Wx[:, :2 * H].T + d_cand @ Wx[:, 2 * H:].T
        dh_prev = dh_next * (1 - z) + d_rh * r + d_zr @ Wh[:, :2 * H].T
        return dx, dh_prev


@register("gru_step", bug="wrong-shape", note="the candidate's db kept its batch axis: concatenate crashes")
class StackedGRUKeptAxisDb(StackedGRU):
    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        H = Wh.shape[0]
        x, h_prev, z, r, cand = self.cache
        d_cand = dh_next * z * (1 - cand ** 2)
        d_rh = d_cand @ Wh[:, 2 * H:].T
        d_z = dh_next * (cand - h_prev) * z * (1 - z)
        d_r = d_rh * h_prev * r * (1 - r)
        d_zr = np.hstack((d_z, d_r))
        self.grads[0][...] = np.hstack((x.T @ d_zr, x.T @ d_cand))
        self.grads[1][...] = np.hstack((h_prev.T @ d_zr, (r * h_prev).T @ d_cand))
        self.grads[2][...] = np.concatenate((d_zr.sum(axis=0), d_cand.sum(axis=0, keepdims=True)))  # BUG: (1, H)
        dx = d_zr @ Wx[:, :2 * H].T + d_cand @ Wx[:, 2 * H:].T
        dh_prev = dh_next * (1 - z) + d_rh * r + d_zr @ Wh[:, :2 * H].T
        return dx, dh_prev


@register("gru_step", bug="wrong-reduction", note="the candidate's db summed over all axes: a 0-d array joined")
class StackedGRUSummedDb(StackedGRU):
    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        H = Wh.shape[0]
        x, h_prev, z, r, cand = self.cache
        d_cand = dh_next * z * (1 - cand ** 2)
        d_rh = d_cand @ Wh[:, 2 * H:].T
        d_z = dh_next * (cand - h_prev) * z * (1 - z)
        d_r = d_rh * h_prev * r * (1 - r)
        d_zr = np.hstack((d_z, d_r))
        self.grads[0][...] = np.hstack((x.T @ d_zr, x.T @ d_cand))
        self.grads[1][...] = np.hstack((h_prev.T @ d_zr, (r * h_prev).T @ d_cand))
        self.grads[2][...] = np.concatenate((d_zr.sum(axis=0), d_cand.sum()))  # BUG: a 0-d array
        dx = d_zr @ Wx[:, :2 * H].T + d_cand @ Wx[:, 2 * H:].T
        dh_prev = dh_next * (1 - z) + d_rh * r + d_zr @ Wh[:, :2 * H].T
        return dx, dh_prev
