"""Bugs the tenth held-out set found misnamed (issue 14), each written here in other styles than the held-out files
(class for function, loops for vectorised, another statistic or kind) next to a correct twin that must still pass:
a normalisation that takes one statistic over the batch (couples-samples first); one term of a product rule off by
a constant (scaled); a max pool reading dout in another axis order than its windows (transposed, the routing right);
an LSTM's gate gradients stacked in the wrong order (misrouted); one term of a recurrent cell's dx with its sign
flipped (sign-flip); a softmax over the batch beside a per-sample input (couples-samples at one sample); the book's
TimeSoftmaxWithLoss without its ignore mask (missing-mask)."""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import entry_for
from gradlab.core.results import PASS


def check(layer, backward=None, examples=8, **kw):
    return check_entry(entry_for(layer, backward, **kw), examples=examples, seed=0)


def sentences(report) -> str:
    return " ".join(g.diagnosis for g in report.failing.gradients if not g.passed) + " " + \
        " ".join(f.message for f in report.failing.findings)


# --- 1: a normalisation with one statistic over the batch: couples-samples, before the broken law's mismatch --------


class LayerNorm:
    """Class style; `mean_over` 0 takes the mean of each feature over the batch (the variance stays per sample)."""

    mean_over = 1

    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = gamma, beta, eps

    def forward(self, x):
        n = x.shape[self.mean_over]
        mu = x.sum(axis=self.mean_over, keepdims=True) / n
        self.inv = 1.0 / np.sqrt(((x - x.mean(axis=1, keepdims=True)) ** 2).mean(axis=1, keepdims=True) + self.eps)
        self.xhat = (x - mu) * self.inv
        return self.gamma * self.xhat + self.beta

    def backward(self, dout):
        D = dout.shape[1]
        self.dgamma = (dout * self.xhat).sum(axis=0)
        self.dbeta = dout.sum(axis=0)
        g = dout * self.gamma
        return self.inv / D * (D * g - g.sum(axis=1, keepdims=True)
                               - self.xhat * (g * self.xhat).sum(axis=1, keepdims=True))


class LayerNormMeanOverTheBatch(LayerNorm):
    mean_over = 0


def _layernorm(var_axis: int):
    """Function style, the other statistic: the variance of each feature over the batch where `var_axis` is 0."""
    def layernorm_forward(x, gamma, beta, ln_param):
        eps = ln_param.get("eps", 1e-5)
        xc = x - x.mean(axis=1, keepdims=True)
        std = np.sqrt(x.var(axis=var_axis, keepdims=True) + eps)
        xhat = xc / std
        return gamma * xhat + beta, (xhat, std, gamma)

    def layernorm_backward(dout, cache):
        xhat, std, gamma = cache
        D = dout.shape[1]
        dxhat = dout * gamma
        dx = D * dxhat - dxhat.sum(axis=1, keepdims=True) - xhat * (dxhat * xhat).sum(axis=1, keepdims=True)
        dx /= D * std
        return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)

    return layernorm_forward, layernorm_backward


def test_a_layer_norm_class_taking_its_mean_over_the_batch_is_named_couples_samples_first_and_its_twin_passes():
    wrong = check(LayerNormMeanOverTheBatch, kind="layernorm")
    assert wrong.bug_codes[0] == "couples-samples", (wrong.bug_codes, sentences(wrong))
    assert "its mean each feature over the batch" in sentences(wrong)
    assert check(LayerNorm, kind="layernorm").verdict == PASS


def test_a_layer_norm_centred_on_the_batch_mean_throughout_is_couples_samples_by_samples_moving_each_other():
    # its variance is each sample's spread about the batch's mean: no pair of the usual statistics fits, and the
    # outputs of some samples moving when only the others change is what names it
    def layernorm_forward(x, gamma, beta, ln_param):
        xc = x - x.mean(axis=0)
        xhat = xc / np.sqrt((xc ** 2).mean(axis=1, keepdims=True) + ln_param.get("eps", 1e-5))
        return gamma * xhat + beta, None

    def layernorm_backward(dout, cache):
        return np.zeros_like(dout), np.zeros(dout.shape[1]), dout.sum(axis=0)

    wrong = check(layernorm_forward, layernorm_backward)
    assert wrong.bug_codes[0] == "couples-samples", (wrong.bug_codes, sentences(wrong))
    assert "forward mixes samples" in sentences(wrong)


def test_a_layer_norm_function_taking_its_variance_over_the_batch_is_named_couples_samples_first_and_its_twin_passes():
    wrong = check(*_layernorm(var_axis=0))
    assert wrong.bug_codes[0] == "couples-samples", (wrong.bug_codes, sentences(wrong))
    assert check(*_layernorm(var_axis=1)).verdict == PASS


# --- 2: one term of a product rule off by a constant: scaled -----------------------------------------------------


class Swish:
    """Class style y = x * sigmoid(x); `first_term` multiplies the sigmoid(x) term of the derivative (1 is right)."""

    first_term = 1.0

    def forward(self, x):
        self.x, self.s = x, 1.0 / (1.0 + np.exp(-x))
        return x * self.s

    def backward(self, dout):
        return dout * (self.first_term * self.s + self.x * self.s * (1.0 - self.s))


class SwishFirstTermDoubled(Swish):
    first_term = 2.0


def _gelu_erf(second_term: float):
    """Function style, GELU's exact form x * Phi(x), looped over elements; `second_term` multiplies x * phi(x)."""
    def gelu_forward(x):
        return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0))), x

    def gelu_backward(dout, cache):
        x = cache
        dx = np.empty_like(x)
        for i, v in np.ndenumerate(x):
            cdf = 0.5 * (1.0 + erf(v / np.sqrt(2.0)))
            pdf = np.exp(-0.5 * v * v) / np.sqrt(2.0 * np.pi)
            dx[i] = dout[i] * (cdf + second_term * v * pdf)
        return dx

    return gelu_forward, gelu_backward


def test_a_swish_class_whose_sigmoid_term_is_doubled_is_scaled_and_its_twin_passes():
    wrong = check(SwishFirstTermDoubled, kind="swish")
    assert wrong.bug_codes == ["scaled"], sentences(wrong)
    assert "the term g(x) = y / x is 2 times" in sentences(wrong)
    assert check(Swish, kind="swish").verdict == PASS


def test_an_exact_gelu_in_loops_whose_x_phi_term_is_halved_is_scaled_and_its_twin_passes():
    wrong = check(*_gelu_erf(second_term=0.5))
    assert wrong.bug_codes == ["scaled"], sentences(wrong)
    assert "x * g'(x) is 0.5 times" in sentences(wrong)
    assert check(*_gelu_erf(second_term=1.0)).verdict == PASS


def test_a_product_rule_term_dropped_stays_dropped_term_not_scaled():
    # c = 0 is a term missing, as DESIGN.md has dropped-term: the scaled term's fit leaves it alone
    wrong = check(*_gelu_erf(second_term=0.0))
    assert wrong.bug_codes == ["dropped-term"], sentences(wrong)


# --- 3: a max pool's gradient sent to other windows' maxima: misrouted ---------------------------------------------


def _max_pool(dout_order: tuple[int, ...]):
    """Function style with loops: the windows' argmax kept in (N, C, i, j) order; backward reads dout flattened after
    `dout_order` (0, 1, 2, 3 is right; 0, 2, 3, 1 reads it channels-last, as im2col's rows are)."""
    def max_pool_forward_naive(x, pool_param):
        ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
        N, C, H, W = x.shape
        oh, ow = (H - ph) // s + 1, (W - pw) // s + 1
        out, where = np.empty((N, C, oh, ow)), []
        for n, c, i, j in np.ndindex(N, C, oh, ow):
            window = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
            k = int(np.argmax(window))
            where.append((n, c, i * s + k // pw, j * s + k % pw))
            out[n, c, i, j] = window.flat[k]
        return out, (x.shape, where)

    def max_pool_backward_naive(dout, cache):
        shape, where = cache
        dx = np.zeros(shape)
        flat = dout.transpose(dout_order).reshape(-1)
        for k, position in enumerate(where):
            dx[position] += flat[k]
        return dx

    return max_pool_forward_naive, max_pool_backward_naive


def test_a_max_pool_reading_dout_in_another_axis_order_than_its_windows_is_transposed_and_its_twin_passes():
    # the routing (each window's argmax) is right and each output's value lands at another window's maximum: the
    # true gradient of dout read in another axis order, so the right values in transposed positions, not misrouted
    wrong = check(*_max_pool((0, 2, 3, 1)), examples=15)
    assert wrong.bug_codes == ["transposed"], sentences(wrong)
    assert "backward reads dout in another axis order" in sentences(wrong)
    assert check(*_max_pool((0, 1, 2, 3)), examples=15).verdict == PASS


def test_a_spatial_gradient_in_channels_last_order_reshaped_without_its_transpose_stays_transposed():
    # every position gets gradient and the values sit in an axis order of dx: transposed, as DESIGN.md has it
    def mul_forward(x, w):
        return x * w, (x, w)

    def mul_backward(dout, cache):
        x, w = cache
        N, C, H, W = x.shape
        return (dout * w).transpose(0, 2, 3, 1).reshape(N, C, H, W), (dout * x).sum(axis=0)

    from gradlab.core.diagnose_blocks import axis_order, moved_values, slices_permuted
    rng = np.random.default_rng(0)
    n = rng.standard_normal((2, 3, 2, 4))
    a = n.transpose(0, 2, 3, 1).reshape(n.shape)
    assert axis_order(a, n) and moved_values("dx", a, n).code == "transposed"
    swapped = n[:, [1, 0, 2]]
    assert not axis_order(swapped, n) and slices_permuted(swapped, n) == (1, [1, 0, 2])
    assert moved_values("dx", swapped, n).code == "misrouted"


# --- 4: gate gradients stacked in the wrong order: misrouted ------------------------------------------------------


def _sig(a):
    return 0.5 * (1.0 + np.tanh(0.5 * a))


class LSTM:
    """The textbook's step in class style, gates f, g, i, o; `stacked` is the order backward stacks their gradients
    in (f, g, i, o is right)."""

    stacked = ("f", "g", "i", "o")

    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]

    def forward(self, x, h_prev, c_prev):
        Wx, Wh, b = self.params
        H = h_prev.shape[1]
        a = x @ Wx + h_prev @ Wh + b
        f, g, i, o = _sig(a[:, :H]), np.tanh(a[:, H:2 * H]), _sig(a[:, 2 * H:3 * H]), _sig(a[:, 3 * H:])
        c_next = f * c_prev + g * i
        self.cache = (x, h_prev, c_prev, f, g, i, o, np.tanh(c_next))
        return o * self.cache[-1], c_next

    def backward(self, dh_next, dc_next):
        Wx, Wh, _ = self.params
        x, h_prev, c_prev, f, g, i, o, tc = self.cache
        ds = dc_next + dh_next * o * (1 - tc ** 2)
        parts = {"f": ds * c_prev * f * (1 - f), "g": ds * i * (1 - g ** 2), "i": ds * g * i * (1 - i),
                 "o": dh_next * tc * o * (1 - o)}
        da = np.hstack([parts[k] for k in self.stacked])
        self.grads[0][...] = x.T @ da
        self.grads[1][...] = h_prev.T @ da
        self.grads[2][...] = da.sum(axis=0)
        return da @ Wx.T, da @ Wh.T, ds * f


class LSTMGatesSwapped(LSTM):
    stacked = ("f", "g", "o", "i")


def test_an_lstm_class_stacking_two_gate_gradients_in_each_others_place_is_misrouted_and_its_twin_passes():
    wrong = check(LSTMGatesSwapped, kind="lstm_step")
    assert wrong.bug_codes == ["misrouted"], sentences(wrong)
    assert "stacked in the wrong order" in sentences(wrong)
    assert check(LSTM, kind="lstm_step").verdict == PASS


# --- 5: one term of a recurrent cell's dx with its sign flipped: sign-flip ---------------------------------------


def _gru(flip: str):
    """CS231n function style, gates z, r, candidate; `flip` names the term of dx (through Wx's z, r or candidate
    block) written with its sign flipped; '' is right."""
    def gru_step_forward(x, prev_h, Wx, Wh, b):
        H = prev_h.shape[1]
        z = _sig(x @ Wx[:, :H] + prev_h @ Wh[:, :H] + b[:H])
        r = _sig(x @ Wx[:, H:2 * H] + prev_h @ Wh[:, H:2 * H] + b[H:2 * H])
        hc = np.tanh(x @ Wx[:, 2 * H:] + (r * prev_h) @ Wh[:, 2 * H:] + b[2 * H:])
        return (1 - z) * prev_h + z * hc, (x, prev_h, Wx, Wh, z, r, hc)

    def gru_step_backward(dnext_h, cache):
        x, prev_h, Wx, Wh, z, r, hc = cache
        H = prev_h.shape[1]
        dc = dnext_h * z * (1 - hc ** 2)
        dz = dnext_h * (hc - prev_h) * z * (1 - z)
        dhr = dc @ Wh[:, 2 * H:].T
        drr = dhr * prev_h * r * (1 - r)
        sign = {k: -1.0 if flip == k else 1.0 for k in ("z", "r", "c")}
        dx = sign["z"] * dz @ Wx[:, :H].T + sign["r"] * drr @ Wx[:, H:2 * H].T + sign["c"] * dc @ Wx[:, 2 * H:].T
        dprev_h = dnext_h * (1 - z) + dhr * r + dz @ Wh[:, :H].T + drr @ Wh[:, H:2 * H].T
        dWx = np.hstack([x.T @ dz, x.T @ drr, x.T @ dc])
        dWh = np.hstack([prev_h.T @ dz, prev_h.T @ drr, (r * prev_h).T @ dc])
        return dx, dprev_h, dWx, dWh, np.hstack([dz.sum(0), drr.sum(0), dc.sum(0)])

    return gru_step_forward, gru_step_backward


def test_a_gru_step_whose_dx_has_one_gates_term_negated_is_sign_flip_and_its_twin_passes():
    wrong = check(*_gru("r"))
    assert wrong.bug_codes == ["sign-flip"], sentences(wrong)
    assert "the term that reads Wx[:, " in sentences(wrong)
    assert check(*_gru("")).verdict == PASS



# --- 6: a softmax over the batch in a layer with a second per-sample input: couples-samples at N=1 too ------------


class AttentionWeight:
    """The textbook's attention weights in class style, a = softmax over T of hs · h; `over` is the softmax's axis
    (1, the time steps, is right; 0 is the batch)."""

    over = 1

    def __init__(self):
        self.params, self.grads = [], []

    def forward(self, hs, h):
        s = np.einsum("nth,nh->nt", hs, h)
        e = np.exp(s - s.max(axis=self.over, keepdims=True))
        self.cache = (hs, h, e / e.sum(axis=self.over, keepdims=True))
        return self.cache[2]

    def backward(self, da):
        hs, h, a = self.cache
        ds = a * (da - (a * da).sum(axis=1, keepdims=True))
        return ds[:, :, None] * h[:, None, :], np.einsum("nt,nth->nh", ds, hs)


class AttentionWeightOverTheBatch(AttentionWeight):
    over = 0


class AttentionWeightLoops(AttentionWeight):
    """Loops, sample by sample and step by step; the softmax's sum taken over the whole batch at each step."""

    def forward(self, hs, h):
        N, T, _ = hs.shape
        s = np.array([[hs[n, t] @ h[n] for t in range(T)] for n in range(N)])
        e = np.exp(s)
        a = np.empty_like(s)
        for t in range(T):
            a[:, t] = e[:, t] / e[:, t].sum()
        self.cache = (hs, h, a)
        return a


def test_attention_weights_normalised_over_the_batch_are_couples_samples_first_even_at_one_sample():
    for wrong_layer in (AttentionWeightOverTheBatch, AttentionWeightLoops):
        wrong = check(wrong_layer, kind="attention_weight")
        assert wrong.bug_codes[0] == "couples-samples", (wrong_layer.__name__, wrong.bug_codes, sentences(wrong))
    assert check(AttentionWeight, kind="attention_weight").verdict == PASS


# --- 7: softmax's subtracted term written c times: dropped (0), sign-flip (-1), scaled (else) ----------------------


def _softmax(c: float):
    """Function style; backward writes softmax's term -y * sum(y * dout) times c (1 is right)."""
    def softmax_forward(x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        y = e / e.sum(axis=1, keepdims=True)
        return y, y

    def softmax_backward(dout, cache):
        y = cache
        return y * dout - c * y * (y * dout).sum(axis=1, keepdims=True)

    return softmax_forward, softmax_backward


class SoftmaxLoops:
    """Class style in loops over samples, the Jacobian built per sample; `c` multiplies its -y y^T part."""

    c = 1.0

    def forward(self, x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.y = e / e.sum(axis=1, keepdims=True)
        return self.y

    def backward(self, dout):
        dx = np.empty_like(dout)
        for i, (y, g) in enumerate(zip(self.y, dout)):
            dx[i] = (np.diag(y) - self.c * np.outer(y, y)) @ g
        return dx


class SoftmaxLoopsHalfOuter(SoftmaxLoops):
    c = 0.5


def test_a_softmax_whose_subtracted_term_is_doubled_or_halved_is_scaled_and_its_twins_pass():
    doubled = check(*_softmax(2.0))
    assert doubled.bug_codes == ["scaled"], sentences(doubled)
    assert "2 times what it should be" in sentences(doubled)
    halved = check(SoftmaxLoopsHalfOuter, kind="softmax")
    assert halved.bug_codes == ["scaled"], sentences(halved)
    assert check(*_softmax(1.0)).verdict == PASS and check(SoftmaxLoops, kind="softmax").verdict == PASS
    assert check(*_softmax(0.0)).bug_codes == ["dropped-term"]  # the term missing stays a dropped term


# --- 8: the book's TimeSoftmaxWithLoss without its ignore mask in backward: missing-mask --------------------------


class TimeSoftmaxWithLoss:
    """The second volume's loss in class style, ignore label -1; `masked` False leaves the mask out of backward."""

    masked = True

    def __init__(self):
        self.params, self.grads = [], []
        self.ignore_label = -1

    def forward(self, xs, ts):
        N, T, V = xs.shape
        mask = (ts != self.ignore_label).reshape(N * T)
        x, t = xs.reshape(N * T, V), ts.reshape(N * T)
        e = np.exp(x - x.max(axis=1, keepdims=True))
        ys = e / e.sum(axis=1, keepdims=True)
        loss = -np.sum(np.log(ys[np.arange(N * T), t]) * mask) / mask.sum()
        self.cache = (t, ys, mask, (N, T, V))
        return loss

    def backward(self, dout=1):
        t, ys, mask, shape = self.cache
        dx = ys.copy()
        dx[np.arange(len(t)), t] -= 1
        dx *= dout / mask.sum()
        if self.masked:
            dx *= mask[:, None]
        return dx.reshape(shape)


class TimeSoftmaxWithLossNoMask(TimeSoftmaxWithLoss):
    masked = False


class TimeSoftmaxWithLossLoopsNoMask(TimeSoftmaxWithLoss):
    """Step by step, as a learner's loop over T: each step's softmax gradient, the ignored ones not skipped."""

    def backward(self, dout=1):
        t, ys, mask, (N, T, V) = self.cache
        dx = np.zeros((N, T, V))
        p, labels = ys.reshape(N, T, V), t.reshape(N, T)
        for s in range(T):
            dx[:, s] = p[:, s]
            dx[np.arange(N), s, labels[:, s]] -= 1
        return dx * dout / mask.sum()


def test_the_books_time_softmax_loss_without_its_ignore_mask_in_backward_is_missing_mask_and_its_twin_passes():
    for wrong_layer in (TimeSoftmaxWithLossNoMask, TimeSoftmaxWithLossLoopsNoMask):
        wrong = check(wrong_layer, kind="time_softmax_with_loss", examples=15)
        assert wrong.bug_codes == ["missing-mask"], (wrong_layer.__name__, sentences(wrong))
        assert "labelled -1" in sentences(wrong)
    assert check(TimeSoftmaxWithLoss, kind="time_softmax_with_loss", examples=15).verdict == PASS


# --- 9: batch norm with one statistic over the wrong axis: couples-samples, naming which -----------------------------


def _batchnorm(mean_axis: int, var_axis: int, root: bool = True):
    """Function style: the mean over `mean_axis`, the variance over `var_axis` (0 and 0 is right); `root` False
    divides by the variance itself, a wrong formula that is no statistic over a wrong axis."""
    def batchnorm_forward(x, gamma, beta, bn_param):
        eps = bn_param.get("eps", 1e-5)
        var = x.var(axis=var_axis, keepdims=True) + eps
        sd = np.sqrt(var) if root else var
        xhat = (x - x.mean(axis=mean_axis, keepdims=True)) / sd
        return gamma * xhat + beta, (xhat, sd, gamma)

    def batchnorm_backward(dout, cache):
        xhat, sd, gamma = cache
        N = dout.shape[0]
        dxhat = dout * gamma
        dx = (N * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (N * sd)
        return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)

    return batchnorm_forward, batchnorm_backward


class BatchNormalization:
    """The book's class: the mean of each sample over its features where each feature's over the batch belongs."""

    def __init__(self, gamma, beta):
        self.gamma, self.beta = gamma, beta

    def forward(self, x, train_flg=True):
        xc = x - x.mean(axis=1, keepdims=True)
        self.std = np.sqrt(np.mean((x - x.mean(axis=0)) ** 2, axis=0) + 10e-7)
        self.xn = xc / self.std
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        return self.gamma * dout / self.std


def test_batch_norm_with_one_statistic_over_the_wrong_axis_is_couples_samples_naming_it_and_its_twin_passes():
    wrong = check(*_batchnorm(mean_axis=0, var_axis=1))
    assert wrong.bug_codes[0] == "couples-samples", (wrong.bug_codes, sentences(wrong))
    assert "its variance each sample over its features" in sentences(wrong)
    wrong = check(BatchNormalization, kind="batchnorm")
    assert wrong.bug_codes[0] == "couples-samples", (wrong.bug_codes, sentences(wrong))
    assert "its mean each sample over its features" in sentences(wrong)
    assert check(*_batchnorm(mean_axis=0, var_axis=0)).verdict == PASS
    # dividing by the variance itself is a wrong formula, no statistic over a wrong axis
    assert check(*_batchnorm(mean_axis=0, var_axis=0, root=False)).bug_codes[0] == "mismatch"
