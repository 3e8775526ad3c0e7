"""The candidate families of session 27 (issue 19: the tenth held-out set's failing layers that got no fix, and the
registry's variants without one): each finds and verifies the fix of a one-bug layer written here, its correct twin
passes and gets no fix, the same layer with a second slip on the same gradients gets none found rather than a guess,
and without the family the right text is not proposed at all.

The layers are written for these tests in the conventions of the courses (CS231n's `(dout, cache)` functions, the
textbook's classes with `self.mask`), not copied from the held-out files, the zoo or a course: each slip is its
family's kind written another way (a keyword of `mean`, not of `sum`; a name a forward binds from a constant, not from
the input's shape; a spatial batch norm's flattening, not a group norm's grouping).
"""

from __future__ import annotations

import ast

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
from gradlab.fixes import families
from gradlab.fixes.accumulated import accumulated_edits
from gradlab.fixes.candidates import candidates
from gradlab.fixes.caps import cap_edits
from gradlab.fixes.crashes import crash_edits
from gradlab.fixes.divide import divide_edits
from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.keepinput import keep_input_edits
from gradlab.fixes.keepshape import keep_shape_edits
from gradlab.fixes.powers import power_edits
from gradlab.fixes.rebuild import apply
from gradlab.fixes.spans import Text
from gradlab.fixes.stable import stable_edits
from gradlab.fixes.strides import stride_edits
from gradlab.fixes.sums import sum_edits
from gradlab.fixes.swaps import swap_edits
from gradlab.fixes.updates import update_edits

LAYERS: dict[str, Layer] = {
    # a reduction's keyword misspelt (numpy's is keepdims): the backward raises TypeError
    "crash-keyword": Layer("temporal_affine", crash_edits, """\
def temporal_affine_forward(x, w, b):
    out = x @ w + b
    return out, (x, w)


def temporal_affine_backward(dout, cache):
    x, w = cache
    dx = dout @ w.T
    dw = np.einsum("ntd,ntm->dm", x, dout)
    db = dout.mean(axis=(0, 1), keepdim=False) * dout.shape[0] * dout.shape[1]
    return dx, dw, db
""", "keepdim=False", "keepdims=False", "dx = dout @ w.T", "dx = dout @ w"),
    # a constant the forward binds, read by the backward where it is not bound: NameError
    "crash-name": Layer("elu", crash_edits, """\
def elu_forward(x):
    alpha = 1.0
    out = np.where(x > 0, x, alpha * (np.exp(x) - 1.0))
    return out, x


def elu_backward(dout, cache):
    x = cache
    slope = np.where(x > 0, 1.0, alpha * np.exp(x))
    return dout * slope
""", "    x = cache\n", "    x = cache\n    alpha = 1.0\n", "return dout * slope", "return dout * slope * 2.0"),
    # numpy's function misspelt in the backward: AttributeError of the module
    "crash-attribute": Layer("Relu", crash_edits, """\
class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        return np.where(self.mask, 0.0, x)

    def backward(self, dout):
        return np.were(self.mask, 0.0, dout)
""", "np.were", "np.where", "0.0, dout)", "0.0, -dout)"),
    # a spatial batch norm's rows counted as N * H, not N * H * W: the reshape raises ValueError
    "crash-reshape": Layer("spatial_batchnorm", crash_edits, """\
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    rows = x.transpose(0, 2, 3, 1).reshape(-1, C)
    mu = rows.mean(axis=0)
    std = np.sqrt(rows.var(axis=0) + bn_param.get("eps", 1e-5))
    xhat = (rows - mu) / std
    out = (gamma * xhat + beta).reshape(N, H, W, C).transpose(0, 3, 1, 2)
    return out, (xhat, gamma, std)


def spatial_batchnorm_backward(dout, cache):
    xhat, gamma, std = cache
    N, C, H, W = dout.shape
    drows = dout.transpose(0, 2, 3, 1).reshape(N * H, C)
    dgamma = (drows * xhat).sum(axis=0)
    dbeta = drows.sum(axis=0)
    dxhat = drows * gamma
    dx = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / std
    return dx.reshape(N, H, W, C).transpose(0, 3, 1, 2), dgamma, dbeta
""", "reshape(N * H, C)", "reshape(-1, C)", "dbeta = drows.sum(axis=0)", "dbeta = drows.sum(axis=0) / N"),
    # tanh written with e^-2x: inf / inf where x is far below 0
    "stable-tanh": Layer("tanh", stable_edits, """\
def tanh_forward(x):
    out = (1.0 - np.exp(-2.0 * x)) / (1.0 + np.exp(-2.0 * x))
    return out, out


def tanh_backward(dout, cache):
    out = cache
    return dout * (1.0 - out * out)
""", "(1.0 - np.exp(-2.0 * x)) / (1.0 + np.exp(-2.0 * x))", "np.tanh(x)", "(1.0 - out * out)", "(1.0 - out)"),
    # softplus as log1p of e^x: inf where x is beyond 709
    "stable-softplus": Layer("Softplus", stable_edits, """\
class Softplus:
    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        return np.log1p(np.exp(x))

    def backward(self, dout):
        return dout / (1.0 + np.exp(-self.x))
""", "np.log1p(np.exp(x))", "np.logaddexp(0, x)", "dout / (1.0", "dout * 0.5 / (1.0"),
    # the logistic function as e^x / (1 + e^x): inf / inf beyond 709
    "stable-logistic": Layer("Sigmoid", stable_edits, """\
class Sigmoid:
    def __init__(self):
        self.y = None

    def forward(self, x):
        self.y = np.exp(x) / (1 + np.exp(x))
        return self.y

    def backward(self, dout):
        return dout * self.y * (1 - self.y)
""", "np.exp(x) / (1 + np.exp(x))", "np.exp(-np.logaddexp(0, -x))", "dout * self.y * (1", "dout * (1"),
    # an LSTM step's gate blocks put together as i, f, g, o where forward split them as i, f, o, g
    "swap": Layer("lstm_step", swap_edits, """\
def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    a = x @ Wx + prev_h @ Wh + b
    ai, af, ao, ag = np.split(a, 4, axis=1)
    i, f, o = 1 / (1 + np.exp(-ai)), 1 / (1 + np.exp(-af)), 1 / (1 + np.exp(-ao))
    g = np.tanh(ag)
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    t = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1 - t * t)
    dai = dc * g * i * (1 - i)
    daf = dc * prev_c * f * (1 - f)
    dao = dnext_h * t * o * (1 - o)
    dag = dc * i * (1 - g * g)
    da = np.concatenate([dai, daf, dag, dao], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)
""", "[dai, daf, dag, dao]", "[dai, daf, dao, dag]", "dc * f, x.T", "dnext_c * f, x.T"),
    # a layer norm's dgamma left per sample, (N, D), where the sum over the batch, (D,), belongs
    "sum": Layer("layernorm", sum_edits, """\
def layernorm_forward(x, gamma, beta, ln_param):
    mu = x.mean(axis=1, keepdims=True)
    sd = np.sqrt(x.var(axis=1, keepdims=True) + ln_param.get("eps", 1e-5))
    xhat = (x - mu) / sd
    return gamma * xhat + beta, (xhat, gamma, sd)


def layernorm_backward(dout, cache):
    xhat, gamma, sd = cache
    dgamma = dout * xhat
    dbeta = dout.sum(axis=0)
    g = dout * gamma
    dx = (g - g.mean(axis=1, keepdims=True) - xhat * (g * xhat).mean(axis=1, keepdims=True)) / sd
    return dx, dgamma, dbeta
""", "dgamma = dout * xhat", "dgamma = (dout * xhat).sum(axis=0)", "(g - g.mean(axis=1, keepdims=True) - xhat",
        "(g - xhat"),
    # a dense layer that flattens its input and keeps no record of its shape: dx comes back (N, D)
    "keep-shape": Layer("Dense", keep_shape_edits, """\
# gradlab: kind=affine
class Dense:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.flat = self.dW = self.db = None

    def forward(self, x):
        self.flat = x.reshape(len(x), -1)
        return self.flat @ self.W + self.b

    def backward(self, dout):
        self.dW = self.flat.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T
""", """        self.flat = x.reshape(len(x), -1)
        return self.flat @ self.W + self.b

    def backward(self, dout):
        self.dW = self.flat.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T
""", """        self.x_shape = x.shape
        self.flat = x.reshape(len(x), -1)
        return self.flat @ self.W + self.b

    def backward(self, dout):
        self.dW = self.flat.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.x_shape)
""", "self.dW = self.flat.T @ dout", "self.dW = 0.5 * self.flat.T @ (dout + 1.0)"),
    # a ReLU6 written with minimum and maximum, whose backward's mask forgot the cap
    "cap": Layer("relu6", cap_edits, """\
def relu6_forward(x):
    out = np.minimum(np.maximum(x, 0.0), 6.0)
    return out, x


def relu6_backward(dout, cache):
    x = cache
    return dout * (x > 0.0)
""", "dout * (x > 0.0)", "dout * ((x > 0.0) & (x < 6.0))", "return dout", "return 2 * dout"),
    # a loss that divides by the batch on its one-hot path and forgets it on its class-index path, which ends in an
    # indexed write no factor can join
    "divide": Layer("SoftmaxCE", divide_edits, """\
# gradlab: kind=softmax_with_loss
class SoftmaxCE:
    def __init__(self):
        self.p = self.t = None

    def forward(self, x, t):
        z = x - x.max(axis=1, keepdims=True)
        self.p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        self.t = t
        n = x.shape[0]
        if t.ndim == 1:
            return -np.log(self.p[np.arange(n), t]).mean()
        return -(t * np.log(self.p)).sum() / n

    def backward(self, dout=1):
        n = self.p.shape[0]
        if self.t.ndim == 2:
            dx = (self.p - self.t) / n
        else:
            dx = self.p.copy()
            dx[np.arange(n), self.t] -= 1
        return dx * dout
""", "            dx[np.arange(n), self.t] -= 1\n",
        "            dx[np.arange(n), self.t] -= 1\n            dx = dx / n\n",
        "return dx * dout", "return dx * dout * 2"),
    # (the stride family, widened) a max pool's window starts bound as the output's indices alone
    "stride-tuple": Layer("max_pool", stride_edits, """\
def max_pool_forward_naive(x, pool_param):
    k, kw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    out = np.empty((N, C, (H - k) // s + 1, (W - kw) // s + 1))
    for a in range(out.shape[2]):
        for b in range(out.shape[3]):
            out[:, :, a, b] = x[:, :, a * s:a * s + k, b * s:b * s + kw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    k, kw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for a in range(dout.shape[2]):
        for b in range(dout.shape[3]):
            top, left = a, b
            win = x[:, :, top:top + k, left:left + kw]
            hit = win == win.max(axis=(2, 3), keepdims=True)
            dx[:, :, top:top + k, left:left + kw] += hit * dout[:, :, a, b][:, :, None, None]
    return dx
""", "top, left = a, b", "top, left = a * s, b * s", "hit * dout", "hit * 2 * dout"),
    # GELU's tanh form in class style, the cube's derivative without its 3
    "power": Layer("GELU", power_edits, """\
class GELU:
    def __init__(self):
        self.x = self.t = None

    def forward(self, x):
        k = np.sqrt(2.0 / np.pi)
        self.x = x
        self.t = np.tanh(k * (x + 0.044715 * x ** 3))
        return 0.5 * x * (1.0 + self.t)

    def backward(self, dout):
        k = np.sqrt(2.0 / np.pi)
        x, t = self.x, self.t
        du = k * (1.0 + 0.044715 * x ** 2)
        return dout * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du)
""", "0.044715 * x ** 2", "3 * 0.044715 * x ** 2", "(0.5 * (1.0 + t) +", "((1.0 + t) +"),
    # a tanh whose forward keeps only its output, and whose backward recomputes tanh at it
    "keep-input": Layer("Tanh", keep_input_edits, """\
class Tanh:
    def __init__(self):
        self.y = None

    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout / np.cosh(self.y) ** 2
""", """        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout / np.cosh(self.y) ** 2
""", """        self.x = x
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout / np.cosh(self.x) ** 2
""", "return dout /", "return 2 * dout /"),
}

#: slips whose edit an existing family writes, but too late for the budget before this session: reductions over the
#: batch axis 0 where samples are coupled now come first, wherever they are (a helper's softmax), and a tuple of axes
#: with 0 among them is offered without it (generator None: the rule of `candidates`); an update with a step size of
#: its own in backward is taken out by the update family among the first candidates, not late as any statement is
EARLY_LAYERS: dict[str, Layer] = {
    # a softmax loss normalised over the batch, in a helper the loss function calls
    "batch-axis-helper": Layer("softmax_loss", None, """\
def _probabilities(scores):
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=0, keepdims=True)


def softmax_loss(x, y):
    n = x.shape[0]
    p = _probabilities(x)
    loss = -np.log(p[np.arange(n), y]).sum() / n
    dx = p.copy()
    dx[np.arange(n), y] -= 1.0
    dx = dx / n
    return loss, dx
""", "e.sum(axis=0, keepdims=True)", "e.sum(axis=1, keepdims=True)", "dx = dx / n", "dx = dx / n / n"),
    # a group norm's variance taken over the batch too
    "batch-axis-tuple": Layer("GroupNorm", None, """\
class GroupNorm:
    def __init__(self, gamma, beta, G, eps=1e-5):
        self.gamma, self.beta, self.G, self.eps = gamma, beta, G, eps
        self.xhat = self.inv = self.dgamma = self.dbeta = None

    def forward(self, x):
        n, c, h, w = x.shape
        xg = x.reshape(n, self.G, c // self.G, h, w)
        centred = xg - xg.mean(axis=(2, 3, 4), keepdims=True)
        self.inv = 1.0 / np.sqrt((centred ** 2).mean(axis=(0, 2, 3, 4), keepdims=True) + self.eps)
        self.xhat = centred * self.inv
        return self.gamma * self.xhat.reshape(x.shape) + self.beta

    def backward(self, dout):
        self.dgamma = (dout * self.xhat.reshape(dout.shape)).sum(axis=(0, 2, 3), keepdims=True)
        self.dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
        dxhat = (dout * self.gamma).reshape(self.xhat.shape)
        dx = self.inv * (dxhat - dxhat.mean(axis=(2, 3, 4), keepdims=True)
                         - self.xhat * (dxhat * self.xhat).mean(axis=(2, 3, 4), keepdims=True))
        return dx.reshape(dout.shape)
""", "mean(axis=(0, 2, 3, 4), keepdims=True) + self.eps", "mean(axis=(2, 3, 4), keepdims=True) + self.eps",
        "self.dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)",
        "self.dbeta = 2 * dout.sum(axis=(0, 2, 3), keepdims=True)"),
    # an SGD step with a step size of its own inside a backward that is given no learning rate, on a weight the
    # backward unpacks from the second volume's `self.params` (an update of `self.W` the order family takes out)
    "update": Layer("Linear", update_edits, """\
# gradlab: kind=affine
class Linear:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        W, b = self.params
        self.x = x
        return x @ W + b

    def backward(self, dout):
        W, b = self.params
        dW = self.x.T @ dout
        W -= 0.1 * dW
        dx = dout @ W.T
        self.grads[0][...] = dW
        self.grads[1][...] = dout.sum(axis=0)
        return dx
""", "        W -= 0.1 * dW\n", "", "dx = dout @ W.T", "dx = dout @ W"),
}
#: the nnfs book's gradients (dvalues in, dinputs out) read as gradients by every family, the mask's too
EARLY_LAYERS["nnfs-gradient-names"] = Layer("Activation_ReLU", None, """\
class Activation_ReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.where(inputs > 0, inputs, 0.0)

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
""", "self.dinputs = dvalues.copy()", "self.dinputs = (dvalues * (self.inputs > 0)).copy()",
    "self.output = np.where(inputs > 0, inputs, 0.0)", "self.output = np.where(inputs > 0, inputs, 0.01 * inputs)")
# the swap family's LSTM step, its gates in order, with the raw upstream dnext_c read where dc, which adds the path
# through next_h into it, belongs (a reference the reference family may reach too, far later)
EARLY_LAYERS["accumulated"] = Layer(
    "lstm_step", accumulated_edits,
    LAYERS["swap"].source.replace("[dai, daf, dag, dao]", "[dai, daf, dao, dag]")
    .replace("dc * f, x.T", "dnext_c * f, x.T"),
    "dnext_c * f, x.T", "dc * f, x.T", "[dai, daf, dao, dag]", "[dai, daf, dag, dao]")
ALL = {**LAYERS, **EARLY_LAYERS}


#: candidates the search for a two-slip layer may try: well past where each one-slip layer's fix is found (within its
#: first thirty), and a tenth of the search's budget, so that an LSTM's none-found costs seconds, not a minute
SECOND_SLIP_BUDGET = 40


@pytest.mark.parametrize("family", sorted(ALL))
def test_a_one_bug_layer_of_each_new_family_gets_the_right_line_as_a_verified_fix(family, tmp_path):
    # found among the first candidates (SECOND_SLIP_BUDGET relies on it)
    assert_the_right_text_is_the_verified_fix(tmp_path, family, ALL[family], tried_at_most=30)


@pytest.mark.parametrize("family", sorted(ALL))
def test_the_correct_twin_of_each_layer_passes_and_gets_no_fix(family, tmp_path):
    assert_the_correct_twin_gets_no_fix(tmp_path, family, ALL[family])


# the accumulated layer with its second slip is the swap layer with its own, the same text: searched once
# the default run tries one family in four (every family with --thorough): each exhausts its search budget
@pytest.mark.sample(by=lambda family: [f for f in sorted(ALL) if f != "accumulated"].index(family) // 4)
@pytest.mark.parametrize("family", [f for f in sorted(ALL) if f != "accumulated"])
def test_a_second_slip_on_the_same_gradients_gets_none_found_rather_than_a_guess(family, tmp_path):
    layer = ALL[family]
    assert family != "swap" or layer.source.replace(layer.second, layer.second_slipped, 1) == \
        ALL["accumulated"].source.replace(ALL["accumulated"].second, ALL["accumulated"].second_slipped, 1)
    assert_a_second_slip_gets_none_found(tmp_path, family, layer, SECOND_SLIP_BUDGET)


@pytest.mark.sample(every=4)  # one family in four by position: each family's fix is tested above either way
@pytest.mark.parametrize("family", sorted(LAYERS))
def test_without_its_family_the_right_text_is_not_proposed(family, tmp_path, monkeypatch):
    # the keep families write two lines, which the pairs could write only from two partial repairs, and no edit of
    # one method alone repairs dx
    lines = 2 if family.startswith("keep-") else 1
    assert_not_proposed_without_its_family(tmp_path, family, LAYERS[family], monkeypatch, lines)


@pytest.mark.parametrize("family", sorted(EARLY_LAYERS))
def test_the_right_edit_is_tried_among_the_first_where_it_was_tried_late_or_never(family, tmp_path, monkeypatch):
    # the right text among the first candidates; without the rule that puts it first (or its family), far behind them
    layer = EARLY_LAYERS[family]
    site, report = site_of(tmp_path, family, layer)

    def rank() -> int:
        return next(i for i, (_, cand) in enumerate(candidates(site, report)) if apply(site.text, cand) == layer.fixed)

    assert rank() < 10
    if family == "nnfs-gradient-names":
        assert is_gradient("dvalues") and is_gradient("dinputs") and not is_gradient("dropout")
        return
    if layer.generator is None:
        assert "couples-samples" in report.bug_codes, report.bug_codes
        monkeypatch.setattr(candidates_module, "_off_batch_axis", lambda source, cand: False)
    else:
        monkeypatch.setattr(families, "GENERATORS", tuple(g for g in families.GENERATORS if g is not layer.generator))
    assert rank() > 10


def test_an_update_by_the_learning_rate_backward_is_given_is_not_offered_for_deletion(tmp_path):
    # the convention `backward(grad, learning_rate)` updates inside backward by design: its step is the caller's
    source = EARLY_LAYERS["update"].source.replace("def backward(self, dout):", "def backward(self, dout, lr):")
    tree = ast.parse(source.replace("W -= 0.1 * dW", "W -= lr * dW"))
    func = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "backward")
    ctx = Context(Text(source))
    assert not [c for st in func.body for c in update_edits(st, ctx, func)]
    # the same line with the step size written in it is offered
    tree = ast.parse(EARLY_LAYERS["update"].source)
    func = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "backward")
    assert [c for st in func.body for c in update_edits(st, Context(Text(EARLY_LAYERS["update"].source)), func)]
