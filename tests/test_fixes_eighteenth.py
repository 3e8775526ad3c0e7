"""The fix search of session 33 for held-out layers that got no verified fix (issue 19): each one-slip layer, written
here in a copy of tests/realcode18's correct files, gets the correct text back as a verified fix, and the correct file
gets none. First, layers written as PyTorch's custom autograd functions (static forward(ctx, ...) and backward(ctx,
grad_output)), whose code the search could not reach (static methods were not read as the class's own code): a
log-softmax's backward reading the log-probabilities where their exponential belongs, and a linear function's weight
gradient transposed. Then pooling: a max pool's gradient written at its window's corner, the row and column of the
maximum found and left unread; the minimum's position looked up where forward took the maximum; a flat position's column
taken with // like its row; a mean pool's backward without the window's 1/(k*k), its forward's np.mean over the window's
axes; a global average pool dividing by H + W. Then strides: a convolution's window corners bound a line each (`top =
i`, `left = j`) without the stride, and a transposed convolution's upstream patch read without the stride it takes with
a default (`conv_param.get("stride", 1)`). Then losses returning (loss, gradient): a binary cross-entropy averaged over
every element whose gradient leaves out the mean's 1/size, and a Huber loss at a threshold of its own (delta=2.0: its
forward differs from the reference's, written at 1, by no factor, which withheld every fix) whose slope lacks delta; a
softmax loss whose one-hot and index paths both leave out the 1/N (each path's own division would be one slip made
twice: one division after both is the line to add); a naive SVM loss whose dW is never divided by the samples where its
loss is, before the penalty's gradient is added. Then activations x * f(x): a swish whose product rule's second branch
lacks x, and a GELU whose density is computed in backward and left out of the gradient it returns; a GRU step whose two
sigmoid gates are both given tanh's derivative (one slip at every gate, each line's edit alone repairing no gradient); a
layer norm whose normalised input's gradient is the upstream gradient alone, without the scale the forward multiplied
its output by; a naive SVM whose margin's gradient is written for the wrong class's score only, the correct class's
-X[i] left out; an ML-From-Scratch dense layer whose input's gradient reads the weights after the optimizer's step,
where it kept the old ones in a local; a label-smoothing loss keeping the hard one-hot for backward under the name of
the smoothed targets it computed; an ML-From-Scratch ELU whose derivative reads alpha times the input where its own
output belongs. Then a staged GRU step: dprev_h started at 0 without the direct path of next_h's z * prev_h, the reset
product's path to prev_h left out, and the candidate's recurrent weight gradient taken with prev_h where forward
multiplied the weights by r * prev_h. Last, a part the layer's constructor builds from another class of its file (nnfs's
combined softmax and loss, whose Activation_Softmax normalises over the batch axis): that class's code is searched with
the layer's."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import discover
from gradlab.core.results import FAIL
from gradlab.fixes import find_fix

HERE = Path(__file__).parent / "realcode18"

#: (fixture, layer, each right text with the slip written in its place)
SLIPS = {
    "static-log-probabilities-for-probabilities": ("fixes_ctx.py", "LogSoftmaxFunction",
                                                   [("probs = np.exp(logp)", "probs = logp")]),
    "static-weight-gradient-transposed": ("fixes_ctx.py", "AffineFunction",
                                          [("grad_weight = grad_output.T @ x", "grad_weight = x.T @ grad_output")]),
    "maximum-corner-only": ("fixes_pools.py", "max_pool", [("dx[n, ch, top + dr, left + dc] += dout[n, ch, a, b]",
                                                            "dx[n, ch, top, left] += dout[n, ch, a, b]")]),
    "minimum-looked-up": ("fixes_pools.py", "max_pool", [("patch.argmax()", "patch.argmin()")]),
    "flat-column-divided": ("fixes_pools.py", "MaxPool2d_stride1", [("j + pos % k", "j + pos // k")]),
    "window-mean-unscaled": ("fixes_pools.py", "MeanPool2d_stride1",
                             [("return dLdA / (k * k)", "return dLdA")]),
    "corners-without-stride": ("fixes_strides.py", "conv", [(
        "top = i * stride\n            left = j * stride\n            window = xp[:, :, top:top + HH, left:left + WW]\n"
        "            dw +=",
        "top = i\n            left = j\n            window = xp[:, :, top:top + HH, left:left + WW]\n"
        "            dw +=")]),
    "patch-without-default-stride": ("fixes_strides.py", "conv_transpose",
                                     [("region = dout[:, :, r * step:r * step + kh, q * step:q * step + kw]",
                                       "region = dout[:, :, r:r + kh, q:q + kw]")]),
    "element-mean-left-out": ("fixes_losses.py", "binary_cross_entropy",
                              [("dp = (p - y) / (p * (1 - p)) / p.size", "dp = (p - y) / (p * (1 - p))")]),
    "slope-without-own-delta": ("fixes_losses.py", "huber_loss",
                                [("grad = np.where(inside, r, delta * np.sign(r))",
                                  "grad = np.where(inside, r, np.sign(r))")]),
    "sizes-added-for-count": ("fixes_pools.py", "global_avg_pool", [("/ (H * W)", "/ (H + W)")]),
    "both-paths-undivided": ("fixes_losses.py", "SoftmaxWithLoss",
                             [("        dx = dx / batch_size\n", "")]),
    "data-term-undivided": ("fixes_losses.py", "svm_loss_naive", [("    dW /= num_train\n", "")]),
    "second-branch-without-input": ("fixes_products.py", "Swish",
                                    [("self.gate + self.x * self.gate * (1.0 - self.gate)",
                                      "self.gate + self.gate * (1.0 - self.gate)")]),
    "density-computed-unused": ("fixes_products.py", "GELU",
                                [("return dout * (self.phi + self.x * density)", "return dout * self.phi")]),
    "tanh-derivative-at-both-gates": ("fixes_gates.py", "gru_step", [
        ("dz_pre = dnext_h * (prev_h - c) * z * (1 - z)", "dz_pre = dnext_h * (prev_h - c) * (1 - z ** 2)"),
        ("dr_pre = d_rh * prev_h * r * (1 - r)", "dr_pre = d_rh * prev_h * (1 - r ** 2)")]),
    "scale-left-out-of-chain": ("fixes_norms.py", "LayerNorm", [("dxn = dout * self.gamma", "dxn = dout")]),
    "margin-second-score-dropped": ("fixes_losses.py", "svm_loss_naive",
                                    [("                dW[:, y[i]] -= X[i]\n", "")]),
    "updated-weights-read": ("fixes_stale.py", "Dense", [("return accum_grad @ W_before.T",
                                                         "return accum_grad @ self.W.T")]),
    "hard-targets-kept": ("fixes_targets.py", "LabelSmoothingCrossEntropy",
                          [("self.target = target", "self.target = np.eye(C)[t]")]),
    "input-for-own-output": ("fixes_mlfs.py", "ELU",
                             [("self.__call__(x) + self.alpha", "self.alpha * x + self.alpha")]),
    "direct-path-started-at-zero": ("fixes_gates_staged.py", "gru_step",
                                    [("dprev_h = dnext_h * z\n", "dprev_h = 0\n")]),
    "reset-product-path-dropped": ("fixes_gates_staged.py", "gru_step", [("    dprev_h += drh * r\n", "")]),
    "weight-gradient-with-one-operand": ("fixes_gates_staged.py", "gru_step",
                                         [("(r * prev_h).T.dot(g_n)", "prev_h.T.dot(g_n)")]),
    "part-softmax-over-batch": ("fixes_parts.py", "Activation_Softmax_Loss_CategoricalCrossentropy", [
        ("inputs.max(axis=1, keepdims=True)", "inputs.max(axis=0, keepdims=True)"),
        ("shifted.sum(axis=1, keepdims=True)", "shifted.sum(axis=0, keepdims=True)")]),
}
#: candidates the search may screen before it finds each fix: a quarter of its budget
TRIED_AT_MOST = 100


def _entry(path: Path, name: str):  # noqa: ANN202 - the registry's Entry
    return next(e for f in discover([path]) for e in f.entries if e.name == name)


@pytest.mark.parametrize("slip", sorted(SLIPS))
def test_the_slipped_layer_gets_the_correct_text_back_as_a_verified_fix(tmp_path: Path, slip: str) -> None:
    fixture, name, edits = SLIPS[slip]
    text = slipped = (HERE / fixture).read_text(encoding="utf-8")
    for right, wrong in edits:
        assert slipped.count(right) == 1, slip
        slipped = slipped.replace(right, wrong)
    path = tmp_path / fixture
    path.write_text(slipped, encoding="utf-8")
    entry = _entry(path, name)
    report = check_entry(entry, examples=20, seed=0)
    assert report.verdict == FAIL, slip
    fix = find_fix(entry, report, examples=20, seed=0)
    assert fix is not None and fix.status == "verified", (slip, fix and fix.status, report.bug_codes)
    assert fix.new_text == text, fix.diff
    assert fix.tried <= TRIED_AT_MOST, fix.tried
    # the fixed file, imported afresh and checked on other cases, passes
    fixed = tmp_path / "fixed" / fixture
    fixed.parent.mkdir()
    fixed.write_text(fix.new_text, encoding="utf-8")
    assert check_entry(_entry(fixed, name), examples=30, seed=3).verdict != FAIL, fix.diff


@pytest.mark.parametrize("fixture", sorted({fixture for fixture, _, _ in SLIPS.values()}))
def test_the_correct_layers_pass_and_get_no_fix(fixture: str) -> None:
    for entry in (e for f in discover([HERE / fixture]) for e in f.entries):
        report = check_entry(entry, examples=20, seed=0)
        assert report.verdict != FAIL, entry.name
        assert find_fix(entry, report, examples=20, seed=0) is None
