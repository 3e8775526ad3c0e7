"""The candidate families of session 28 (issue 19: the registry's variants no family reached, and the eleventh held-out
set's failing layers that got no fix): each finds and verifies the fix of a one-bug layer written here, its correct
twin passes and gets no fix, the same layer with a second slip on the same gradients gets none found rather than a
guess, and without the family the right text is not proposed at all.

The layers are written for these tests in the conventions of the courses (CS231n's `(dout, cache)` functions and
their sandwich layers, the second volume's classes built of smaller layers), not copied from the held-out files, the
zoo or a course: each slip is its family's kind written another way (a weight's gradient thrown away in a sandwich
layer, not a first hidden state's in a time layer; a residual block's inner path, not a bidirectional layer's; a cell
state handed on as zeros in a function, not as 0 in a class; a sigmoid's derivative in a tanh layer, not in an LSTM's
tanh gate; a ReLU6's mask read at the attribute forward kept, not at a name).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

import pytest
from fix_layers import (
    Layer,
    assert_a_second_slip_gets_none_found,
    assert_not_proposed_without_its_family,
    assert_the_correct_twin_gets_no_fix,
    assert_the_right_text_is_the_verified_fix,
    site_of,
)

from gradlab.fixes import candidates as candidates_module
from gradlab.fixes import context as context_module
from gradlab.fixes import search as search_module
from gradlab.fixes.branches import branch_edits
from gradlab.fixes.candidates import candidates
from gradlab.fixes.caps import cap_edits
from gradlab.fixes.centre import centre_edits
from gradlab.fixes.derivatives import derivative_edits
from gradlab.fixes.expressions import Context
from gradlab.fixes.joins import join_edits
from gradlab.fixes.keepoutput import keep_output_edits
from gradlab.fixes.permutes import permute_edits
from gradlab.fixes.rebuild import Edit, apply
from gradlab.fixes.spans import Text
from gradlab.fixes.statistics import sibling_axis_edits
from gradlab.fixes.unread import unread_edits

#: candidates the search for a two-slip layer may try: past where each one-slip layer's fix is found (within its first
#: thirty), so that a time layer's none-found costs seconds, not a minute
SECOND_SLIP_BUDGET = 40

#: the residual block's slip: the call whose result is dropped, down to the return that should read it
_RES_SLIP = ("        self.fc1.backward(dh)\n"
             "        self.dW1, self.db1, self.dW2, self.db2 = self.fc1.dW, self.fc1.db, self.fc2.dW, self.fc2.db\n"
             "        return ds\n")

#: the dropout's slip: the complement of the keep probability, from forward's division down to backward's
_DROPOUT_SLIP = """\
        out = x * mask / (1 - p)
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    p = dropout_param["p"]
    if dropout_param["mode"] == "train":
        return dout * mask / (1 - p)
"""

#: the dense layer's slip: its input centred, from forward's centring down to backward's
_CENTRE_SLIP = """\
        self.xc = x - np.mean(x, axis=0)
        return self.xc @ self.W + self.b

    def backward(self, dout):
        self.dW = self.xc.T @ dout
        self.db = dout.sum(axis=0)
        g = dout @ self.W.T
        return g - np.mean(g, axis=0)
"""

_SIGMOID_SOURCE = """\
class Sigmoid:
    def forward(self, x):
        self.x = x
        return 1.0 / (1.0 + np.exp(-x))

    def backward(self, dout):
        return dout * self.x * (1.0 - self.x)
"""

#: the sigmoid's slip: its output returned unkept, down to the backward that needs it
_SIGMOID_SLIP = """\
        return 1.0 / (1.0 + np.exp(-x))

    def backward(self, dout):
        return dout * self.x * (1.0 - self.x)
"""

#: the layer norm's slip: the batch's axis handed to the helpers, from forward's call down to backward's
_AXIS_SLIP = """\
    xhat, std = _standardise(x, axis=0, eps=ln_param.get("eps", 1e-5))
    return gamma * xhat + beta, (xhat, std, gamma)


def layernorm_backward(dout, cache):
    xhat, std, gamma = cache
    dx = _standardise_back(dout * gamma, xhat, std, axis=0)
"""

#: an LSTM in CS231n's functions, its step's gradient and the sequence's cell state both carried: two families slip it
_LSTM = """\
def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o, g = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    tc = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1 - tc ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * prev_c * f * (1 - f), dnext_h * tc * o * (1 - o),
                    dc * i * (1 - g ** 2)])
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def lstm_forward(x, h0, Wx, Wh, b):
    h, c = h0, np.zeros_like(h0)
    hs, caches = [], []
    for t in range(x.shape[1]):
        h, c, cache = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        hs.append(h)
        caches.append(cache)
    return np.stack(hs, axis=1), caches


def lstm_backward(dh, cache):
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dWx, dWh, db = 0, 0, 0
    dprev_h = dprev_c = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dprev_h, np.zeros((N, H)),
                                                                            cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dprev_h, dWx, dWh, db
"""

LAYERS: dict[str, Layer] = {
    # a sandwich layer's weight gradient thrown away (`_`) and zeros returned for it
    "unread-slot": Layer("affine_relu", unread_edits, """\
def affine_forward(x, w, b):
    return x @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    dx, _, db = affine_backward(da, fc_cache)
    return dx, np.zeros_like(fc_cache[1]), db
""", "    dx, _, db = affine_backward(da, fc_cache)\n    return dx, np.zeros_like(fc_cache[1]), db\n",
        "    dx, dw, db = affine_backward(da, fc_cache)\n    return dx, dw, db\n",
        "da = relu_backward(dout, relu_cache)", "da = dout"),
    # a sandwich layer that unpacks its ReLU's cache and never reads it: the upstream gradient handed to the affine
    # layer's backward as it came, past the ReLU
    "unread-cache": Layer("affine_relu", unread_edits, """\
def affine_forward(x, w, b):
    return x @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    return np.where(x > 0, x, 0.0), x


def relu_backward(dout, cache):
    return np.where(cache > 0, dout, 0.0)


def affine_relu_forward(x, w, b):
    a, affine_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (affine_cache, relu_cache)


def affine_relu_backward(dout, cache):
    affine_cache, relu_cache = cache
    return affine_backward(dout, affine_cache)
""", "return affine_backward(dout, affine_cache)",
        "return affine_backward(relu_backward(dout, relu_cache), affine_cache)",
        "return dout @ w.T, x.T @ dout", "return dout @ w, x.T @ dout"),
    # a residual block's inner path computed by its first layer's backward and dropped: only the skip path returned
    "unread-call": Layer("SkipBlock", unread_edits, """\
class Dense:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return dout @ self.W.T


class ReLU:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, dout):
        return dout * self.mask


# gradlab: kind=residual_block
class SkipBlock:
    def __init__(self, W1, b1, W2, b2):
        self.W1, self.b1, self.W2, self.b2 = W1, b1, W2, b2
        self.fc1, self.relu, self.fc2, self.out_relu = Dense(W1, b1), ReLU(), Dense(W2, b2), ReLU()

    def forward(self, x):
        h = self.relu.forward(self.fc1.forward(x))
        return self.out_relu.forward(x + self.fc2.forward(h))

    def backward(self, dout):
        ds = self.out_relu.backward(dout)
        dh = self.relu.backward(self.fc2.backward(ds))
        self.fc1.backward(dh)
        self.dW1, self.db1, self.dW2, self.db2 = self.fc1.dW, self.fc1.db, self.fc2.dW, self.fc2.db
        return ds
""", _RES_SLIP, _RES_SLIP.replace("        self.fc1", "        ds_fc1 = self.fc1")
        .replace("return ds\n", "return ds + ds_fc1\n"),
        "dh = self.relu.backward(self.fc2.backward(ds))", "dh = self.fc2.backward(ds)"),
    # a time layer's cell-state gradient bound at every step and never handed to the step before: zeros instead
    "unread-carry": Layer("lstm", unread_edits, _LSTM, "dh[:, t] + dprev_h, np.zeros((N, H)),",
                          "dh[:, t] + dprev_h, dprev_c,",
        "da @ Wh.T, dc * f, x.T @ da", "da @ Wh.T, dc, x.T @ da"),
    # a tanh's backward written with a sigmoid's derivative at its output
    "derivative": Layer("tanh", derivative_edits, """\
def tanh_forward(x):
    out = np.tanh(x)
    return out, (x, out)


def tanh_backward(dout, cache):
    x, out = cache
    return dout * out * (1 - out)
""", "return dout * out * (1 - out)", "return dout * (1 - out ** 2)", "return out, (x, out)", "return out, (out, x)"),
    # a ReLU6 whose mask is written at the array forward kept (self.inp), with ReLU's bound only
    "cap-kept": Layer("ReLU6", cap_edits, """\
class ReLU6:
    def forward(self, x):
        self.inp = x
        return np.clip(x, 0.0, 6.0)

    def backward(self, dout):
        return np.where(self.inp > 0.0, dout, 0.0)
""", "np.where(self.inp > 0.0, dout", "np.where((self.inp > 0.0) & (self.inp < 6.0), dout",
        "return np.where(self.inp > 0.0, dout, 0.0)", "return np.where(self.inp > 0.0, 1.0, 0.0)"),
    # a bias gradient bound to a local where the class keeps its gradients in private attributes (self._db)
    "target-spelt": Layer("Dense", None, """\
class Dense:
    def __init__(self, W, b):
        self._W, self._b = W, b
        self._dW = self._db = None

    def forward(self, x):
        self._x = x
        return x @ self._W + self._b

    def backward(self, dout):
        self._dW = self._x.T @ dout
        db = dout.sum(axis=0)
        return dout @ self._W.T
""", "        db = dout.sum(axis=0)\n", "        self._db = dout.sum(axis=0)\n",
        "self._dW = self._x.T @ dout", "self._dW = dout.T @ self._x"),
    # an ELU whose derivative below zero lost the alpha its forward scales that side by
    "branch": Layer("ELU", branch_edits, """\
class ELU:
    def __init__(self, alpha=0.5):
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * (np.exp(np.minimum(x, 0.0)) - 1.0))

    def backward(self, dout):
        return dout * np.where(self.x > 0, 1.0, np.exp(np.minimum(self.x, 0.0)))
""", "1.0, np.exp(np.minimum(self.x, 0.0)))", "1.0, self.alpha * np.exp(np.minimum(self.x, 0.0)))",
        "return dout * np.where(", "return np.where("),
    # CS231n's dropout (p the keep probability) dividing by the drop probability 1 - p in forward and backward alike:
    # gradients right for its forward, the forward's law wrong; the fix changes the forward, judged by that law
    "complement-together": Layer("dropout", None, """\
def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    out = x
    if mode == "train":
        mask = np.random.rand(*x.shape) < p
        out = x * mask / (1 - p)
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    p = dropout_param["p"]
    if dropout_param["mode"] == "train":
        return dout * mask / (1 - p)
    return dout
""", _DROPOUT_SLIP, _DROPOUT_SLIP.replace("/ (1 - p)", "/ p"), "return dout * mask / (1 - p)",
        "return dout / (1 - p)"),
    # a dense layer that centres its input by the batch's mean (np.mean written as a function) and undoes it in
    # backward alike: gradients right for its forward, the samples coupled
    "uncentred-together": Layer("Dense", None, """\
class Dense:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.xc = x - np.mean(x, axis=0)
        return self.xc @ self.W + self.b

    def backward(self, dout):
        self.dW = self.xc.T @ dout
        self.db = dout.sum(axis=0)
        g = dout @ self.W.T
        return g - np.mean(g, axis=0)
""", _CENTRE_SLIP, _CENTRE_SLIP.replace(" - np.mean(x, axis=0)", "").replace(
            "return g - np.mean(g, axis=0)", "return g"), "self.db = dout.sum(axis=0)", "self.db = dout.sum(axis=1)"),
    # a sigmoid that keeps its input alone and writes the derivative at it, where the output it returns belongs
    "keep-output": Layer("Sigmoid", keep_output_edits, _SIGMOID_SOURCE, _SIGMOID_SLIP,
                         _SIGMOID_SLIP.replace("        return 1.0", "        self.out = 1.0")
        .replace("(-x))\n", "(-x))\n        return self.out\n")
        .replace("self.x * (1.0 - self.x)", "self.out * (1.0 - self.out)"),
        "(1.0 - self.x)", "(1.0 + self.x)"),
    # an LSTM step whose gate gradients are stacked as rows where they sit side by side: the product then crashes
    "join-axis": Layer("lstm_step", join_edits, _LSTM.replace("np.hstack([dc * g", "np.vstack([dc * g"),
                       "np.vstack([dc * g", "np.hstack([dc * g",
                       "da @ Wh.T, dc * f, x.T @ da", "da @ Wh.T, dc, x.T @ da"),
    # a layer norm whose variance is taken over the batch's axis beside a mean over the features
    "sibling-axis": Layer("layernorm", sibling_axis_edits, """\
def layernorm_forward(x, gamma, beta, ln_param):
    mu = np.mean(x, axis=1, keepdims=True)
    var = np.var(x, axis=0, keepdims=True)
    inv = 1.0 / np.sqrt(var + ln_param.get("eps", 1e-5))
    xhat = (x - mu) * inv
    return gamma * xhat + beta, (xhat, inv, gamma)


def layernorm_backward(dout, cache):
    xhat, inv, gamma = cache
    D = xhat.shape[1]
    dxhat = dout * gamma
    dx = inv / D * (D * dxhat - dxhat.sum(axis=1, keepdims=True) - xhat * (dxhat * xhat).sum(axis=1, keepdims=True))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)
""", "var = np.var(x, axis=0, keepdims=True)", "var = np.var(x, axis=1, keepdims=True)",
        "return dx, (dout * xhat).sum(axis=0)", "return dx, (dout * xhat).sum(axis=1)"),
    # a time layer's upstream gradient turned time-major before it is flattened batch-major, as forward flattened x
    "permute": Layer("temporal_affine", permute_edits, """\
def temporal_affine_forward(x, w, b):
    return x @ w + b, (x, w)


def temporal_affine_backward(dout, cache):
    x, w = cache
    N, T, D = x.shape
    g = dout.swapaxes(0, 1).reshape(N * T, -1)
    dx = (g @ w.T).reshape(N, T, D)
    dw = x.reshape(N * T, D).T @ g
    return dx, dw, g.sum(axis=0)
""", "g = dout.swapaxes(0, 1).reshape(N * T, -1)", "g = dout.reshape(N * T, -1)",
        "dw = x.reshape(N * T, D).T @ g", "dw = g.T @ x.reshape(N * T, D)"),
    # a batch norm whose variance's path is subtracted without the normalised input it projects on
    "centre-projection": Layer("BatchNorm", centre_edits, """\
class BatchNorm:
    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = gamma, beta, eps

    def forward(self, x, train_flg=True):
        mu = x.mean(axis=0)
        self.inv = 1.0 / np.sqrt(x.var(axis=0) + self.eps)
        self.xhat = (x - mu) * self.inv
        return self.gamma * self.xhat + self.beta

    def backward(self, dout):
        self.dgamma = (dout * self.xhat).sum(axis=0)
        self.dbeta = dout.sum(axis=0)
        dxhat = dout * self.gamma
        return self.inv * (dxhat - dxhat.mean(axis=0) - (dxhat * self.xhat).mean(axis=0))
""", "- (dxhat * self.xhat).mean(axis=0))", "- self.xhat * (dxhat * self.xhat).mean(axis=0))",
        "return self.inv * (", "return (1.0 / self.inv) * ("),
    # a layer norm whose forward and backward hand their helpers the batch's axis: a batch norm (samples coupled)
    "passed-axis": Layer("layernorm", None, """\
def _standardise(x, axis, eps):
    mu = x.mean(axis=axis, keepdims=True)
    std = np.sqrt(x.var(axis=axis, keepdims=True) + eps)
    return (x - mu) / std, std


def _standardise_back(dxhat, xhat, std, axis):
    n = xhat.shape[axis]
    return (n * dxhat - dxhat.sum(axis=axis, keepdims=True)
            - xhat * (dxhat * xhat).sum(axis=axis, keepdims=True)) / (n * std)


def layernorm_forward(x, gamma, beta, ln_param):
    xhat, std = _standardise(x, axis=0, eps=ln_param.get("eps", 1e-5))
    return gamma * xhat + beta, (xhat, std, gamma)


def layernorm_backward(dout, cache):
    xhat, std, gamma = cache
    dx = _standardise_back(dout * gamma, xhat, std, axis=0)
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)
""", _AXIS_SLIP, _AXIS_SLIP.replace("axis=0, eps", "axis=1, eps").replace("std, axis=0)", "std, axis=1)"),
        "return dx, (dout * xhat).sum(axis=0)", "return dx, (dout * xhat).sum(axis=1)"),
}


@pytest.mark.parametrize("family", sorted(LAYERS))
def test_a_one_bug_layer_of_each_new_family_gets_the_right_text_as_a_verified_fix(family, tmp_path):
    assert_the_right_text_is_the_verified_fix(tmp_path, family, LAYERS[family], tried_at_most=30)


@pytest.mark.parametrize("family", sorted(LAYERS))
def test_the_correct_twin_of_each_layer_passes_and_gets_no_fix(family, tmp_path):
    assert_the_correct_twin_gets_no_fix(tmp_path, family, LAYERS[family])


# the default run tries one family in four (every family with --thorough): each exhausts its search budget
@pytest.mark.sample(by=lambda family: sorted(LAYERS).index(family) // 4)
@pytest.mark.parametrize("family", sorted(LAYERS))
def test_a_second_slip_on_the_same_gradients_gets_none_found_rather_than_a_guess(family, tmp_path):
    assert_a_second_slip_gets_none_found(tmp_path, family, LAYERS[family], SECOND_SLIP_BUDGET)


@pytest.mark.sample(every=4)  # one family in four by position: each family's fix is tested above either way
@pytest.mark.parametrize("family", sorted(LAYERS))
def test_without_its_family_the_right_text_is_not_proposed(family, tmp_path, monkeypatch):
    # a value thrown away needs a name and a read of it, an axis handed to two helpers two literals: two lines,
    # neither of which repairs a gradient alone
    lines = 2 if family in ("unread-slot", "unread-call", "passed-axis", "complement-together",
                            "uncentred-together", "keep-output") else 1
    assert_not_proposed_without_its_family(tmp_path, family, LAYERS[family], monkeypatch, lines, REMOVERS.get(family))


def _without_passed_axes(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(candidates_module, "passed_axis_edits", lambda site: iter(()))


def _without_complements_together(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(candidates_module, "complement_together", lambda scopes: iter(()))


def _without_uncentring_together(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(candidates_module, "uncentred_together", lambda scopes: iter(()))


def _without_failing_names(mp: pytest.MonkeyPatch) -> None:
    # the statement family's store into an attribute spells it as the check names the failing gradient: without
    # those names it writes only self.db
    mp.setattr(context_module, "_failing", lambda report: ())


#: the families that are not a statement's generator of their own, and how each is taken out
REMOVERS = {"passed-axis": _without_passed_axes, "target-spelt": _without_failing_names,
            "complement-together": _without_complements_together,
            "uncentred-together": _without_uncentring_together}


#: a loss whose helper sums where the kind's loss is the mean, its backward dividing by N as the mean's would: the
#: loss is N times the reference's, so only an edit of the forward can be a fix
_SUMMED_LOSS = Layer("SoftmaxWithLoss", None, """\
def _nll(probs, labels):
    picked = probs[np.arange(labels.shape[0]), labels]
    return -np.log(picked).sum()


class SoftmaxWithLoss:
    def forward(self, x, t):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.p = e / e.sum(axis=1, keepdims=True)
        self.t = t
        return _nll(self.p, t)

    def backward(self, dout=1):
        g = self.p.copy()
        g[np.arange(self.t.shape[0]), self.t] -= 1
        return dout * g / self.t.shape[0]
""", "return -np.log(picked).sum()", "return -np.log(picked).mean()", "", "")


def test_a_loss_off_its_reference_has_the_edits_of_its_forward_tried_before_those_of_its_backward(tmp_path):
    site, report = site_of(tmp_path, "forward-first", _SUMMED_LOSS)

    def rank(stream: Iterator[tuple[bool, tuple[Edit, ...]]]) -> int:
        return next(i for i, (_, cand) in enumerate(stream) if apply(site.text, cand) == _SUMMED_LOSS.fixed)

    # the diagnosis (extra-batch-mean) ranks the backward's divisions first; none can bring the forward to the mean
    assert rank(search_module._forward_first(site, report)) < 50 < 100 < rank(candidates(site, report))
    assert_the_right_text_is_the_verified_fix(tmp_path, "forward-first", _SUMMED_LOSS, tried_at_most=50)


def test_the_output_is_not_kept_in_a_class_other_classes_of_the_file_inherit_from():
    # the held-out b094's shape: a base whose backward feeds its input to each subclass's derivative; keeping the
    # output there would fix the sigmoid's wrong derivative and break every other subclass (a tanh's)
    source = _SIGMOID_SOURCE.replace("class Sigmoid:", "class Base:")
    inherited = source + "\n\nclass Tanh(Base):\n    pass\n"
    for text, offered in ((source, True), (inherited, False)):
        tree = ast.parse(text)
        func = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "backward")
        ctx = Context(Text(text), in_class=True)
        assert bool([c for st in func.body for c in keep_output_edits(st, ctx, func)]) is offered
