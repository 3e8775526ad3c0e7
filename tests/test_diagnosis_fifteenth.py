"""One-bug layers of our own in styles unlike the zoo's, misnamed before session 30 (issue 14); each reading is a
hypothesis the check tests on the layer or on its Jacobians:
- a recurrence whose backward loops over time forwards (`for s in range(steps)` where `reversed(range(steps))`
  belongs): its analytic Jacobian gives each output's gradient to the inputs at later steps and none to earlier
  ones, where the true one is causal (misrouted, with the loop order in the sentence; it read dropped-term); a
  recurrence that drops its carried gradient stays dropped-term (no gradient at later steps);
- a softmax loss that subtracts the row maximum but takes np.log of a probability that underflowed to 0: non-finite,
  its sentence saying the exp is stable already (forward unchanged by 800 added to every input) and the log is what
  to change, where one that subtracts nothing is told its exp overflows (issue 14's hint that misled);
- a spatial batch norm that undoes its channels-last view with the wrong order of axes (.transpose(0, 3, 2, 1)):
  transposed, the order named, where the shape alone read wrong-shape (the true gradient's axes permuted, tested on
  the values);
- a Huber loss returning the residual in its linear branch too: mismatch, the branch named (right where |x - t| is
  below a threshold and wrong above it, on inputs drawn around the targets), where it read dropped-term; a Huber loss
  without its mean's 1/N keeps missing-batch-mean;
- a self-attention whose softmax derivative has its sign reversed: dWq and dWk are -1 times the true ones, and dx,
  the true gradient with its terms through them negated, is sign-flip (tested: <(n - a) / 2, x> is the sum of
  <dW, W> over the flipped parameters, as paths through x @ W give), where it read dropped-term ahead of them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from gradlab.cases.check_many import check_paths
from gradlab.kinds import KINDS

RECURRENCE = '''
import numpy as np


class TimeRNN:
    """An Elman recurrence over (batch, steps, features), its states kept in one list."""

    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]

    def forward(self, xs):
        Wx, Wh, b = self.params
        batch, steps, _ = xs.shape
        h = np.zeros((batch, Wh.shape[0]))
        self.xs, self.states = xs, [h]
        outs = []
        for s in range(steps):
            h = np.tanh(xs[:, s] @ Wx + h @ Wh + b)
            self.states.append(h)
            outs.append(h)
        return np.stack(outs, axis=1)

    def backward(self, dhs):
        Wx, Wh, b = self.params
        dxs = np.zeros_like(self.xs)
        gWx, gWh, gb = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
        carry = np.zeros_like(self.states[0])
        for s in reversed(range(dhs.shape[1])):
            dz = (dhs[:, s] + carry) * (1 - self.states[s + 1] ** 2)
            gWx += self.xs[:, s].T @ dz
            gWh += self.states[s].T @ dz
            gb += dz.sum(axis=0)
            dxs[:, s] = dz @ Wx.T
            carry = dz @ Wh.T
        self.grads[0][...], self.grads[1][...], self.grads[2][...] = gWx, gWh, gb
        return dxs
'''


def _report(tmp_path: Path, source: str, name: str = "layer.py"):
    path = tmp_path / name
    path.write_text(source)
    (report,) = check_paths([path], examples=6, seed=0).reports
    return report


def _dx_sentence(report) -> str:
    return next(g.diagnosis for g in report.failing.gradients if g.name == "dx")


def test_a_recurrence_whose_backward_loops_over_time_forwards_is_misrouted_and_told_the_loop_order(tmp_path):
    assert _report(tmp_path, RECURRENCE).verdict == "pass"
    report = _report(tmp_path, RECURRENCE.replace("reversed(range(dhs.shape[1]))", "range(dhs.shape[1])"))
    assert report.verdict == "fail" and report.bug_codes[0] == "misrouted"
    assert "reversed(range(T))" in _dx_sentence(report) and "later steps" in _dx_sentence(report)


def test_a_recurrence_that_drops_its_carried_gradient_is_no_loop_order_but_a_dropped_term(tmp_path):
    report = _report(tmp_path, RECURRENCE.replace("carry = dz @ Wh.T", "pass"))
    assert report.verdict == "fail" and report.bug_codes[0] == "dropped-term"


SOFTMAX_LOSS = '''
import numpy as np


def softmax_loss(scores, labels):
    z = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    rows = np.arange(len(labels))
    loss = -np.log(p[rows, labels]).mean()
    grad = p.copy()
    grad[rows, labels] -= 1.0
    return loss, grad / len(labels)
'''


def _non_finite_sentence(tmp_path: Path, monkeypatch, source: str) -> str:
    # logits spread by thousands: a stable softmax's smallest probabilities underflow to 0 (the kind's own extreme
    # case, near 1000 and close together, tests the row maximum only)
    kind = KINDS["softmax_with_loss"]
    spread = [{"N": 3, "C": 4, "labels": "index", "scale": 3000.0, "seed": 7}]
    monkeypatch.setitem(KINDS, kind.name, replace(kind, extreme_specs=lambda convention: spread))
    report = _report(tmp_path, source)
    assert report.verdict == "fail" and report.bug_codes == ["non-finite"]
    return " ".join(f.message for f in report.failing.findings if f.code == "non-finite")


def test_a_stable_softmax_loss_that_logs_an_underflowed_probability_is_not_told_to_subtract_the_maximum(
        tmp_path, monkeypatch):
    said = _non_finite_sentence(tmp_path, monkeypatch, SOFTMAX_LOSS)
    assert "already stabilised" in said and "z - log(sum(exp(z)))" in said and "subtract the row maximum" not in said


def test_a_softmax_loss_without_the_row_maximum_is_told_its_exp_overflows(tmp_path, monkeypatch):
    said = _non_finite_sentence(tmp_path, monkeypatch, SOFTMAX_LOSS.replace(
        "scores - scores.max(axis=1, keepdims=True)", "scores"))
    assert "exp overflows, subtract the row maximum" in said


def test_a_softplus_that_overflows_is_not_told_to_subtract_a_row_maximum(tmp_path):
    # not shift-invariant (a shift of 5 changes it): no softmax's advice, the plain sentence and the hint stand
    report = _report(tmp_path, "import numpy as np\n\n\nclass Softplus:\n    def forward(self, x):\n"
                     "        self.x = x\n        return np.log(1 + np.exp(x))\n\n    def backward(self, dout):\n"
                     "        return dout / (1 + np.exp(-self.x))\n")
    assert report.verdict == "fail" and report.bug_codes == ["non-finite"]
    assert not any("row maximum" in f.message for f in report.failing.findings)


SPATIAL_NORM = '''
import numpy as np


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    rows = np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])
    mu, var = rows.mean(axis=0), rows.var(axis=0)
    xhat = (rows - mu) / np.sqrt(var + eps)
    out = (gamma * xhat + beta).reshape(x.shape[0], x.shape[2], x.shape[3], x.shape[1])
    return np.moveaxis(out, -1, 1), (xhat, gamma, var + eps, x.shape)


def spatial_batchnorm_backward(dout, cache):
    xhat, gamma, v, shape = cache
    drows = np.moveaxis(dout, 1, -1).reshape(-1, shape[1])
    m = drows.shape[0]
    dgamma, dbeta = (drows * xhat).sum(axis=0), drows.sum(axis=0)
    dxhat = drows * gamma
    dx = (m * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (m * np.sqrt(v))
    dx = dx.reshape(shape[0], shape[2], shape[3], shape[1]).transpose(0, 3, 1, 2)
    return dx, dgamma, dbeta
'''


def test_a_spatial_norm_undoing_its_channels_last_view_in_the_wrong_axis_order_is_transposed(tmp_path):
    assert _report(tmp_path, SPATIAL_NORM).verdict == "pass"
    report = _report(tmp_path, SPATIAL_NORM.replace(".transpose(0, 3, 1, 2)", ".transpose(0, 3, 2, 1)"))
    assert report.verdict == "fail" and report.bug_codes[0] == "transposed"
    assert "axes in another order" in _dx_sentence(report)


HUBER = '''
import numpy as np


class HuberLoss:
    def __init__(self, delta=1.0):
        self.delta = delta

    def forward(self, pred, target):
        self.r = pred - target
        small = np.abs(self.r) <= self.delta
        per = np.where(small, 0.5 * self.r ** 2, self.delta * (np.abs(self.r) - 0.5 * self.delta))
        return per.mean()

    def backward(self):
        return np.clip(self.r, -self.delta, self.delta) / self.r.size
'''


def test_a_huber_loss_whose_linear_branch_returns_the_residual_is_a_mismatch_on_that_branch(tmp_path):
    assert _report(tmp_path, HUBER).verdict == "pass"
    report = _report(tmp_path, HUBER.replace("np.clip(self.r, -self.delta, self.delta)", "self.r"))
    assert report.verdict == "fail" and report.bug_codes[0] == "mismatch"
    assert "|x - t| lies below" in _dx_sentence(report)
    assert _report(tmp_path, HUBER.replace(" / self.r.size", " / len(self.r)")).bug_codes[0] in (
        "missing-batch-mean", "scaled")


ATTENTION = '''
import numpy as np


class SelfAttention:
    def __init__(self, Wq, Wk, Wv):
        self.Wq, self.Wk, self.Wv = Wq, Wk, Wv

    def forward(self, x):
        q, k, v = (np.einsum("btd,de->bte", x, W) for W in (self.Wq, self.Wk, self.Wv))
        s = np.einsum("bqe,bke->bqk", q, k) / np.sqrt(x.shape[-1])
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        self.kept = (x, q, k, v, p)
        return np.einsum("bqk,bke->bqe", p, v)

    def backward(self, dout):
        x, q, k, v, p = self.kept
        dp = np.einsum("bqe,bke->bqk", dout, v)
        dv = np.einsum("bqk,bqe->bke", p, dout)
        ds = p * (dp - (dp * p).sum(-1, keepdims=True)) / np.sqrt(x.shape[-1])
        dq, dk = np.einsum("bqk,bke->bqe", ds, k), np.einsum("bqk,bqe->bke", ds, q)
        self.dWq, self.dWk, self.dWv = (np.einsum("btd,bte->de", x, d) for d in (dq, dk, dv))
        return sum(np.einsum("bte,de->btd", d, W) for d, W in ((dq, self.Wq), (dk, self.Wk), (dv, self.Wv)))
'''


def test_an_attention_whose_softmax_derivative_has_its_sign_reversed_is_sign_flip_on_dx_too(tmp_path):
    assert _report(tmp_path, ATTENTION).verdict in ("pass", "warn")
    report = _report(tmp_path, ATTENTION.replace("p * (dp - (dp * p).sum(-1, keepdims=True))",
                                                 "p * ((dp * p).sum(-1, keepdims=True) - dp)"))
    assert report.verdict == "fail" and report.bug_codes == ["sign-flip"]
    assert "term through dWq, dWk negated" in _dx_sentence(report)
