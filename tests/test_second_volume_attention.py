"""The textbook's second volume's remaining layers as a learner writes them in the book's conventions:
MatMul, SigmoidWithLoss, TimeSigmoidWithLoss, word2vec's EmbeddingDot, chapter 8's attention layers
(two inputs each, a gradient for every one), and the stateful time layers checked across two calls
with the state carried. Each layer here is this file's own, written the way the book's readers write
them (params/grads lists filled in place, inner layers composed, reshape and repeat)."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.cases.runner import check_entry
from gradlab.cli.main import main
from gradlab.conventions.adapters import adapt
from gradlab.conventions.discover import entry_for
from gradlab.core.check import check_case
from gradlab.core.results import FAIL, PASS
from gradlab.grading.assignment import load_assignment
from gradlab.grading.forward_reference import check_forward, reference_output
from gradlab.grading.grader import grade_submission
from gradlab.kinds import KINDS, build_case, kind_for_class


def _on(layer, kind: str, **spec):
    """`layer` checked on one case of `kind` built from `spec` (N=3, seed 1 unless given)."""
    entry = entry_for(layer, kind=kind)
    k = KINDS[kind]
    case = build_case(k, {"N": 3, "seed": 1, "scale": 1.0, **spec})
    return check_case(lambda c: adapt(entry, k, c), k, case, name=entry.name, convention="class")


class Embedding:
    def __init__(self, W):
        self.params, self.grads = [W], [np.zeros_like(W)]
        self.idx = None

    def forward(self, idx):
        self.idx = idx
        return self.params[0][idx]

    def backward(self, dout):
        dW, = self.grads
        dW[...] = 0
        np.add.at(dW, self.idx, dout)


class EmbeddingDot:
    """Shares its inner Embedding's params and grads lists, as the book's does."""

    def __init__(self, W):
        self.embed = Embedding(W)
        self.params, self.grads = self.embed.params, self.embed.grads
        self.cache = None

    def forward(self, h, idx):
        rows = self.embed.forward(idx)
        self.cache = (h, rows)
        return (rows * h).sum(axis=1)

    def backward(self, dout):
        h, rows = self.cache
        dout = dout.reshape(-1, 1)
        self.embed.backward(dout * h)
        return dout * rows


class EmbeddingDotAssigning(EmbeddingDot):
    def backward(self, dout):
        h, rows = self.cache
        dout = dout.reshape(-1, 1)
        dW, = self.grads
        dW[...] = 0
        dW[self.embed.idx] = dout * h  # a row picked twice keeps one sample's share
        return dout * rows


def test_the_second_volume_layers_are_known_by_their_class_names():
    names = ("MatMul", "SigmoidWithLoss", "TimeSigmoidWithLoss", "EmbeddingDot", "WeightSum", "AttentionWeight",
             "Attention", "TimeAttention")
    assert {n: kind_for_class(n).name for n in names} == {
        "MatMul": "matmul", "SigmoidWithLoss": "sigmoid_with_loss", "TimeSigmoidWithLoss": "time_sigmoid_with_loss",
        "EmbeddingDot": "embedding_dot", "WeightSum": "weight_sum", "AttentionWeight": "attention_weight",
        "Attention": "attention", "TimeAttention": "time_attention"}


def test_embedding_dot_takes_its_indices_in_forward_and_its_table_gradient_from_the_shared_grads_list():
    report = check_entry(entry_for(EmbeddingDot), examples=10, seed=0)
    assert report.verdict == PASS, report.bug_codes
    assert set(report.worst) == {"dx", "grads[0]"}


def test_an_embedding_dot_that_assigns_rows_fails_on_a_repeated_index_and_passes_without_one():
    repeated = _on(EmbeddingDotAssigning, "embedding_dot", N=3, D=3, V=4)
    assert repeated.verdict == FAIL and repeated.bug_codes == ["dropped-term"]
    # one sample: no row is picked twice, so assigning is as right as accumulating
    assert _on(EmbeddingDotAssigning, "embedding_dot", N=1, D=3, V=4).verdict == PASS


class WeightSum:
    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, hs, a):
        N, T, H = hs.shape
        ar = a.reshape(N, T, 1)
        self.cache = (hs, ar)
        return (hs * ar).sum(axis=1)

    def backward(self, dc):
        hs, ar = self.cache
        N, T, H = hs.shape
        dt = dc.reshape(N, 1, H).repeat(T, axis=1)
        return dt * ar, (dt * hs).sum(axis=2)


class Softmax:
    def __init__(self):
        self.params, self.grads = [], []
        self.out = None

    def forward(self, x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.out = e / e.sum(axis=1, keepdims=True)
        return self.out

    def backward(self, dout):
        dx = self.out * dout
        return dx - self.out * dx.sum(axis=1, keepdims=True)


class AttentionWeight:
    def __init__(self):
        self.params, self.grads = [], []
        self.softmax = Softmax()
        self.cache = None

    def forward(self, hs, h):
        N, T, H = hs.shape
        hr = h.reshape(N, 1, H)
        self.cache = (hs, hr)
        return self.softmax.forward((hs * hr).sum(axis=2))

    def backward(self, da):
        hs, hr = self.cache
        N, T, H = hs.shape
        dt = self.softmax.backward(da).reshape(N, T, 1).repeat(H, axis=2)
        return dt * hr, (dt * hs).sum(axis=1)


class Attention:
    def __init__(self):
        self.params, self.grads = [], []
        self.weight_layer, self.sum_layer = AttentionWeight(), WeightSum()

    def forward(self, hs, h):
        return self.sum_layer.forward(hs, self.weight_layer.forward(hs, h))

    def backward(self, dout):
        dhs0, da = self.sum_layer.backward(dout)
        dhs1, dh = self.weight_layer.backward(da)
        return dhs0 + dhs1, dh


class TimeAttention:
    def __init__(self):
        self.params, self.grads = [], []
        self.layers = None

    def forward(self, hs_enc, hs_dec):
        N, U, H = hs_dec.shape
        out = np.empty_like(hs_dec)
        self.layers = [Attention() for _ in range(U)]
        for u, layer in enumerate(self.layers):
            out[:, u, :] = layer.forward(hs_enc, hs_dec[:, u, :])
        return out

    def backward(self, dout):
        dhs_enc, dhs_dec = 0, np.empty_like(dout)
        for u, layer in enumerate(self.layers):
            dhs, dh = layer.backward(dout[:, u, :])
            dhs_enc += dhs
            dhs_dec[:, u, :] = dh
        return dhs_enc, dhs_dec


class SoftmaxCouplingDropped(Softmax):
    def backward(self, dout):
        return self.out * dout  # the Jacobian's diagonal only


class AttentionWeightCouplingDropped(AttentionWeight):
    def __init__(self):
        super().__init__()
        self.softmax = SoftmaxCouplingDropped()


class AttentionCouplingDropped(Attention):
    def __init__(self):
        super().__init__()
        self.weight_layer = AttentionWeightCouplingDropped()


@pytest.mark.parametrize("layer, second", [(WeightSum, "da"), (AttentionWeight, "dh"), (Attention, "dh"),
                                           (TimeAttention, "dhs_dec")])
def test_each_attention_layer_passes_with_a_gradient_checked_for_both_of_its_inputs(layer, second):
    report = check_entry(entry_for(layer), examples=10, seed=0)
    assert report.verdict == PASS, report.bug_codes
    assert set(report.worst) == {"dx", second}


def test_time_attention_that_keeps_one_decoder_steps_share_of_the_encoder_gradient_is_dropped_term():
    class Overwrites(TimeAttention):
        def backward(self, dout):
            dhs_dec = np.empty_like(dout)
            for u, layer in enumerate(self.layers):
                dhs_enc, dhs_dec[:, u, :] = layer.backward(dout[:, u, :])
            return dhs_enc, dhs_dec

    report = check_entry(entry_for(Overwrites, kind="time_attention"), examples=10, seed=0)
    assert report.bug_codes[:1] == ["dropped-term"], report.bug_codes


class SoftmaxDiagonalOnly(Softmax):
    def backward(self, dout):
        return dout * self.out * (1 - self.out)  # each weight as if it depended on its own score alone


class TimeAttentionDiagonalOnly(TimeAttention):
    def forward(self, hs_enc, hs_dec):
        out = super().forward(hs_enc, hs_dec)
        for layer in self.layers:
            layer.weight_layer.softmax.__class__ = SoftmaxDiagonalOnly
        return out


@pytest.mark.parametrize("layer, kind, spec, names", [
    (AttentionWeightCouplingDropped, "attention_weight", {"T": 4, "H": 3}, {"dx", "dh"}),
    (AttentionCouplingDropped, "attention", {"T": 4, "H": 3}, {"dx", "dh"}),
    (TimeAttentionDiagonalOnly, "time_attention", {"T": 4, "U": 2, "H": 3}, {"dx", "dhs_dec"})])
def test_a_softmax_backward_without_its_coupling_term_is_named_dropped_term_inside_attention(layer, kind, spec, names):
    result = _on(layer, kind, **spec)
    assert result.verdict == FAIL
    assert {g.name: g.bug_code for g in result.gradients} == dict.fromkeys(names, "dropped-term")
    assert all("coupling term" in g.diagnosis for g in result.gradients)


def test_a_wrong_attention_gradient_that_is_not_the_missing_coupling_term_is_not_given_that_name():
    class ScoresHsWithItself(AttentionWeight):
        def backward(self, da):
            hs, hr = self.cache
            N, T, H = hs.shape
            dt = self.softmax.backward(da).reshape(N, T, 1).repeat(H, axis=2)
            return dt * hs, (dt * hs).sum(axis=1)  # dhs multiplied by hs where h belongs

    result = _on(ScoresHsWithItself, "attention_weight", T=4, H=3)
    assert result.verdict == FAIL
    assert all("coupling term" not in g.diagnosis for g in result.gradients)


class SigmoidWithLoss:
    """The book's form: two-column probabilities and a cross entropy with a small constant inside the log."""

    def __init__(self):
        self.params, self.grads = [], []
        self.y = self.t = None

    def forward(self, x, t):
        self.t, self.y = t, 1 / (1 + np.exp(-x))
        p = np.c_[1 - self.y, self.y]
        return -np.sum(np.log(p[np.arange(len(t)), t] + 1e-7)) / len(t)

    def backward(self, dout=1):
        return (self.y - self.t) * dout / self.t.shape[0]


class TimeSigmoidWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.layers, self.shape = None, None

    def forward(self, xs, ts):
        self.shape = xs.shape
        self.layers = [SigmoidWithLoss() for _ in range(xs.shape[1])]
        return sum(layer.forward(xs[:, t], ts[:, t]) for t, layer in enumerate(self.layers)) / xs.shape[1]

    def backward(self, dout=1):
        dxs = np.empty(self.shape, dtype="f")
        for t, layer in enumerate(self.layers):
            dxs[:, t] = layer.backward(dout / self.shape[1])
        return dxs


class MatMul:
    def __init__(self, W):
        self.params, self.grads = [W], [np.zeros_like(W)]
        self.x = None

    def forward(self, x):
        self.x = x
        return np.dot(x, self.params[0])

    def backward(self, dout):
        self.grads[0][...] = np.dot(self.x.T, dout)
        return np.dot(dout, self.params[0].T)


@pytest.mark.parametrize("layer", [SigmoidWithLoss, TimeSigmoidWithLoss, MatMul])
def test_the_books_losses_and_matmul_pass_as_a_reader_writes_them(layer):
    report = check_entry(entry_for(layer), examples=10, seed=0)
    assert report.verdict == PASS, report.bug_codes


def test_a_time_sigmoid_loss_averaged_over_the_batch_only_is_scaled_by_the_number_of_steps():
    class MeanOverBatchOnly(TimeSigmoidWithLoss):
        def backward(self, dout=1):
            dxs = np.empty(self.shape)
            for t, layer in enumerate(self.layers):
                dxs[:, t] = layer.backward(dout)  # the 1/T of the mean over steps left out
            return dxs

    result = _on(MeanOverBatchOnly, "time_sigmoid_with_loss", T=4)
    assert result.bug_codes == ["scaled"]
    assert abs(result.gradients[0].analytic_value / result.gradients[0].numeric_value - 4.0) < 1e-3


class TimeRNN:
    """The book's form: stateful keeps self.h between calls; backward leaves the carried h's gradient in self.dh."""

    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.h, self.dh, self.stateful = None, None, stateful
        self.cache = None

    def forward(self, xs):
        Wx, Wh, b = self.params
        N, T, D = xs.shape
        if not self.stateful or self.h is None:
            self.h = np.zeros((N, Wh.shape[0]))
        hs, self.cache = np.empty((N, T, Wh.shape[0])), []
        for t in range(T):
            h_prev = self.h
            self.h = np.tanh(np.dot(xs[:, t, :], Wx) + np.dot(h_prev, Wh) + b)
            self.cache.append((xs[:, t, :], h_prev, self.h))
            hs[:, t, :] = self.h
        return hs

    def backward(self, dhs):
        Wx, Wh, b = self.params
        dxs = np.empty(dhs.shape[:2] + (Wx.shape[0],))
        grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        dh = 0
        for t in reversed(range(dhs.shape[1])):
            x, h_prev, h = self.cache[t]
            dt = (dhs[:, t, :] + dh) * (1 - h ** 2)
            dxs[:, t, :], dh = np.dot(dt, Wx.T), np.dot(dt, Wh.T)
            grads[0] += np.dot(x.T, dt)
            grads[1] += np.dot(h_prev.T, dt)
            grads[2] += dt.sum(axis=0)
        for grad, value in zip(self.grads, grads):
            grad[...] = value
        self.dh = dh
        return dxs

    def set_state(self, h):
        self.h = h

    def reset_state(self):
        self.h = None


class TimeRNNStatefulRequired(TimeRNN):
    """Some readers drop the default: `TimeRNN(Wx, Wh, b, stateful)`."""

    def __init__(self, Wx, Wh, b, stateful):
        super().__init__(Wx, Wh, b, stateful)


class TimeRNNIgnoresCarriedState(TimeRNN):
    def forward(self, xs):
        self.h = None  # every call starts afresh, stateful or not
        return super().forward(xs)


class TimeRNNWithoutStateful(TimeRNN):
    def __init__(self, Wx, Wh, b):
        super().__init__(Wx, Wh, b)


class TimeRNNStateElsewhere(TimeRNN):
    """Carries its state as self.last_h: gradlab cannot put a carried state back, so checks it as built."""

    def forward(self, xs):
        self.h = getattr(self, "last_h", None) if self.stateful else None
        hs = super().forward(xs)
        self.last_h, self.h = self.h, "carried as last_h"
        return hs


def test_a_stateful_time_rnn_is_checked_from_the_state_its_first_call_left_with_dh_its_gradient():
    result = _on(TimeRNN, "time_rnn", T=3, D=4, H=2, stateful=True)
    assert result.verdict == PASS, result.bug_codes
    assert {g.name for g in result.gradients} == {"dx", "grads[0]", "grads[1]", "grads[2]", "dh"}
    # the second call really starts from a non-zero carried h, so dh is not trivially zero
    dh = next(g for g in result.gradients if g.name == "dh")
    assert abs(dh.numeric_value) > 1e-6


def test_a_stateless_case_checks_no_carried_state():
    result = _on(TimeRNN, "time_rnn", T=3, D=4, H=2)
    assert result.verdict == PASS and "dh" not in {g.name for g in result.gradients}


def test_a_time_rnn_whose_stateful_argument_has_no_default_is_built_with_it_said_in_both_cases():
    for stateful in (False, True):
        result = _on(TimeRNNStatefulRequired, "time_rnn", T=3, D=4, H=2, stateful=stateful)
        assert result.verdict == PASS, result.bug_codes
        assert ("dh" in {g.name for g in result.gradients}) == stateful


def test_a_time_rnn_that_ignores_its_carried_state_fails_only_when_built_stateful():
    assert _on(TimeRNNIgnoresCarriedState, "time_rnn", T=3, D=4, H=2).verdict == PASS
    stateful = _on(TimeRNNIgnoresCarriedState, "time_rnn", T=3, D=4, H=2, stateful=True)
    assert stateful.verdict == FAIL
    assert [g.name for g in stateful.gradients if not g.passed] == ["dh"]


@pytest.mark.parametrize("layer", [TimeRNNWithoutStateful, TimeRNNStateElsewhere])
def test_a_time_layer_whose_carried_state_cannot_be_arranged_is_checked_as_built_and_not_failed(layer):
    result = _on(layer, "time_rnn", T=3, D=4, H=2, stateful=True)
    assert result.verdict == PASS, result.bug_codes
    assert "dh" not in {g.name for g in result.gradients}


@pytest.mark.parametrize("kind", ["time_rnn", "time_lstm", "time_gru"])
def test_the_grader_accepts_a_stateful_forward_and_refuses_one_that_restarted_from_zeros_badly(kind):
    k = KINDS[kind]
    case = build_case(k, {"N": 3, "T": 4, "D": 3, "H": 2, "seed": 2, "scale": 1.0, "stateful": True})
    out = reference_output(k, case)
    assert check_forward(k, case, out).ok
    # the carried state changes the output: a stateful case is not a stateless one in disguise
    fresh = reference_output(k, build_case(k, {**case.spec, "stateful": False}))
    assert not np.allclose(out, fresh)
    assert not check_forward(k, case, out * 1.5).ok


_STATEFUL_ASSIGNMENT = """
name = "stateful"
convention = "class"
seed = 3
examples = 4
[[layers]]
name = "TimeRNN"
points = 10
"""


def test_the_grader_grades_the_carried_state_inside_the_sandbox_and_takes_structure_points_for_a_forgotten_dh(
        tmp_path):
    import inspect

    body = inspect.getsource(TimeRNN)
    (tmp_path / "right.py").write_text("import numpy as np\n\n\n" + body)
    (tmp_path / "wrong.py").write_text("import numpy as np\n\n\n" + body.replace("        self.dh = dh\n", ""))
    (tmp_path / "stateful.toml").write_text(_STATEFUL_ASSIGNMENT)
    assignment = load_assignment(tmp_path / "stateful.toml")
    assert grade_submission(tmp_path / "right.py", assignment).score == 10
    wrong = grade_submission(tmp_path / "wrong.py", assignment)
    structure = next(p for p in wrong.layers[0].parts if p.component == "structure")
    assert not structure.passed and structure.codes == ["zero-gradient"] and "dh" in structure.message
    assert all(p.passed for p in wrong.layers[0].parts if p.component != "structure")


_GRU_WITHOUT_BIAS = '''
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


class TimeGRU:
    """The book's first TimeGRU: no bias, the weights as attributes, their gradients as dWx and dWh."""

    def __init__(self, Wx, Wh, stateful=False):
        self.Wx, self.Wh = Wx, Wh
        self.dWx = self.dWh = None
        self.h, self.dh, self.stateful = None, None, stateful

    def forward(self, xs):
        H = self.Wh.shape[0]
        if not self.stateful or self.h is None:
            self.h = np.zeros((xs.shape[0], H))
        hs, self.cache = [], []
        for t in range(xs.shape[1]):
            x, h = xs[:, t], self.h
            z = sigmoid(x @ self.Wx[:, :H] + h @ self.Wh[:, :H])
            r = sigmoid(x @ self.Wx[:, H:2 * H] + h @ self.Wh[:, H:2 * H])
            h_hat = np.tanh(x @ self.Wx[:, 2 * H:] + (r * h) @ self.Wh[:, 2 * H:])
            self.h = (1 - z) * h + z * h_hat
            self.cache.append((x, h, z, r, h_hat))
            hs.append(self.h)
        return np.stack(hs, axis=1)

    def backward(self, dhs):
        H = self.Wh.shape[0]
        dWx, dWh = np.zeros_like(self.Wx), np.zeros_like(self.Wh)
        dxs = np.zeros(dhs.shape[:2] + (self.Wx.shape[0],))
        dh = 0
        for t in reversed(range(dhs.shape[1])):
            x, h, z, r, h_hat = self.cache[t]
            dn = dhs[:, t] + dh
            dt = dn * z * (1 - h_hat ** 2)
            dhr = dt @ self.Wh[:, 2 * H:].T
            dz = dn * (h_hat - h) * z * (1 - z)
            dr = dhr * h * r * (1 - r)
            da = np.hstack([dz, dr, dt])
            dWx += x.T @ da
            dWh += np.hstack([h.T @ dz, h.T @ dr, (r * h).T @ dt])
            dxs[:, t] = da @ self.Wx.T
            dh = dn * (1 - z) + dhr * r + dz @ self.Wh[:, :H].T + dr @ self.Wh[:, H:2 * H].T
        self.dWx, self.dWh, self.dh = dWx, dWh, dh
        return dxs
'''


def test_the_books_first_gru_without_bias_is_checked_with_the_bias_held_at_zero_and_graded_in_full(tmp_path):
    (tmp_path / "gru.py").write_text(_GRU_WITHOUT_BIAS)
    main_out = tmp_path / "out.json"
    main(["check", str(tmp_path / "gru.py"), "--examples", "8", "--json", str(main_out), "--no-fix-search"])
    import json

    layer = json.loads(main_out.read_text())["layers"][0]
    assert layer["verdict"] == "pass" and set(layer["gradients"]) == {"dx", "dWx", "dWh", "dh"}
    (tmp_path / "gru.toml").write_text(_STATEFUL_ASSIGNMENT.replace("TimeRNN", "TimeGRU"))
    grade = grade_submission(tmp_path / "gru.py", load_assignment(tmp_path / "gru.toml"))
    assert grade.score == 10, [(p.component, p.codes, p.message) for p in grade.layers[0].parts if not p.passed]


def test_check_on_a_second_volume_file_finds_every_layer_and_fails_none(tmp_path, capsys):
    path = tmp_path / "attention_layer.py"
    path.write_text(_SOURCE)
    main(["check", str(path), "--examples", "5"])
    out = capsys.readouterr().out
    for name in ("MatMul", "SigmoidWithLoss", "EmbeddingDot", "WeightSum", "AttentionWeight", "Attention",
                 "TimeAttention"):
        assert f"PASS {name} " in out, out
    assert "FAIL" not in out and "SKIP" not in out


def test_a_class_named_attention_whose_forward_needs_more_inputs_is_skipped_as_another_layer(tmp_path, capsys):
    (tmp_path / "transformer.py").write_text(
        "class Attention:\n"
        "    def forward(self, q, k, v):\n        return q\n\n"
        "    def backward(self, dout):\n        return dout, dout, dout\n\n\n"
        "class WeightSum:\n"
        "    def forward(self, hs):\n        return hs.sum(axis=1)\n\n"
        "    def backward(self, dc):\n        return dc\n")
    main(["check", str(tmp_path / "transformer.py")])
    out = capsys.readouterr().out
    assert "FAIL" not in out
    assert "requires more inputs than the attention kind's forward(x, h)" in out and "WeightSum" in out


_SOURCE = '''
import numpy as np


class MatMul:
    def __init__(self, W):
        self.params, self.grads = [W], [np.zeros_like(W)]

    def forward(self, x):
        self.x = x
        return x @ self.params[0]

    def backward(self, dout):
        self.grads[0][...] = self.x.T @ dout
        return dout @ self.params[0].T


class SigmoidWithLoss:
    def __init__(self):
        self.params, self.grads = [], []

    def forward(self, x, t):
        self.y, self.t = 1 / (1 + np.exp(-x)), t
        return -np.mean(t * np.log(self.y) + (1 - t) * np.log(1 - self.y))

    def backward(self, dout=1):
        return (self.y - self.t) * dout / len(self.t)


class EmbeddingDot:
    def __init__(self, W):
        self.params, self.grads = [W], [np.zeros_like(W)]

    def forward(self, h, idx):
        self.h, self.idx = h, idx
        return np.sum(self.params[0][idx] * h, axis=1)

    def backward(self, dout):
        self.grads[0][...] = 0
        np.add.at(self.grads[0], self.idx, dout[:, None] * self.h)
        return dout[:, None] * self.params[0][self.idx]


class WeightSum:
    def __init__(self):
        self.params, self.grads = [], []

    def forward(self, hs, a):
        self.hs, self.a = hs, a
        return np.sum(hs * a[:, :, None], axis=1)

    def backward(self, dc):
        return self.a[:, :, None] * dc[:, None, :], np.sum(self.hs * dc[:, None, :], axis=2)


class AttentionWeight:
    def __init__(self):
        self.params, self.grads = [], []

    def forward(self, hs, h):
        s = np.sum(hs * h[:, None, :], axis=2)
        e = np.exp(s - s.max(axis=1, keepdims=True))
        self.hs, self.h, self.a = hs, h, e / e.sum(axis=1, keepdims=True)
        return self.a

    def backward(self, da):
        ds = self.a * (da - np.sum(self.a * da, axis=1, keepdims=True))
        return ds[:, :, None] * self.h[:, None, :], np.sum(ds[:, :, None] * self.hs, axis=1)


class Attention:
    def __init__(self):
        self.params, self.grads = [], []
        self.weight, self.sum = AttentionWeight(), WeightSum()

    def forward(self, hs, h):
        return self.sum.forward(hs, self.weight.forward(hs, h))

    def backward(self, dout):
        dhs0, da = self.sum.backward(dout)
        dhs1, dh = self.weight.backward(da)
        return dhs0 + dhs1, dh


class TimeAttention:
    def __init__(self):
        self.params, self.grads = [], []

    def forward(self, hs_enc, hs_dec):
        self.layers = [Attention() for _ in range(hs_dec.shape[1])]
        return np.stack([l.forward(hs_enc, hs_dec[:, u]) for u, l in enumerate(self.layers)], axis=1)

    def backward(self, dout):
        parts = [l.backward(dout[:, u]) for u, l in enumerate(self.layers)]
        return sum(p[0] for p in parts), np.stack([p[1] for p in parts], axis=1)
'''
