"""Bugs the eleventh held-out set found misnamed (issue 14), each written here in two styles of our own (class and
function, loops and vectorised) next to a correct twin that must still pass:
- a forward that stores its output where backward's formula needs its input (wrong-input: the case's input put in
  the stored array's place makes backward right), beside a mask read off the output, which stays missing-mask;
- a stacked weight's gradient whose one gate block reads the hidden state where the gated one belongs (wrong-input,
  read in that block's product alone);
- a normalisation's variance path reading x_hat where x - mean belongs (wrong-input, measured on the layer, before
  the kind's reading of the same numbers as a power of sigma);
- a hidden state's gradient overwritten instead of accumulated (dropped-term: dout times a held array is missing);
- a ReLU left out of an affine-ReLU sandwich, and a clip without its cap (missing-mask: gradient through outputs the
  forward holds flat), beside an inverted mask and a mask read off dout, which are not missing-mask;
- a recurrent weight's gradient multiplying the new state where the previous one belongs, and an LSTM's cell tanh
  computed once from the previous cell and read twice (wrong-input, by the recurrent kinds' reading);
- the grader's sandbox naming a stored output read as the input as check does."""

from __future__ import annotations

import numpy as np

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import entry_for
from gradlab.core.results import PASS


def check(layer, backward=None, examples=6, **kw):
    return check_entry(entry_for(layer, backward, **kw), examples=examples, seed=0)


def sentences(report) -> str:
    return " ".join(g.diagnosis for g in report.failing.gradients if not g.passed)


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


# --- 1: the output stored where backward needs the input: wrong-input --------------------------------------------


class Swish:
    """Class style; `keep_output` stores y = x * sigmoid(x) in self.x, where backward's formula reads x."""

    keep_output = False

    def forward(self, x):
        self.s = _sigmoid(x)
        out = x * self.s
        self.x = out if self.keep_output else x
        return out

    def backward(self, dout):
        return dout * (self.s + self.x * self.s * (1.0 - self.s))


class SwishKeepsItsOutput(Swish):
    keep_output = True


def _gelu(keep_output: bool):
    """Function style, the tanh form of GELU, its derivative written element by element in a loop."""
    c = np.sqrt(2.0 / np.pi)

    def gelu_forward(x):
        t = np.tanh(c * (x + 0.044715 * x ** 3))
        out = 0.5 * x * (1.0 + t)
        return out, ((out if keep_output else x), t)

    def gelu_backward(dout, cache):
        x, t = cache
        dx = np.empty_like(dout)
        for i, v in np.ndenumerate(x):
            du = c * (1.0 + 3 * 0.044715 * v * v)
            dx[i] = dout[i] * (0.5 * (1.0 + t[i]) + 0.5 * v * (1.0 - t[i] ** 2) * du)
        return dx

    return gelu_forward, gelu_backward


def test_a_swish_class_that_stores_its_output_where_its_formula_reads_x_is_wrong_input_and_its_twin_passes():
    wrong = check(SwishKeepsItsOutput, kind="swish")
    assert wrong.bug_codes[0] == "wrong-input", (wrong.bug_codes, sentences(wrong))
    assert "the input x" in sentences(wrong)
    assert check(Swish, kind="swish").verdict == PASS


def test_a_looped_gelu_function_caching_its_output_for_x_is_wrong_input_and_its_twin_passes():
    wrong = check(*_gelu(keep_output=True))
    assert wrong.bug_codes[0] == "wrong-input", (wrong.bug_codes, sentences(wrong))
    assert check(*_gelu(keep_output=False)).verdict == PASS


def test_a_relu_masking_on_its_stored_output_with_greater_or_equal_stays_missing_mask_not_wrong_input():
    # out >= 0 lets everything through, and it is right at x as well: what it lets through names it
    def relu_forward(x):
        out = np.maximum(x, 0.0)
        return out, out

    def relu_backward(dout, cache):
        return dout * (cache >= 0)

    wrong = check(relu_forward, relu_backward)
    assert wrong.bug_codes[0] == "missing-mask", (wrong.bug_codes, sentences(wrong))


# --- 2: one gate block of a stacked weight's gradient reads the wrong hidden state: wrong-input -------------------


def _gru_parts(x, h_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    ax, ah = x @ Wx + b, h_prev @ Wh[:, :2 * H]
    z = _sigmoid(ax[:, :H] + ah[:, :H])
    r = _sigmoid(ax[:, H:2 * H] + ah[:, H:])
    rh = r * h_prev
    g = np.tanh(ax[:, 2 * H:] + rh @ Wh[:, 2 * H:])
    return z, r, rh, g, z * h_prev + (1.0 - z) * g


class GRU:
    """Class style, gates (z, r, g) stacked in Wx (D, 3H) and Wh (H, 3H); `block_reads` is the array the candidate's
    block of dWh multiplies, `overwrite` assigns the reset path's term to dh_prev where it must be added."""

    block_reads = "rh"
    overwrite = False

    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]

    def forward(self, x, h_prev):
        z, r, rh, g, h_next = _gru_parts(x, h_prev, *self.params)
        self.cache = (x, h_prev, z, r, rh, g)
        return h_next

    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        x, h_prev, z, r, rh, g = self.cache
        H = h_prev.shape[1]
        dg = dh_next * (1.0 - z) * (1.0 - g ** 2)
        dz = dh_next * (h_prev - g) * z * (1.0 - z)
        drh = dg @ Wh[:, 2 * H:].T
        dr = drh * h_prev * r * (1.0 - r)
        dh_prev = dh_next * z
        if self.overwrite:
            dh_prev = drh * r
        else:
            dh_prev += drh * r
        da = np.hstack([dz, dr, dg])
        dh_prev += da[:, :2 * H] @ Wh[:, :2 * H].T
        dWh = np.empty_like(Wh)
        dWh[:, :2 * H] = h_prev.T @ da[:, :2 * H]
        dWh[:, 2 * H:] = (h_prev if self.block_reads == "h_prev" else rh).T @ dg
        for grad, value in zip(self.grads, (x.T @ da, dWh, da.sum(axis=0))):
            grad[...] = value
        return da @ Wx.T, dh_prev


class GRUCandidateBlockReadsHPrev(GRU):
    block_reads = "h_prev"


class GRUResetPathOverwrites(GRU):
    overwrite = True


def _lstm(block_reads: str):
    """Function style, gates (i, f, o, g) stacked; the g block of dWh reads `block_reads` (`h_prev` is right, `c_prev`
    the cell state of the same shape is the bug), the gradient written per gate with a loop over the four blocks."""
    def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
        H = prev_h.shape[1]
        a = x @ Wx + prev_h @ Wh + b
        i, f, o = (_sigmoid(a[:, k * H:(k + 1) * H]) for k in range(3))
        g = np.tanh(a[:, 3 * H:])
        next_c = f * prev_c + i * g
        next_h = o * np.tanh(next_c)
        return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)

    def lstm_step_backward(dnext_h, dnext_c, cache):
        x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
        tc = np.tanh(next_c)
        dc = dnext_c + dnext_h * o * (1.0 - tc ** 2)
        blocks = [dc * g * i * (1.0 - i), dc * prev_c * f * (1.0 - f), dnext_h * tc * o * (1.0 - o),
                  dc * i * (1.0 - g ** 2)]
        da = np.concatenate(blocks, axis=1)
        H = prev_h.shape[1]
        dWh = np.zeros_like(Wh)
        for k, block in enumerate(blocks):
            reads = prev_c if (k == 3 and block_reads == "c_prev") else prev_h
            dWh[:, k * H:(k + 1) * H] = reads.T @ block
        return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, dWh, da.sum(axis=0)

    return lstm_step_forward, lstm_step_backward


def test_a_gru_class_whose_candidate_block_of_dwh_reads_h_prev_where_r_times_h_prev_belongs_is_wrong_input():
    wrong = check(GRUCandidateBlockReadsHPrev, kind="gru_step")
    assert wrong.bug_codes[0] == "wrong-input", (wrong.bug_codes, sentences(wrong))
    assert "columns of dWh" in sentences(wrong) or "columns of grads[1]" in sentences(wrong)
    assert check(GRU, kind="gru_step").verdict == PASS


def test_an_lstm_step_function_whose_g_block_of_dwh_reads_the_cell_state_is_wrong_input_and_its_twin_passes():
    wrong = check(*_lstm("c_prev"))
    assert wrong.bug_codes[0] == "wrong-input", (wrong.bug_codes, sentences(wrong))
    assert check(*_lstm("h_prev")).verdict == PASS


# --- 3: a hidden state's gradient overwritten where it must be accumulated: dropped-term --------------------------


def _residual(overwrite: bool):
    """Function style, y = x + tanh(x @ w1 + b1) @ w2 + b2: dx adds the skip path, dout, to the branch's."""
    def residual_block_forward(x, w1, b1, w2, b2):
        t = np.tanh(x @ w1 + b1)
        return x + t @ w2 + b2, (x, w1, w2, t)

    def residual_block_backward(dout, cache):
        x, w1, w2, t = cache
        dh = (dout @ w2.T) * (1.0 - t ** 2)
        dx = dout.copy()
        if overwrite:
            dx = dh @ w1.T
        else:
            dx += dh @ w1.T
        return dx, x.T @ dh, dh.sum(axis=0), t.T @ dout, dout.sum(axis=0)

    return residual_block_forward, residual_block_backward


def test_a_gru_class_whose_reset_path_overwrites_dh_prev_is_dropped_term_and_its_twin_passes():
    wrong = check(GRUResetPathOverwrites, kind="gru_step")
    assert wrong.bug_codes[0] == "dropped-term", (wrong.bug_codes, sentences(wrong))
    assert check(GRU, kind="gru_step").verdict == PASS


def test_a_residual_function_whose_branch_overwrites_the_skip_path_is_dropped_term_and_its_twin_passes():
    wrong = check(*_residual(overwrite=True))
    assert wrong.bug_codes[0] == "dropped-term", (wrong.bug_codes, sentences(wrong))
    assert check(*_residual(overwrite=False)).verdict == PASS


# --- 4: a normalisation's variance path reading x_hat where x - mean belongs: wrong-input, not a power of sigma ----


class BatchNorm:
    """Class style, the computational graph's backward; `dstd_reads` is what the variance path's sum multiplies
    (`xc` is right)."""

    dstd_reads = "xc"

    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = gamma, beta, eps

    def forward(self, x):
        self.xc = x - x.mean(axis=0)
        self.std = np.sqrt((self.xc ** 2).mean(axis=0) + self.eps)
        self.xhat = self.xc / self.std
        return self.gamma * self.xhat + self.beta

    def backward(self, dout):
        N = dout.shape[0]
        self.dbeta, self.dgamma = dout.sum(axis=0), (dout * self.xhat).sum(axis=0)
        dxhat = dout * self.gamma
        reads = self.xhat if self.dstd_reads == "xhat" else self.xc
        dvar = -0.5 * (dxhat * reads).sum(axis=0) / self.std ** 3
        dxc = dxhat / self.std + 2.0 * self.xc * dvar / N
        return dxc - dxc.mean(axis=0)


class BatchNormVarianceReadsXhat(BatchNorm):
    dstd_reads = "xhat"


def _layernorm(dvar_reads: str):
    """Function style, per sample over its features, the statistics' sums written as loops over the samples."""
    def layernorm_forward(x, gamma, beta, ln_param):
        xc = x - x.mean(axis=1, keepdims=True)
        std = np.sqrt((xc ** 2).mean(axis=1, keepdims=True) + ln_param.get("eps", 1e-5))
        xhat = xc / std
        return gamma * xhat + beta, (xhat, xc, std, gamma)

    def layernorm_backward(dout, cache):
        xhat, xc, std, gamma = cache
        D = dout.shape[1]
        dxhat = dout * gamma
        reads = xhat if dvar_reads == "xhat" else xc
        dx = np.empty_like(dout)
        for i in range(dout.shape[0]):
            dvar = -0.5 * np.sum(dxhat[i] * reads[i]) / std[i, 0] ** 3
            dxc = dxhat[i] / std[i, 0] + 2.0 * xc[i] * dvar / D
            dx[i] = dxc - dxc.mean()
        return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)

    return layernorm_forward, layernorm_backward


def test_a_batch_norm_class_whose_variance_path_reads_x_hat_where_x_minus_mean_belongs_is_wrong_input():
    wrong = check(BatchNormVarianceReadsXhat, kind="batchnorm")
    assert wrong.bug_codes[0] == "wrong-input", (wrong.bug_codes, sentences(wrong))
    assert "self.xhat" in sentences(wrong) and "self.xc" in sentences(wrong)
    assert check(BatchNorm, kind="batchnorm").verdict == PASS


def test_a_looped_layer_norm_function_whose_variance_path_reads_x_hat_is_wrong_input_and_its_twin_passes():
    wrong = check(*_layernorm("xhat"))
    assert wrong.bug_codes[0] == "wrong-input", (wrong.bug_codes, sentences(wrong))
    assert check(*_layernorm("xc")).verdict == PASS


# --- 5: gradient through outputs the forward holds flat: missing-mask ----------------------------------------------


class AffineRelu:
    """Class style affine then ReLU; `mask` is how backward gates dout: "x" (right), "none" (the ReLU's backward
    skipped), "inverted" (x <= 0) or "dout" (read off dout's sign)."""

    mask = "x"

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        self.a = x @ self.W + self.b
        return np.maximum(self.a, 0.0)

    def backward(self, dout):
        gate = {"x": self.a > 0, "none": np.ones_like(dout, dtype=bool), "inverted": self.a <= 0,
                "dout": dout > 0}[self.mask]
        da = dout * gate
        self.dW, self.db = self.x.T @ da, da.sum(axis=0)
        return da @ self.W.T


class AffineReluSkipsTheRelu(AffineRelu):
    mask = "none"


class AffineReluInvertedMask(AffineRelu):
    mask = "inverted"


class AffineReluMaskFromDout(AffineRelu):
    mask = "dout"


def _hardtanh(capped: bool):
    """Function style clip to [-1, 1], its mask built element by element; `capped` False lets gradient through above
    the upper clip."""
    def hardtanh_forward(x):
        return np.clip(x, -1.0, 1.0), x

    def hardtanh_backward(dout, cache):
        x = cache
        dx = np.zeros_like(dout)
        for i, v in np.ndenumerate(x):
            if v > -1.0 and (v < 1.0 or not capped):
                dx[i] = dout[i]
        return dx

    return hardtanh_forward, hardtanh_backward


def test_an_affine_relu_class_that_skips_the_relus_backward_is_missing_mask_and_its_twin_passes():
    wrong = check(AffineReluSkipsTheRelu, kind="affine_relu")
    assert wrong.bug_codes[0] == "missing-mask", (wrong.bug_codes, sentences(wrong))
    assert check(AffineRelu, kind="affine_relu").verdict == PASS


def test_an_affine_relu_with_its_mask_inverted_or_read_off_dout_is_not_missing_mask():
    for layer in (AffineReluInvertedMask, AffineReluMaskFromDout):
        wrong = check(layer, kind="affine_relu")
        assert wrong.verdict != PASS and "missing-mask" not in wrong.bug_codes, (layer, wrong.bug_codes)


def test_a_looped_clip_without_its_upper_cap_is_missing_mask_and_its_twin_passes():
    wrong = check(*_hardtanh(capped=False), kind="relu6")
    assert wrong.bug_codes[0] == "missing-mask", (wrong.bug_codes, sentences(wrong))
    assert check(*_hardtanh(capped=True), kind="relu6").verdict == PASS


# --- 6: a recurrent weight's gradient reading the wrong state, and one tanh computed from the wrong cell: wrong-input


class TimeRNN:
    """Class style over a sequence, the states kept in one (N, T + 1, H) array; `dwh_reads` is the step whose state
    dWh multiplies (0: the previous one, right; 1: the new one)."""

    dwh_reads = 0

    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.stateful, self.h = stateful, None

    def forward(self, xs):
        Wx, Wh, b = self.params
        N, T, _ = xs.shape
        if not self.stateful or self.h is None:
            self.h = np.zeros((N, Wh.shape[0]))
        self.xs, self.hs = xs, np.empty((N, T + 1, Wh.shape[0]))
        self.hs[:, 0] = self.h
        for t in range(T):
            self.hs[:, t + 1] = np.tanh(xs[:, t] @ Wx + self.hs[:, t] @ Wh + b)
        self.h = self.hs[:, T]
        return self.hs[:, 1:].copy()

    def backward(self, dhs):
        Wx, Wh, _ = self.params
        dxs, dh = np.empty_like(self.xs), np.zeros_like(self.h)
        sums = [np.zeros_like(p) for p in self.params]
        for t in reversed(range(dhs.shape[1])):
            dt = (dhs[:, t] + dh) * (1.0 - self.hs[:, t + 1] ** 2)
            sums[0] += self.xs[:, t].T @ dt
            sums[1] += self.hs[:, t + self.dwh_reads].T @ dt
            sums[2] += dt.sum(axis=0)
            dxs[:, t], dh = dt @ Wx.T, dt @ Wh.T
        for grad, value in zip(self.grads, sums):
            grad[...] = value
        return dxs


class TimeRNNdWhReadsTheNewState(TimeRNN):
    dwh_reads = 1


def _rnn_step(dwh_reads_next: bool):
    """Function style, the cache a dict."""
    def rnn_step_forward(x, prev_h, Wx, Wh, b):
        next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
        return next_h, {"x": x, "prev_h": prev_h, "next_h": next_h, "Wx": Wx, "Wh": Wh}

    def rnn_step_backward(dnext_h, cache):
        dt = dnext_h * (1.0 - cache["next_h"] ** 2)
        reads = cache["next_h"] if dwh_reads_next else cache["prev_h"]
        return dt @ cache["Wx"].T, dt @ cache["Wh"].T, cache["x"].T @ dt, reads.T @ dt, dt.sum(axis=0)

    return rnn_step_forward, rnn_step_backward


def _lstm_one_tanh(of: str):
    """Function style, gates (f, g, i, o); backward computes the cell's tanh once from `of` and reads it twice."""
    def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
        H = prev_h.shape[1]
        a = x @ Wx + prev_h @ Wh + b
        f, g, i, o = _sigmoid(a[:, :H]), np.tanh(a[:, H:2 * H]), _sigmoid(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
        next_c = f * prev_c + g * i
        return o * np.tanh(next_c), next_c, (x, prev_h, prev_c, next_c, Wx, Wh, f, g, i, o)

    def lstm_step_backward(dnext_h, dnext_c, cache):
        x, prev_h, prev_c, next_c, Wx, Wh, f, g, i, o = cache
        tc = np.tanh(prev_c if of == "prev_c" else next_c)
        dc = dnext_c + dnext_h * o * (1.0 - tc ** 2)
        da = np.hstack([dc * prev_c * f * (1.0 - f), dc * i * (1.0 - g ** 2), dc * g * i * (1.0 - i),
                        dnext_h * tc * o * (1.0 - o)])
        return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)

    return lstm_step_forward, lstm_step_backward


def test_a_time_rnn_class_whose_dwh_reads_the_new_state_is_wrong_input_and_its_twin_passes():
    wrong = check(TimeRNNdWhReadsTheNewState, kind="time_rnn")
    assert wrong.bug_codes[0] == "wrong-input", (wrong.bug_codes, sentences(wrong))
    assert check(TimeRNN, kind="time_rnn").verdict == PASS


def test_an_rnn_step_function_whose_dwh_reads_next_h_is_wrong_input_and_its_twin_passes():
    wrong = check(*_rnn_step(dwh_reads_next=True))
    assert wrong.bug_codes[0] == "wrong-input", (wrong.bug_codes, sentences(wrong))
    assert check(*_rnn_step(dwh_reads_next=False)).verdict == PASS


def test_an_lstm_step_computing_the_cells_tanh_once_from_prev_c_is_wrong_input_on_every_gradient():
    wrong = check(*_lstm_one_tanh("prev_c"))
    assert set(wrong.bug_codes) == {"wrong-input"}, (wrong.bug_codes, sentences(wrong))
    assert "tanh(next_c) is computed from prev_c" in sentences(wrong)
    assert check(*_lstm_one_tanh("next_c")).verdict == PASS


# --- 7: the grader's sandbox asks the same question of the layer it holds ------------------------------------------

SWISH_KEEPING_ITS_OUTPUT = """
import numpy as np


class Swish:
    def forward(self, x):
        self.s = 1.0 / (1.0 + np.exp(-x))
        self.x = x * self.s  # the output kept where backward reads x
        return x * self.s

    def backward(self, dout):
        return dout * (self.s + self.x * self.s * (1.0 - self.s))
"""


def test_the_grader_names_a_stored_output_read_as_the_input_wrong_input_as_check_does(tmp_path):
    from gradlab.cases.check_many import check_paths
    from gradlab.grading.assignment import parse_assignment
    from gradlab.grading.grader import grade_submission

    path = tmp_path / "swish.py"
    path.write_text(SWISH_KEEPING_ITS_OUTPUT)
    checked = {r.name: r for r in check_paths([path], examples=4, seed=0).reports}["Swish"]
    assignment = parse_assignment({"name": "agree", "convention": "class", "seed": 1, "examples": 3,
                                   "limits": {"timeout": 60, "total_timeout": 120},
                                   "layers": [{"name": "Swish", "points": 10}]}, "agreement test")
    graded = grade_submission(path, assignment).layers[0]
    assert checked.bug_codes[:1] == graded.bug_codes[:1] == ["wrong-input"], (checked.bug_codes, graded.bug_codes)
