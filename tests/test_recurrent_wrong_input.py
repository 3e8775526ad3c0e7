"""A recurrent cell's activation derivative evaluated at the wrong array is named `wrong-input`
(gradlab.kinds.recurrent_backward), in both conventions, while correct cells pass and the cells' other bugs
keep their codes. The cells here are written for these tests: CS231n's function style (gates i, f, o, g) and
the textbook's class style (`params`/`grads` lists, gates f, g, i, o; the GRU's z, r, h)."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import entry_for
from gradlab.core.kind import Case
from gradlab.core.results import FAIL, PASS
from gradlab.kinds import KINDS, build_case
from gradlab.kinds.recurrent_backward import Runner, read_wrong_input
from gradlab.kinds.recurrent_cells import LSTM, RNN


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# --- function style (CS231n): one RNN step, one LSTM step -----------------------------------------------

def rnn_step_forward(x, prev_h, Wx, Wh, b):
    pre = x @ Wx + prev_h @ Wh + b
    next_h = np.tanh(pre)
    return next_h, (x, prev_h, Wx, Wh, pre, next_h)


def _rnn_step_grads(dpre, cache):
    x, prev_h, Wx, Wh, _, _ = cache
    return dpre @ Wx.T, dpre @ Wh.T, x.T @ dpre, prev_h.T @ dpre, dpre.sum(axis=0)


def rnn_step_backward(dnext_h, cache):
    return _rnn_step_grads(dnext_h * (1 - cache[5] ** 2), cache)


def rnn_step_backward_at_prev_h(dnext_h, cache):
    return _rnn_step_grads(dnext_h * (1 - cache[1] ** 2), cache)


def rnn_step_backward_at_pre_activation(dnext_h, cache):
    return _rnn_step_grads(dnext_h * (1 - cache[4] ** 2), cache)


def rnn_step_backward_tanh_of_output(dnext_h, cache):
    return _rnn_step_grads(dnext_h * (1 - np.tanh(cache[5]) ** 2), cache)


def rnn_step_backward_db_per_sample(dnext_h, cache):
    dx, dprev_h, dWx, dWh, _ = rnn_step_backward(dnext_h, cache)
    return dx, dprev_h, dWx, dWh, (dnext_h * (1 - cache[5] ** 2)).sum(axis=1)


def rnn_step_backward_no_dnext_h(dnext_h, cache):
    return _rnn_step_grads(1 - cache[5] ** 2, cache)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    pre = x @ Wx + prev_h @ Wh + b
    i, f, o, g = sigmoid(pre[:, :H]), sigmoid(pre[:, H:2 * H]), sigmoid(pre[:, 2 * H:3 * H]), np.tanh(pre[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, pre, i, f, o, g, next_c)


def _lstm_step(dnext_h, dnext_c, cache, dtanh_c, dsig=lambda s, a: s * (1 - s), forget=True, cell=True,
               df_by=None):
    x, prev_h, prev_c, Wx, Wh, pre, i, f, o, g, next_c = cache
    H = prev_h.shape[1]
    dc = (dnext_c if cell else 0) + dnext_h * o * dtanh_c
    da = np.hstack([dc * g * dsig(i, pre[:, :H]), dc * (prev_c if df_by is None else df_by) * dsig(f, pre[:, H:2 * H]),
                    dnext_h * np.tanh(next_c) * dsig(o, pre[:, 2 * H:3 * H]), dc * i * (1 - g ** 2)])
    return da @ Wx.T, da @ Wh.T, dc * f if forget else dc, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def lstm_step_backward(dnext_h, dnext_c, cache):
    return _lstm_step(dnext_h, dnext_c, cache, 1 - np.tanh(cache[10]) ** 2)


def lstm_step_backward_at_next_c(dnext_h, dnext_c, cache):
    return _lstm_step(dnext_h, dnext_c, cache, 1 - cache[10] ** 2)


def lstm_step_backward_gates_at_pre_activation(dnext_h, dnext_c, cache):
    # one helper, sigmoid_grad(y) = y * (1 - y), handed each gate's pre-activation
    return _lstm_step(dnext_h, dnext_c, cache, 1 - np.tanh(cache[10]) ** 2, dsig=lambda s, a: a * (1 - a))


def lstm_step_backward_df_from_prev_h(dnext_h, dnext_c, cache):
    # next_c = f * prev_c + ...: the forget gate's gradient is dc * prev_c, here taken with prev_h
    return _lstm_step(dnext_h, dnext_c, cache, 1 - np.tanh(cache[10]) ** 2, df_by=cache[1])


def lstm_step_backward_no_forget_gate(dnext_h, dnext_c, cache):
    return _lstm_step(dnext_h, dnext_c, cache, 1 - np.tanh(cache[10]) ** 2, forget=False)


def lstm_step_backward_drops_dnext_c(dnext_h, dnext_c, cache):
    return _lstm_step(dnext_h, dnext_c, cache, 1 - np.tanh(cache[10]) ** 2, cell=False)


def lstm_step_backward_sigmoid_grad_squared(dnext_h, dnext_c, cache):
    # wrong, but not by the array it reads: (s * (1 - s)) ** 2 from the right s
    return _lstm_step(dnext_h, dnext_c, cache, 1 - np.tanh(cache[10]) ** 2, dsig=lambda s, a: (s * (1 - s)) ** 2)


# --- class style (the textbook's second volume): RNN, LSTM (gates f, g, i, o), GRU (z, r, h) --------------

class RNN_:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        h_next = np.tanh(h_prev @ Wh + x @ Wx + b)
        self.cache = (x, h_prev, h_next)
        return h_next

    def factor(self):
        return 1 - self.cache[2] ** 2

    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        x, h_prev, _ = self.cache
        dt = dh_next * self.factor()
        self.grads[0][...], self.grads[1][...], self.grads[2][...] = x.T @ dt, h_prev.T @ dt, dt.sum(axis=0)
        return dt @ Wx.T, dt @ Wh.T


class RNNAtPrevState(RNN_):
    def factor(self):
        return 1 - self.cache[1] ** 2


class LSTM_:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]

    def forward(self, x, h_prev, c_prev):
        Wx, Wh, b = self.params
        H = h_prev.shape[1]
        A = x @ Wx + h_prev @ Wh + b
        f, g, i, o = sigmoid(A[:, :H]), np.tanh(A[:, H:2 * H]), sigmoid(A[:, 2 * H:3 * H]), sigmoid(A[:, 3 * H:])
        c_next = f * c_prev + g * i
        self.cache = (x, h_prev, c_prev, i, f, g, o, c_next)
        return o * np.tanh(c_next), c_next

    def dtanh_c(self):
        return 1 - np.tanh(self.cache[7]) ** 2

    def dg(self):
        return 1 - self.cache[5] ** 2

    def backward(self, dh_next, dc_next):
        Wx, Wh, _ = self.params
        x, h_prev, c_prev, i, f, g, o, c_next = self.cache
        ds = dc_next + dh_next * o * self.dtanh_c()
        dA = np.hstack((ds * c_prev * f * (1 - f), ds * i * self.dg(), ds * g * i * (1 - i),
                        dh_next * np.tanh(c_next) * o * (1 - o)))
        self.grads[0][...], self.grads[1][...], self.grads[2][...] = x.T @ dA, h_prev.T @ dA, dA.sum(axis=0)
        return dA @ Wx.T, dA @ Wh.T, ds * f


class LSTMAtCellState(LSTM_):
    def dtanh_c(self):
        return 1 - self.cache[7] ** 2


class LSTMCandidateAtCellState(LSTM_):
    def dg(self):  # the candidate's tanh' read from the new cell state
        return 1 - self.cache[7] ** 2


class LSTMOutputGateTimesCellState(LSTM_):
    def backward(self, dh_next, dc_next):
        # next_h = o * tanh(c_next): the output gate's gradient is dh_next * tanh(c_next), here dh_next * c_next
        Wx, Wh, _ = self.params
        x, h_prev, c_prev, i, f, g, o, c_next = self.cache
        ds = dc_next + dh_next * o * (1 - np.tanh(c_next) ** 2)
        dA = np.hstack((ds * c_prev * f * (1 - f), ds * i * (1 - g ** 2), ds * g * i * (1 - i),
                        dh_next * c_next * o * (1 - o)))
        self.grads[0][...], self.grads[1][...], self.grads[2][...] = x.T @ dA, h_prev.T @ dA, dA.sum(axis=0)
        return dA @ Wx.T, dA @ Wh.T, ds * f


class LSTMSignFlippedDx(LSTM_):
    def backward(self, dh_next, dc_next):
        dx, dh_prev, dc_prev = super().backward(dh_next, dc_next)
        return -dx, dh_prev, dc_prev


class GRU_:
    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        H = Wh.shape[0]
        z = sigmoid(x @ Wx[:, :H] + h_prev @ Wh[:, :H] + b[:H])
        r = sigmoid(x @ Wx[:, H:2 * H] + h_prev @ Wh[:, H:2 * H] + b[H:2 * H])
        h_hat = np.tanh(x @ Wx[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:] + b[2 * H:])
        h_next = (1 - z) * h_prev + z * h_hat
        self.cache = (x, h_prev, z, r, h_hat, h_next)
        return h_next

    def dtanh(self):
        return 1 - self.cache[4] ** 2

    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        x, h_prev, z, r, h_hat, _ = self.cache
        H = Wh.shape[0]
        dt_h = dh_next * z * self.dtanh()
        dhr = dt_h @ Wh[:, 2 * H:].T
        dt_z = dh_next * (h_hat - h_prev) * z * (1 - z)
        dt_r = dhr * h_prev * r * (1 - r)
        dt = np.hstack((dt_z, dt_r, dt_h))
        dWh = np.hstack((h_prev.T @ dt_z, h_prev.T @ dt_r, (r * h_prev).T @ dt_h))
        self.grads[0][...], self.grads[1][...], self.grads[2][...] = x.T @ dt, dWh, dt.sum(axis=0)
        return dt @ Wx.T, dh_next * (1 - z) + dhr * r + dt_z @ Wh[:, :H].T + dt_r @ Wh[:, H:2 * H].T


class GRUCandidateAtNextState(GRU_):
    def dtanh(self):
        return 1 - self.cache[5] ** 2


def _function(backward, kind):
    forward = {"rnn_step": rnn_step_forward, "lstm_step": lstm_step_forward}[kind]
    return entry_for(forward, backward, kind=kind)


def _class(cls):
    kinds = {RNN_: "rnn_step", LSTM_: "lstm_step", GRU_: "gru_step"}
    return entry_for(cls, kind=next(kinds[c] for c in cls.__mro__ if c in kinds))


def _failing(entry):
    report = check_entry(entry, examples=10, seed=0)
    assert report.verdict == FAIL and report.failing is not None
    wrong = [g for g in report.failing.gradients if not g.passed]
    return {g.bug_code for g in wrong}, " ".join(g.diagnosis for g in wrong)


WRONG_ARRAY = [
    ("function rnn_step, 1 - prev_h**2", lambda: _function(rnn_step_backward_at_prev_h, "rnn_step"),
     "computed from prev_h, where next_h belongs"),
    ("function rnn_step, 1 - pre**2", lambda: _function(rnn_step_backward_at_pre_activation, "rnn_step"),
     "computed from the pre-activation a, where next_h belongs"),
    ("function rnn_step, tanh' at the output", lambda: _function(rnn_step_backward_tanh_of_output, "rnn_step"),
     "evaluated at next_h, where it belongs at the pre-activation a"),
    ("function lstm_step, 1 - next_c**2", lambda: _function(lstm_step_backward_at_next_c, "lstm_step"),
     "1 - next_c**2 should be 1 - np.tanh(next_c)**2"),
    ("function lstm_step, every gate's sigmoid' from its pre-activation",
     lambda: _function(lstm_step_backward_gates_at_pre_activation, "lstm_step"),
     "every sigmoid' of the cell is computed from the pre-activations, where the outputs belong"),
    ("function lstm_step, df = dc * prev_h", lambda: _function(lstm_step_backward_df_from_prev_h, "lstm_step"),
     "the forget gate's gradient multiplies by prev_h, where prev_c belongs"),
    ("class RNN, 1 - h_prev**2", lambda: _class(RNNAtPrevState), "computed from prev_h, where next_h belongs"),
    ("class LSTM, 1 - c_next**2", lambda: _class(LSTMAtCellState), "1 - next_c**2 should be 1 - np.tanh(next_c)**2"),
    ("class LSTM, the candidate's tanh' from c_next", lambda: _class(LSTMCandidateAtCellState),
     "the candidate g's tanh is computed from next_c, where g belongs"),
    ("class LSTM, do = dh_next * c_next", lambda: _class(LSTMOutputGateTimesCellState),
     "the output gate's gradient multiplies by next_c, where tanh(next_c) belongs"),
    ("class GRU, the candidate's tanh' from h_next", lambda: _class(GRUCandidateAtNextState),
     "the candidate h_hat's tanh is computed from next_h, where h_hat belongs"),
]


@pytest.mark.parametrize("make, said", [w[1:] for w in WRONG_ARRAY], ids=[w[0] for w in WRONG_ARRAY])
def test_a_derivative_evaluated_at_the_wrong_array_of_a_recurrent_cell_is_wrong_input(make, said):
    codes, sentences = _failing(make())
    assert codes == {"wrong-input"}
    assert said in sentences


@pytest.mark.parametrize("make", [lambda: _function(rnn_step_backward, "rnn_step"),
                                  lambda: _function(lstm_step_backward, "lstm_step"),
                                  lambda: _class(RNN_), lambda: _class(LSTM_), lambda: _class(GRU_)],
                         ids=["function rnn_step", "function lstm_step", "class RNN", "class LSTM", "class GRU"])
def test_the_same_cells_written_right_pass(make):
    assert check_entry(make(), examples=10, seed=0).verdict == PASS


OTHER_BUGS = [
    ("function lstm_step without the forget gate", lambda: _function(lstm_step_backward_no_forget_gate, "lstm_step"),
     "dropped-term"),
    ("function lstm_step dropping dnext_c", lambda: _function(lstm_step_backward_drops_dnext_c, "lstm_step"),
     "dropped-term"),
    # dnext_h left out of every term: the true gradients for an upstream of ones, a factor missing (issue 14)
    ("function rnn_step without dnext_h", lambda: _function(rnn_step_backward_no_dnext_h, "rnn_step"),
     "dropped-term"),
    ("function rnn_step with db summed per sample", lambda: _function(rnn_step_backward_db_per_sample, "rnn_step"),
     "wrong-reduction"),
    ("class LSTM with dx's sign flipped", lambda: _class(LSTMSignFlippedDx), "sign-flip"),
]


@pytest.mark.parametrize("make, code", [o[1:] for o in OTHER_BUGS], ids=[o[0] for o in OTHER_BUGS])
def test_a_recurrent_cells_other_bugs_keep_their_codes(make, code):
    codes, _ = _failing(make())
    assert code in codes and "wrong-input" not in codes


def test_a_sigmoid_derivative_wrong_by_its_formula_not_its_array_is_not_called_wrong_input():
    codes, _ = _failing(_function(lstm_step_backward_sigmoid_grad_squared, "lstm_step"))
    assert "wrong-input" not in codes


def _step_case(kind):
    return build_case(KINDS[kind], {"N": 2, "D": 3, "H": 4, "scale": 1.0, "seed": 5})


def test_the_reading_names_the_wrong_array_only_where_the_true_forward_is_the_layers_own():
    case = _step_case("rnn_step")
    G = np.random.default_rng(1).standard_normal((2, 4))
    run = Runner(RNN, case, G)
    out, true = run((0,), None)
    _, cache = rnn_step_forward(case.x, *(case.params[p] for p in KINDS["rnn_step"].params))
    wrong = rnn_step_backward_at_prev_h(G, cache)
    assert read_wrong_input([run], "x", wrong[0], true["x"], out)[0] == "wrong-input"
    # the same gradients, said to come from another forward (the output doubled): no hypothesis is tested
    assert read_wrong_input([run], "x", wrong[0], true["x"], 2 * out) is None
    # and the true gradient is no hypothesis
    assert read_wrong_input([run], "x", true["x"], true["x"], out) is None


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (2, 0, 3, 1)], ids=["CS231n i, f, o, g", "textbook f, g, i, o"])
def test_the_lstm_reference_backward_is_exact_in_both_gate_orders(order):
    case = _step_case("lstm_step")
    G = np.random.default_rng(2).standard_normal((2, 8))
    out, grads = Runner(LSTM, case, G)(order, None)

    def loss(c: Case) -> float:
        return float(np.sum(G * Runner(LSTM, c, G)(order, None)[0]))

    eps = 1e-6
    for name in ("Wx", "prev_c"):
        p = case.params[name]
        numeric = np.zeros_like(p)
        for k in np.ndindex(p.shape):
            old = p[k]
            p[k] = old + eps
            up = loss(case)
            p[k] = old - eps
            down = loss(case)
            p[k] = old
            numeric[k] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-6, atol=1e-8)


# --- sequences: the same hypotheses at every time step --------------------------------------------------

class TimeRNN_:
    """The textbook's TimeRNN convention, its hidden states stored in float32 as the book's are."""

    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.stateful, self.h, self.dh = stateful, None, None

    def forward(self, xs):
        Wx, Wh, b = self.params
        N, T, _ = xs.shape
        if not self.stateful or self.h is None:
            self.h = np.zeros((N, Wh.shape[0]), dtype="f")
        hs = np.empty((N, T, Wh.shape[0]), dtype="f")
        self.steps = []
        for t in range(T):
            h_prev = self.h
            self.h = hs[:, t] = np.tanh(xs[:, t] @ Wx + h_prev @ Wh + b)
            self.steps.append((xs[:, t], h_prev, hs[:, t]))
        return hs

    def factor(self, h_prev, h):
        return 1 - h ** 2

    def backward(self, dhs):
        Wx, Wh, _ = self.params
        dxs = np.empty((*dhs.shape[:2], Wx.shape[0]), dtype="f")
        totals = [np.zeros_like(p) for p in self.params]
        dh = 0
        for t in reversed(range(dhs.shape[1])):
            x, h_prev, h = self.steps[t]
            dt = (dhs[:, t] + dh) * self.factor(h_prev, h)
            dxs[:, t], dh = dt @ Wx.T, dt @ Wh.T
            for total, value in zip(totals, (x.T @ dt, h_prev.T @ dt, dt.sum(axis=0))):
                total += value
        for grad, total in zip(self.grads, totals):
            grad[...] = total
        self.dh = dh
        return dxs


class TimeRNNAtPrevState(TimeRNN_):
    def factor(self, h_prev, h):
        return 1 - h_prev ** 2


def test_a_float32_time_layer_is_named_too_and_its_correct_twin_passes():
    assert check_entry(entry_for(TimeRNN_, kind="time_rnn"), examples=10, seed=0).verdict == PASS
    report = check_entry(entry_for(TimeRNNAtPrevState, kind="time_rnn"), examples=10, seed=0)
    wrong = [g for g in report.failing.gradients if not g.passed]
    assert {g.precision for g in wrong} == {"float32"}
    assert {g.bug_code for g in wrong} == {"wrong-input"}


def test_a_stateful_call_names_the_carried_states_gradient_too():
    spec = {"N": 2, "T": 3, "D": 4, "H": 5, "scale": 1.0, "seed": 1, "stateful": True}
    report = check_entry(entry_for(TimeRNNAtPrevState, kind="time_rnn"), examples=1, seed=0, replay=[spec])
    assert report.failing.spec["stateful"]
    said = {g.name: g.bug_code for g in report.failing.gradients if not g.passed}
    assert said["dh"] == "wrong-input" and set(said.values()) == {"wrong-input"}
