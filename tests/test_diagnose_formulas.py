"""Misnamed bugs of the fifth held-out set (issue 14), each fixed where its cause is general:

- an element-wise layer's wrong derivative is `mismatch`, not `dropped-term`: its Jacobian is diagonal, so no
  path between elements can be missing; a dropped term there must be one the numbers name (a product rule's
  g(x) = y / x for y = x * g(x)), and a branch that leaves out dout is said as such;
- a backward that reads its mask from dout's sign (np.maximum(dout, 0)) is `misrouted`: a backward must be
  linear in dout, and this one lets different positions through for dout and for -dout;
- dx computed from dout summed over the batch and broadcast back is `wrong-reduction` when the numbers prove
  that sum (the true Jacobian applied to the batch sum of dout), `couples-samples` otherwise;
- a reading on the smallest batch is not replaced by a crash on the larger batch run to settle it.

The layers are written here, in other styles than the held-out set's; correct ones pass and neighbouring bugs
keep their codes (a rule that always answered yes would fail those)."""

from __future__ import annotations

import pytest

from gradlab.cases.check_many import check_paths

EXAMPLES = 12

HEADER = "import numpy as np\n\n\n"

# --- element-wise formulas -------------------------------------------------------------------------

SIGMOID = HEADER + '''
def sigmoid_forward(x):
    s = 1.0 / (1.0 + np.exp(-x))
    return s, s


def sigmoid_backward(dout, cache):
    s = cache
    return dout * s * (1.0 - s)
'''

ELU = HEADER + '''
class ELU:
    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * (np.exp(x) - 1.0))

    def backward(self, dout):
        return np.where(self.x > 0, dout, dout * self.alpha * np.exp(self.x))
'''

SILU = HEADER + '''
def silu_forward(x):
    s = 1.0 / (1.0 + np.exp(-x))
    return x * s, (x, s)


def silu_backward(dout, cache):
    x, s = cache
    return dout * (s + x * s * (1.0 - s))
'''

# --- masks and sums over the batch -----------------------------------------------------------------

RELU = HEADER + '''
class Relu:
    def forward(self, x):
        self.keep = x > 0
        return x * self.keep

    def backward(self, dout):
        grad = dout * self.keep
        return grad
'''

SOFTPLUS = HEADER + '''
def softplus_forward(x):
    return np.logaddexp(0.0, x), x


def softplus_backward(dout, cache):
    x = cache
    return dout / (1.0 + np.exp(-x))
'''

# --- a learner's layer that updates itself ---------------------------------------------------------

LEARNER = HEADER + '''
class Linear:
    def __init__(self, fan_in, fan_out):
        self.w = np.random.randn(fan_in, fan_out) * 0.1
        self.bias = np.zeros(fan_out)

    def forward(self, inputs):
        self.inputs = inputs
        return inputs @ self.w + self.bias

    def backward(self, grad_out, lr):
        grad_in = grad_out @ self.w.T
        self.w -= lr * self.inputs.T @ grad_out
        self.bias -= lr * grad_out.sum(axis=0)
        return grad_in
'''


def _check(tmp_path, source, name="layers.py"):
    path = tmp_path / name
    path.write_text(source)
    (report,) = check_paths([path], examples=EXAMPLES, seed=0).reports
    return report


def _sentence(report, code):
    return next(g.diagnosis for g in report.failing.gradients if g.bug_code == code)


@pytest.mark.parametrize("source", [SIGMOID, ELU, SILU, RELU, SOFTPLUS, LEARNER],
                         ids=["sigmoid", "elu", "silu", "relu", "softplus", "learner's linear"])
def test_the_correct_layers_these_bugs_are_written_into_pass(tmp_path, source):
    report = _check(tmp_path, source)
    assert report.verdict != "fail", (report.bug_codes, report.failing and _said(report))


def _said(report):
    return [g.diagnosis for g in report.failing.gradients if not g.passed]


def test_a_wrong_element_wise_derivative_is_a_mismatch_that_says_no_term_can_be_missing(tmp_path):
    report = _check(tmp_path, SIGMOID.replace("dout * s * (1.0 - s)", "dout * (s * (1.0 - s)) ** 0.5"))
    assert report.bug_codes[:1] == ["mismatch"], (report.bug_codes, _said(report))
    assert "the Jacobian is diagonal" in _sentence(report, "mismatch")


@pytest.mark.parametrize("source, old, new, said", [
    (SIGMOID, "s * (1.0 - s)", "s * (1.0 + s)", "the sign of y**2"),
    (SOFTPLUS, "/ (1.0 + np.exp(-x))", "/ (1.0 + np.exp(x))", "evaluated at -x"),
], ids=["a sign slip in sigmoid'", "softplus' as sigmoid(-x)"])
def test_a_sign_slipped_inside_an_element_wise_derivative_is_a_sign_flip_not_a_missing_term(tmp_path, source, old,
                                                                                             new, said):
    # what was mismatch here names the sign it measured (diagnose_mirror): bugs.py's sign-flip has one term's sign
    report = _check(tmp_path, source.replace(old, new))
    assert report.bug_codes[:1] == ["sign-flip"], (report.bug_codes, _said(report))
    assert said in _sentence(report, "sign-flip")


def test_a_branch_that_returns_the_local_derivative_without_dout_is_said_to_lack_dout(tmp_path):
    report = _check(tmp_path, ELU.replace("dout * self.alpha * np.exp(self.x)", "self.alpha * np.exp(self.x)"))
    assert report.bug_codes[:1] == ["dropped-term"]  # a factor of the chain rule's product dropped
    assert "the chain rule's factor dout" in _sentence(report, "dropped-term")


@pytest.mark.parametrize("old, new, missing", [
    ("dout * (s + x * s * (1.0 - s))", "dout * s", "x * g'(x) is missing"),
    ("dout * (s + x * s * (1.0 - s))", "dout * x * s * (1.0 - s)", "g(x) = y / x is missing"),
], ids=["g(x) kept", "x g'(x) kept"])
def test_a_product_rule_with_one_term_left_out_is_still_a_dropped_term_that_names_it(tmp_path, old, new, missing):
    report = _check(tmp_path, SILU.replace(old, new))
    assert report.bug_codes[:1] == ["dropped-term"], (report.bug_codes, _said(report))
    assert missing in _sentence(report, "dropped-term")


def test_a_element_wise_gradient_off_by_a_factor_keeps_scaled(tmp_path):
    report = _check(tmp_path, SIGMOID.replace("dout * s * (1.0 - s)", "3.0 * dout * s * (1.0 - s)"))
    assert report.bug_codes[:1] == ["scaled"]


def test_a_mask_read_from_the_sign_of_dout_is_misrouted(tmp_path):
    report = _check(tmp_path, RELU.replace("grad = dout * self.keep", "grad = dout.copy()\n        grad[grad < 0] = 0"))
    assert report.bug_codes[:1] == ["misrouted"], (report.bug_codes, _said(report))
    assert "not linear in dout" in _sentence(report, "misrouted")


@pytest.mark.parametrize("new, code", [
    ("grad = dout * ~self.keep", "misrouted"),
    ("grad = dout", "missing-mask"),
    ("grad = np.abs(dout) * self.keep", None),
], ids=["an inverted mask", "no mask", "|dout| through the mask"])
def test_a_backward_linear_in_dout_or_not_gated_by_it_is_not_read_as_a_mask_from_dout(tmp_path, new, code):
    report = _check(tmp_path, RELU.replace("grad = dout * self.keep", new))
    assert report.verdict == "fail"
    if code is not None:
        assert report.bug_codes[:1] == [code]
    said = " ".join(_said(report))
    assert "not linear in dout" not in said


def test_dout_summed_over_the_batch_then_used_for_every_sample_is_a_wrong_reduction(tmp_path):
    report = _check(tmp_path, SOFTPLUS.replace("return dout /", "return dout.sum(axis=0) /"))
    assert report.bug_codes[:1] == ["wrong-reduction"], (report.bug_codes, _said(report))
    assert "summed over the batch axis 0" in _sentence(report, "wrong-reduction")
    averaged = _check(tmp_path, SOFTPLUS.replace("return dout /", "return dout.mean(axis=0) /"))
    assert averaged.bug_codes[:1] == ["wrong-reduction"]
    assert "averaged over the batch axis 0" in _sentence(averaged, "wrong-reduction")


def test_dout_centred_over_the_batch_still_couples_samples(tmp_path):
    # sample 0's dx reads the others' dout, but not as their sum alone: nothing proves a reduction
    report = _check(tmp_path, SOFTPLUS.replace("return dout /", "return (dout - 0.5 * dout.mean(axis=0)) /"))
    assert report.bug_codes[:1] == ["couples-samples"], (report.bug_codes, _said(report))


def test_a_wrong_bias_sum_that_crashes_only_on_a_larger_batch_keeps_its_reading(tmp_path):
    # at N=1, grad_out.sum(axis=1) has one element and broadcasts into the bias; at N=4 the update crashes
    report = _check(tmp_path, LEARNER.replace("grad_out.sum(axis=0)", "grad_out.sum(axis=1)"))
    assert report.bug_codes[:1] == ["wrong-reduction"], (report.bug_codes, report.failing.spec)
