"""Bugs the sixth held-out set and earlier studies left misnamed (issue 14), each written here in the course's
conventions next to a correct twin that must still pass: slopes or a threshold moved in an element-wise layer, a
hinge's margin mask inverted, an accumulation over samples overwritten, a pooling window's argmax split with the
wrong width, a stacked recurrent weight's square block read untransposed; and sentences in the user's names."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import entry_for
from gradlab.core.bugs import describe
from gradlab.core.results import FAIL, PASS


def codes(layer, backward=None, *, examples: int = 15, **kw):
    report = check_entry(entry_for(layer, backward, **kw), examples=examples, seed=0)
    return report


def failing_sentences(report) -> list[str]:
    return [g.diagnosis for g in report.failing.gradients if not g.passed]


# --- 1, 2: an element-wise layer's slopes at the wrong elements ------------------------------------------------


def leaky_relu_forward(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x), (x, alpha)


def _leaky_backward(swapped: bool):
    def leaky_relu_backward(dout, cache):
        x, alpha = cache
        slope = np.where(x > 0, alpha, 1.0) if swapped else np.where(x > 0, 1.0, alpha)
        return dout * slope
    return leaky_relu_backward


class LeakyRelu:
    """Class style; `swapped` puts alpha on the positive side and 1 on the negative one."""

    swapped = True

    def __init__(self, alpha=0.1):
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, dout):
        positive = self.x > 0
        if self.swapped:
            positive = ~positive
        return np.where(positive, dout, self.alpha * dout)


class LeakyReluRight(LeakyRelu):
    swapped = False


def relu_forward(x):
    return np.maximum(x, 0.0), x


def _relu_backward(threshold: float | None):
    def relu_backward(dout, cache):
        x = cache
        if threshold is None:  # no mask at all: a missing mask, not a misrouting
            return dout.copy()
        return dout * (x - threshold > 0)
    return relu_backward


class Relu:
    """Class style ReLU whose mask compares x with `threshold` (0 is right)."""

    threshold = 1.0

    def forward(self, x):
        self.x = x
        return np.maximum(x, 0.0)

    def backward(self, dout):
        return dout * (self.x > self.threshold)


class ReluRight(Relu):
    threshold = 0.0


def test_a_leaky_relu_whose_two_slopes_are_swapped_is_misrouted_in_both_conventions():
    function = codes(leaky_relu_forward, _leaky_backward(swapped=True))
    assert function.bug_codes == ["misrouted"], function.bug_codes
    assert "right values at the wrong positions" in failing_sentences(function)[0]
    assert codes(LeakyRelu, kind="leaky_relu").bug_codes == ["misrouted"]


def test_a_leaky_relu_with_its_slopes_on_their_own_sides_passes_in_both_conventions():
    assert codes(leaky_relu_forward, _leaky_backward(swapped=False)).verdict == PASS
    assert codes(LeakyReluRight, kind="leaky_relu").verdict == PASS


def test_a_relu_whose_mask_threshold_moved_off_zero_is_misrouted_and_says_over_which_inputs():
    function = codes(relu_forward, _relu_backward(0.5))
    assert function.bug_codes == ["misrouted"], function.bug_codes
    # the elements that lost their gradient are the inputs between 0 and the moved threshold
    assert "to 0.5" in failing_sentences(function)[0]
    assert codes(Relu, kind="relu").bug_codes == ["misrouted"]


def test_a_relu_with_its_mask_at_zero_passes_and_one_without_a_mask_stays_a_missing_mask():
    assert codes(relu_forward, _relu_backward(0.0)).verdict == PASS
    assert codes(ReluRight, kind="relu").verdict == PASS
    assert codes(relu_forward, _relu_backward(None)).bug_codes == ["missing-mask"]


# --- 3: a hinge's margin mask inverted --------------------------------------------------------------------------


def _hinge(scores, y, inverted: bool):
    """The hinge's data loss and its gradient with respect to the scores."""
    n = scores.shape[0]
    rows = np.arange(n)
    margins = np.maximum(0.0, scores - scores[rows, y][:, None] + 1.0)
    margins[rows, y] = 0.0
    passes = (margins <= 0) if inverted else (margins > 0)
    grad = passes.astype(float)
    grad[rows, y] = 0.0
    grad[rows, y] = -grad.sum(axis=1)
    return margins.sum() / n, grad / n


def _svm_loss(inverted: bool):
    def svm_loss(x, y):
        return _hinge(x, y, inverted)
    return svm_loss


def _svm_loss_vectorized(inverted: bool):
    def svm_loss_vectorized(W, X, y, reg):
        loss, dscores = _hinge(X @ W, y, inverted)
        return loss + reg * np.sum(W * W), X.T @ dscores + 2 * reg * W
    return svm_loss_vectorized


def _svm_loss_naive(inverted: bool):
    def svm_loss_naive(W, X, y, reg):
        dW = np.zeros_like(W)
        loss = 0.0
        for i in range(X.shape[0]):
            s = X[i] @ W
            for j in range(W.shape[1]):
                if j == y[i]:
                    continue
                margin = s[j] - s[y[i]] + 1.0
                loss += max(margin, 0.0)
                if (margin <= 0) if inverted else (margin > 0):
                    dW[:, j] += X[i]
                    dW[:, y[i]] -= X[i]
        n = X.shape[0]
        return loss / n + reg * np.sum(W * W), dW / n + 2 * reg * W
    return svm_loss_naive


@pytest.mark.parametrize("make", [_svm_loss, _svm_loss_vectorized, _svm_loss_naive],
                         ids=["svm_loss", "svm_loss_vectorized", "svm_loss_naive"])
def test_an_svm_whose_margin_mask_is_inverted_is_misrouted_and_its_right_twin_passes(make):
    wrong = codes(make(inverted=True))
    assert wrong.bug_codes == ["misrouted"], wrong.bug_codes
    assert "inverted" in failing_sentences(wrong)[0]
    assert codes(make(inverted=False)).verdict == PASS


# --- 4: an accumulation over the samples overwritten --------------------------------------------------------------


def _softmax_loss_naive(overwrite: bool):
    def softmax_loss_naive(W, X, y, reg):
        dW = np.zeros_like(W)
        loss = 0.0
        for i in range(X.shape[0]):
            s = X[i] @ W
            p = np.exp(s - s.max())
            p /= p.sum()
            loss -= np.log(p[y[i]])
            for j in range(W.shape[1]):
                share = X[i] * (p[j] - (j == y[i]))
                if overwrite:
                    dW[:, j] = share
                else:
                    dW[:, j] += share
        n = X.shape[0]
        return loss / n + 0.5 * reg * np.sum(W * W), dW / n + reg * W
    return softmax_loss_naive


def test_a_softmax_loss_that_overwrites_each_samples_share_of_dW_is_a_dropped_term_not_scaled():
    wrong = codes(_softmax_loss_naive(overwrite=True))
    assert wrong.bug_codes == ["dropped-term"], wrong.bug_codes
    assert "ignores sample" in failing_sentences(wrong)[0]
    assert codes(_softmax_loss_naive(overwrite=False)).verdict == PASS


# --- 5: a pooling window's argmax sent to another element ---------------------------------------------------------


class MaxPool:
    """Class style max pooling written with a flat argmax over each window; `split_by_height` splits it by
    pool_h where the window's rows are pool_w long (right only for square windows)."""

    split_by_height = True

    def __init__(self, pool_h=2, pool_w=2, stride=2, pad=0):
        self.pool_h, self.pool_w, self.stride = pool_h, pool_w, stride

    def forward(self, x):
        self.x = x
        N, C, H, W = x.shape
        oh, ow = (H - self.pool_h) // self.stride + 1, (W - self.pool_w) // self.stride + 1
        out = np.zeros((N, C, oh, ow))
        for i in range(oh):
            for j in range(ow):
                r, c = i * self.stride, j * self.stride
                out[:, :, i, j] = x[:, :, r:r + self.pool_h, c:c + self.pool_w].max(axis=(2, 3))
        return out

    def backward(self, dout):
        dx = np.zeros_like(self.x)
        N, C, oh, ow = dout.shape
        row = self.pool_h if self.split_by_height else self.pool_w
        for n in range(N):
            for ch in range(C):
                for i in range(oh):
                    for j in range(ow):
                        r, c = i * self.stride, j * self.stride
                        k = int(np.argmax(self.x[n, ch, r:r + self.pool_h, c:c + self.pool_w]))
                        dr, dc = divmod(k, row)
                        dx[n, ch, r + dr, c + dc] += dout[n, ch, i, j]
        return dx


class MaxPoolRight(MaxPool):
    split_by_height = False


def test_a_max_pool_splitting_its_argmax_by_the_wrong_width_is_misrouted_and_the_right_split_passes():
    wrong = codes(MaxPool, kind="max_pool")
    # it also raises IndexError where the wrong split leaves the input: said second
    assert wrong.verdict == FAIL and wrong.bug_codes[:1] == ["misrouted"], wrong.bug_codes
    assert codes(MaxPoolRight, kind="max_pool").verdict == PASS


# --- 6, 7: a square block of a stacked recurrent weight read untransposed ----------------------------------------


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


class GRU:
    """The second volume's GRU step (Wx (D, 3H), Wh (H, 3H), b (3H,), gates z, r, candidate), with `.T` left off
    the candidate's block of Wh where the gradient goes back through the reset gate when `untransposed`."""

    untransposed = True

    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        H = Wh.shape[0]
        from_x = x @ Wx + b
        z = _sigmoid(from_x[:, :H] + h_prev @ Wh[:, :H])
        r = _sigmoid(from_x[:, H:2 * H] + h_prev @ Wh[:, H:2 * H])
        cand = np.tanh(from_x[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:])
        self.kept = (x, h_prev, z, r, cand)
        return (1 - z) * h_prev + z * cand

    def backward(self, dh_next):
        Wx, Wh, b = self.params
        H = Wh.shape[0]
        x, h_prev, z, r, cand = self.kept
        d_cand = dh_next * z * (1 - cand ** 2)
        d_z = dh_next * (cand - h_prev) * z * (1 - z)
        block = Wh[:, 2 * H:] if self.untransposed else Wh[:, 2 * H:].T
        d_rh = d_cand @ block
        d_r = d_rh * h_prev * r * (1 - r)
        dh_prev = dh_next * (1 - z) + d_rh * r + d_z @ Wh[:, :H].T + d_r @ Wh[:, H:2 * H].T
        d_gates = np.hstack([d_z, d_r, d_cand])
        self.grads[0][...] = x.T @ d_gates
        self.grads[1][...] = np.hstack([h_prev.T @ d_z, h_prev.T @ d_r, (r * h_prev).T @ d_cand])
        self.grads[2][...] = d_gates.sum(axis=0)
        return d_gates @ Wx.T, dh_prev


class GRURight(GRU):
    untransposed = False


def test_a_gru_reading_a_square_block_of_its_stacked_wh_untransposed_is_transposed_and_names_the_block():
    wrong = codes(GRU, kind="gru_step", examples=8)
    assert wrong.bug_codes == ["transposed"], wrong.bug_codes
    H = wrong.failing.spec["H"]
    said = failing_sentences(wrong)
    assert all(f"params[1][:, {2 * H}:{3 * H}]" in s for s in said), said
    # the example names the gradient that is wrong, not a weight's gradient
    dx = next(g.diagnosis for g in wrong.failing.gradients if g.name == "dx")
    assert f"in dx = dout @ params[1][:, {2 * H}:{3 * H}] where" in dx, dx
    assert codes(GRURight, kind="gru_step", examples=8).verdict == PASS


def test_the_transposed_hint_speaks_of_an_inputs_gradient_as_well_as_a_weights():
    hint = describe("transposed").hint
    assert "dout @ W.T" in hint and "x.T @ dout" in hint


# --- 8: sentences in the user's names -----------------------------------------------------------------------------


class Sigmoid:
    def forward(self, x):
        self.inp = x
        self.out = 1.0 / (1.0 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.inp * (1.0 - self.inp)  # the input where the output belongs


def sigmoid_forward(x):
    out = 1.0 / (1.0 + np.exp(-x))
    return out, (x, out)


def sigmoid_backward(dout, cache):
    x, _ = cache
    return dout * x * (1.0 - x)


def test_a_class_layers_wrong_input_sentence_names_its_own_attributes_and_a_functions_the_usual_names():
    class_report = codes(Sigmoid, kind="sigmoid")
    assert class_report.bug_codes == ["wrong-input"]
    said = failing_sentences(class_report)[0]
    assert "self.inp" in said and "self.out" in said, said
    function_report = codes(sigmoid_forward, sigmoid_backward)
    assert function_report.bug_codes == ["wrong-input"]
    said = failing_sentences(function_report)[0]
    assert "self." not in said and "input x" in said and "output out" in said, said


class ReluWithoutItsMask:
    """The textbook's ReLU, whose mask marks the zeroed inputs, with the mask's line left out of backward."""

    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        return dout.copy()


def relu_backward_without_mask(dout, cache):
    return dout.copy()


def test_a_missing_mask_is_said_with_the_classs_own_mask_and_how_it_marks_or_with_the_cache_in_function_style():
    class_said = failing_sentences(codes(ReluWithoutItsMask, kind="relu"))[0]
    # the textbook's mask is True where the forward zeroed: multiplying by it would be wrong advice
    assert "kept as self.mask" in class_said and "dx[self.mask] = 0" in class_said, class_said
    function_said = failing_sentences(codes(relu_forward, relu_backward_without_mask))[0]
    assert "stored in the cache" in function_said and "dx = dout * mask" in function_said, function_said
