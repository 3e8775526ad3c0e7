"""Bugs a held-out set of one-bug layers written by others found misnamed (issue 14), each written here in styles of
our own (class and function, the textbook, CS231n, the nnfs book, a learner's library in
tests/fixtures/diagnosis_fourteenth) next to a correct twin that
must still pass; every reading is a hypothesis the check tests on the layer or on the numbers:
- a sign flipped inside an element-wise derivative (sign-flip): swish's sigmoid(-x) where sigmoid(x) belongs (the
  product rule read at -x), softplus' derivative at -x, one term of a polynomial derivative (y * (1 + y));
- a softmax loss's label term subtracted with dx[:, y] where dx[np.arange(N), y] belongs (misrouted);
- a hinge loss whose mask lets every margin through, margins >= 0 after np.maximum (missing-mask);
- an attention weight's dh summed over the wrong axis of a product its forward shaped (wrong-reduction, where the
  shape alone read wrong-shape);
- the nnfs book's ReLU masking at self.output < 0, which masks nothing (missing-mask before wrong-input: though
  self.inputs in its place would mask right, what backward does is let dout through unmasked);
- a class that keeps its weight's gradient as self.dW writing self.dw in backward (zero-gradient: the class is read
  by its own spelling, where gradlab took dw as another spelling of W's gradient);
- an average pool's dout put whole on one element of its window (misrouted: each output's gradient has its total, at
  fewer of the elements it read; the true rows are of one sign, so no path was dropped);
- a constant term left out of an element-wise derivative, on one branch (ELU's out where out + alpha belongs) or at
  every input (tanh' as -y**2): dropped-term, the difference one constant times dout."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import discover, entry_for
from gradlab.core.results import FAIL, PASS

FIXTURES = Path(__file__).parent / "fixtures" / "diagnosis_fourteenth"


def check(layer, backward=None, examples=6, **kw):
    return check_entry(entry_for(layer, backward, **kw), examples=examples, seed=0)


def sentences(report) -> str:
    return " ".join(g.diagnosis for g in report.failing.gradients if not g.passed)


def first_code(report) -> str:
    return report.bug_codes[0] if report.bug_codes else report.verdict


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


# --- 1: a sign flipped inside an element-wise derivative: sign-flip -------------------------------------------------


class Swish:
    """Class style: the backward computes its sigmoid again from the stored input."""

    inner_sign = -1.0

    def forward(self, x):
        self.x = x
        return x * _sigmoid(x)

    def backward(self, dout):
        s = _sigmoid(-self.inner_sign * self.x)
        return dout * (s + self.x * s * (1.0 - s))


class SwishMirrored(Swish):
    inner_sign = 1.0  # sigmoid(-x) where sigmoid(x) belongs


def _silu(mirrored: bool):
    """Function style, the sigmoid written out with np.exp in the backward."""

    def silu_forward(x):
        return x / (1.0 + np.exp(-x)), x

    def silu_backward(dout, cache):
        x = cache
        s = 1.0 / (1.0 + np.exp(x if mirrored else -x))
        return dout * s * (1.0 + x * (1.0 - s))

    return silu_forward, silu_backward


def test_a_swish_whose_backward_takes_the_sigmoid_of_minus_x_is_a_sign_flip_and_its_twin_passes():
    wrong = check(SwishMirrored, kind="swish")
    assert first_code(wrong) == "sign-flip", (wrong.bug_codes, sentences(wrong))
    assert "-x" in sentences(wrong)
    assert check(Swish, kind="swish").verdict == PASS


def test_a_silu_function_with_the_exponent_sign_flipped_in_backward_is_a_sign_flip_and_its_twin_passes():
    wrong = check(*_silu(mirrored=True), kind="swish")
    assert first_code(wrong) == "sign-flip", (wrong.bug_codes, sentences(wrong))
    assert check(*_silu(mirrored=False), kind="swish").verdict == PASS


def _softplus(mirrored: bool):
    def softplus_forward(x):
        return np.logaddexp(0.0, x), x

    def softplus_backward(dout, cache):
        return dout / (1.0 + np.exp(cache if mirrored else -cache))

    return softplus_forward, softplus_backward


def test_a_softplus_whose_derivative_is_the_sigmoid_of_minus_x_is_a_sign_flip_at_minus_x():
    wrong = check(*_softplus(mirrored=True))
    assert first_code(wrong) == "sign-flip", (wrong.bug_codes, sentences(wrong))
    assert "evaluated at -x" in sentences(wrong)
    assert check(*_softplus(mirrored=False)).verdict == PASS


def _tanh(term_sign: float):
    def tanh_forward(x):
        out = np.tanh(x)
        return out, out

    def tanh_backward(dout, cache):
        return dout * (1.0 + term_sign * cache ** 2)

    return tanh_forward, tanh_backward


def test_a_library_sigmoid_gradient_with_one_term_of_the_wrong_sign_is_a_sign_flip_naming_the_term():
    found = {e.name: e for d in discover([FIXTURES / "library_activations.py"]) for e in d.entries}
    wrong = check_entry(found["SigmoidPlusTerm"], examples=6, seed=0)
    assert first_code(wrong) == "sign-flip", (wrong.bug_codes, sentences(wrong))
    assert "y**2" in sentences(wrong)
    assert check_entry(found["Sigmoid"], examples=6, seed=0).verdict == PASS


def test_a_tanh_function_writing_one_plus_y_squared_is_a_sign_flip_and_its_twin_passes():
    wrong = check(*_tanh(1.0))
    assert first_code(wrong) == "sign-flip", (wrong.bug_codes, sentences(wrong))
    assert check(*_tanh(-1.0)).verdict == PASS


# --- 2: a softmax loss's label term at every row: misrouted ---------------------------------------------------------


def _softmax_loss(every_row: bool):
    """CS231n function style, index labels."""

    def softmax_loss(x, y):
        z = x - x.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        N = x.shape[0]
        loss = -np.log(p[np.arange(N), y]).mean()
        dx = p.copy()
        if every_row:
            dx[:, y] -= 1
        else:
            dx[np.arange(N), y] -= 1
        return loss, dx / N

    return softmax_loss


class SoftmaxCE:
    """Class style, the labels kept by forward, the label term subtracted by row and label."""

    every_row = False

    def forward(self, logits, labels):
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        self.probs = e / e.sum(axis=1, keepdims=True)
        self.labels = labels
        return -np.mean(np.log(self.probs[np.arange(len(labels)), labels]))

    def backward(self, dout=1.0):
        g = self.probs.copy()
        rows = slice(None) if self.every_row else np.arange(len(self.labels))
        g[rows, self.labels] -= 1.0
        return dout * g / len(self.labels)


class SoftmaxCEEveryRow(SoftmaxCE):
    every_row = True


def test_a_softmax_loss_subtracting_its_label_term_with_dx_colon_y_is_misrouted_and_its_twin_passes():
    wrong = check(_softmax_loss(every_row=True), kind="softmax_with_loss")
    assert first_code(wrong) == "misrouted", (wrong.bug_codes, sentences(wrong))
    assert "np.arange(N)" in sentences(wrong)
    right = check(_softmax_loss(every_row=False), kind="softmax_with_loss")  # warned where a probability underflows
    assert right.verdict != FAIL and right.bug_codes == [], right.bug_codes


def test_a_softmax_class_indexing_every_row_with_every_label_is_misrouted_and_its_twin_passes():
    wrong = check(SoftmaxCEEveryRow, kind="softmax_with_loss")
    assert first_code(wrong) == "misrouted", (wrong.bug_codes, sentences(wrong))
    assert check(SoftmaxCE, kind="softmax_with_loss").verdict != FAIL  # a warning: it takes index labels only


# --- 3: a hinge whose mask lets every margin through: missing-mask --------------------------------------------------


def _svm_loss(strict: bool):
    """CS231n function style; margins >= 0 is true of every margin after np.maximum (and counts the correct class)."""

    def svm_loss(x, y):
        N = x.shape[0]
        margins = np.maximum(0.0, x - x[np.arange(N), y][:, None] + 1.0)
        margins[np.arange(N), y] = 0.0
        counted = (margins > 0 if strict else margins >= 0).astype(float)
        counted[np.arange(N), y] = -counted.sum(axis=1)
        return margins.sum() / N, counted / N

    return svm_loss


class Hinge:
    """Class style: the correct class is zeroed before the count, so only the flat margins get the extra gradient."""

    strict = True

    def forward(self, scores, t):
        n = scores.shape[0]
        self.t = t
        self.m = np.maximum(0.0, scores - scores[np.arange(n), t][:, None] + 1.0)
        self.m[np.arange(n), t] = 0.0
        return self.m.sum() / n

    def backward(self, dout=1.0):
        n = self.m.shape[0]
        g = (self.m > 0 if self.strict else self.m >= 0).astype(float)
        g[np.arange(n), self.t] = 0.0
        g[np.arange(n), self.t] = -g.sum(axis=1)
        return dout * g / n


class HingeUnmasked(Hinge):
    strict = False


def test_a_svm_loss_whose_mask_is_margins_at_least_zero_is_missing_mask_and_its_twin_passes():
    wrong = check(_svm_loss(strict=False), kind="svm_loss")
    assert first_code(wrong) == "missing-mask", (wrong.bug_codes, sentences(wrong))
    assert "flat" in sentences(wrong)
    assert check(_svm_loss(strict=True), kind="svm_loss").verdict == PASS


def test_a_hinge_class_counting_every_margin_is_missing_mask_not_a_wrong_input_read_on_a_tiny_case():
    wrong = check(HingeUnmasked, kind="svm_loss")
    assert first_code(wrong) == "missing-mask", (wrong.bug_codes, sentences(wrong))
    assert check(Hinge, kind="svm_loss").verdict != FAIL  # a warning: it takes index labels only


# --- 4: an attention weight's dh summed over the wrong axis: wrong-reduction ----------------------------------------


class AttentionWeight:
    """The second volume's style: scores are hs . h over H, a softmax over T; dh sums dt * hs over T (axis 1)."""

    dh_axis = 1

    def __init__(self):
        self.params, self.grads = [], []

    def forward(self, hs, h):
        s = np.einsum("nth,nh->nt", hs, h)
        e = np.exp(s - s.max(axis=1, keepdims=True))
        self.a = e / e.sum(axis=1, keepdims=True)
        self.hs, self.h = hs, h
        return self.a

    def backward(self, da):
        ds = self.a * (da - np.sum(self.a * da, axis=1, keepdims=True))
        dt = ds[:, :, None]
        dhs = dt * self.h[:, None, :]
        dh = np.sum(dt * self.hs, axis=self.dh_axis)
        return dhs, dh


class AttentionWeightSumsOverH(AttentionWeight):
    dh_axis = 2


def test_an_attention_weight_whose_dh_sums_the_product_over_h_is_wrong_reduction_and_its_twin_passes():
    wrong = check(AttentionWeightSumsOverH, kind="attention_weight")
    assert first_code(wrong) == "wrong-reduction", (wrong.bug_codes, sentences(wrong))
    assert "over axis 1" in sentences(wrong)
    assert check(AttentionWeight, kind="attention_weight").verdict == PASS


# --- 5: the nnfs ReLU masking at self.output < 0, which masks nothing: missing-mask ---------------------------------


class Activation_ReLU:
    """The nnfs book's style: forward stores self.inputs and self.output, backward fills self.dinputs."""

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.inputs <= 0] = 0


class Activation_ReLU_OutputBelowZero(Activation_ReLU):
    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
        self.dinputs[self.output < 0] = 0


def test_an_nnfs_relu_masking_where_its_output_is_below_zero_is_missing_mask_not_wrong_input():
    wrong = check(Activation_ReLU_OutputBelowZero, kind="relu")
    assert first_code(wrong) == "missing-mask", (wrong.bug_codes, sentences(wrong))
    assert check(Activation_ReLU, kind="relu").verdict == PASS


# --- 6: self.dw written where the class keeps self.dW: zero-gradient ------------------------------------------------


class Affine:
    """The textbook's style: dW and db declared in the constructor."""

    def __init__(self, W, b):
        self.W, self.b = W, b
        self.x = None
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class AffineTypoDw(Affine):
    def backward(self, dout):
        self.dw = self.x.T @ dout  # a new attribute: self.dW stays None
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class Linear:
    """Georgia Tech's CS 7643 style: self.weight, self.bias, and their gradients spelled self.dw, self.db."""

    def __init__(self, weight, bias):
        self.weight, self.bias = weight, bias
        self.dw = None
        self.db = None

    def forward(self, x):
        self.x = x
        return x @ self.weight + self.bias

    def backward(self, dout):
        self.dw = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.weight.T


def test_a_class_declaring_dW_whose_backward_writes_dw_is_zero_gradient_and_its_twin_passes():
    wrong = check(AffineTypoDw, kind="affine")
    assert first_code(wrong) == "zero-gradient", (wrong.bug_codes, sentences(wrong))
    assert "dW" in sentences(wrong)
    assert check(Affine, kind="affine").verdict != FAIL  # a warning: it takes 2-D input only


def test_a_class_declaring_its_gradient_as_dw_is_read_by_that_spelling_and_passes():
    assert check(Linear, kind="affine").verdict != FAIL  # a warning: it takes 2-D input only


# --- 7: an average pool's dout put whole on one element of its window: misrouted ------------------------------------


def _avg_pool(first_only: bool):
    """CS231n function style, loops over the output's positions."""

    def avg_pool_forward(x, pool_param):
        ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
        N, C, H, W = x.shape
        out = np.zeros((N, C, 1 + (H - ph) // s, 1 + (W - pw) // s))
        for i in range(out.shape[2]):
            for j in range(out.shape[3]):
                out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].mean(axis=(2, 3))
        return out, (x, pool_param)

    def avg_pool_backward(dout, cache):
        x, pool_param = cache
        ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
        dx = np.zeros_like(x)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                g = dout[:, :, i, j][:, :, None, None]
                if first_only:
                    dx[:, :, i * s:i * s + 1, j * s:j * s + 1] += g
                else:
                    dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += g / (ph * pw)
        return dx

    return avg_pool_forward, avg_pool_backward


def test_an_average_pool_giving_each_window_s_gradient_whole_to_its_first_element_is_misrouted():
    wrong = check(*_avg_pool(first_only=True), kind="avg_pool")
    assert first_code(wrong) == "misrouted", (wrong.bug_codes, sentences(wrong))
    assert "right total" in sentences(wrong)
    assert check(*_avg_pool(first_only=False), kind="avg_pool").verdict == PASS


# --- 8: a constant term left out of one branch of an element-wise derivative: dropped-term --------------------------


class ELU:
    """Textbook-like class style: the negative branch's derivative written from the stored output."""

    with_alpha = True

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, x):
        self.mask = x <= 0
        self.out = np.where(self.mask, self.alpha * (np.exp(x) - 1.0), x)
        return self.out

    def backward(self, dout):
        negative = self.out + self.alpha if self.with_alpha else self.out
        return dout * np.where(self.mask, negative, 1.0)


class ELUWithoutAlpha(ELU):
    with_alpha = False


def test_an_elu_whose_negative_branch_reads_out_without_alpha_is_dropped_term_and_its_twin_passes():
    wrong = check(ELUWithoutAlpha, kind="elu")
    assert first_code(wrong) == "dropped-term", (wrong.bug_codes, sentences(wrong))
    assert "constant term" in sentences(wrong)
    assert check(ELU, kind="elu").verdict == PASS


def _tanh_without_one(with_one: bool):
    def tanh_forward(x):
        y = np.tanh(x)
        return y, y

    def tanh_backward(dout, cache):
        return dout * ((1.0 if with_one else 0.0) - cache ** 2)

    return tanh_forward, tanh_backward


def test_a_tanh_derivative_written_without_its_constant_one_is_dropped_term_at_every_input():
    wrong = check(*_tanh_without_one(with_one=False))
    assert first_code(wrong) == "dropped-term", (wrong.bug_codes, sentences(wrong))
    assert "at every input" in sentences(wrong)
    assert check(*_tanh_without_one(with_one=True)).verdict == PASS
