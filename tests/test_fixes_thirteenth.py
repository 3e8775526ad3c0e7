"""The candidate families of session 30 (issue 19: the held-out bar): each finds and verifies the fix of a one-bug layer
written here, its correct twin passes and gets no fix, the same layer with a second slip on the same gradients gets
none found rather than a guess, and without the family the right text is not proposed at all.

The layers are written for these tests, two styles a family (CS231n's `(dout, cache)` functions, with and without
branches on the mode; classes keeping their arrays in attributes), not copied from the zoo or a course: a dropout's
keep ratio the backward reads from the settings dict the forward unpacked as a pair; one term of a product rule
written without its constant; a channels-last permutation undone in the wrong order; a scalar the forward scales by
(a square root of a size, a mean's count) left out of the backward; one side of an `np.where` short of a setting.
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
)

from gradlab.fixes import context, families, statements
from gradlab.fixes.inverses import inverse_edits
from gradlab.fixes.scales import forward_factor_edits
from gradlab.fixes.terms import term_factor_edits

LAYERS: dict[str, Layer] = {
    # CS231n-style dropout whose settings are unpacked as a pair; the backward, on its training path, forgets 1 / p
    "setting-pair-branches": Layer("dropout", None, """\
def dropout_forward(x, dropout_param):
    keep, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = np.random.rand(*x.shape) < keep
        out = x * mask / keep
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        dx = dout * mask
    else:
        dx = dout
    return dx
""", "dx = dout * mask\n", 'dx = dout * mask / dropout_param["p"]\n',
        "dx = dout * mask\n", "dx = -dout * mask\n"),
    # the same slip in a dropout with no test-time path, its settings a pair of the ratio and the seed
    "setting-pair-flat": Layer("dropout", None, """\
def dropout_forward(x, dropout_param):
    rate, seed = dropout_param["p"], dropout_param.get("seed")
    if seed is not None:
        np.random.seed(seed)
    kept = np.random.rand(*x.shape) < rate
    return x * kept / rate, (kept, dropout_param)


def dropout_backward(dout, cache):
    kept, dropout_param = cache
    return dout * kept
""", "return dout * kept\n", 'return dout * kept / dropout_param["p"]\n',
        "return dout * kept\n", "return dout * ~kept\n"),
    # a class GELU (tanh form) whose product rule's second term lost the 0.5 its first term carries
    "term-factor-gelu": Layer("GELU", term_factor_edits, """\
class GELU:
    def forward(self, x):
        self.x = x
        self.th = np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))
        return 0.5 * x * (1 + self.th)

    def backward(self, dout):
        dinner = np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * self.x ** 2)
        local = 0.5 * (1 + self.th) + self.x * (1 - self.th ** 2) * dinner
        return dout * local
""", "+ self.x * (1 - self.th ** 2) * dinner", "+ 0.5 * self.x * (1 - self.th ** 2) * dinner",
        "dinner = np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * self.x ** 2)",
        "dinner = np.sqrt(2 / np.pi) * (1 + 0.044715 * self.x ** 2)"),
    # a function swish written with tanh (sigmoid(x) = (1 + tanh(x / 2)) / 2): its second term's quarter taken as half
    "term-factor-swish": Layer("swish", term_factor_edits, """\
def swish_forward(x):
    t = np.tanh(x / 2)
    return x * 0.5 * (1 + t), (x, t)


def swish_backward(dout, cache):
    x, t = cache
    dx = dout * (0.5 * (1 + t) + x * 0.5 * (1 - t ** 2))
    return dx
""", "x * 0.5 * (1 - t ** 2)", "x * 0.25 * (1 - t ** 2)",
        "dx = dout * (", "dx = -dout * ("),
    # CS231n's spatial batch norm written with np.transpose: backward moves the channels last in another order
    "inverse-function": Layer("spatial_batchnorm", inverse_edits, """\
def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    flat = np.transpose(x, (0, 2, 3, 1)).reshape(-1, C)
    var = flat.var(axis=0)
    xhat = (flat - flat.mean(axis=0)) / np.sqrt(var + eps)
    out = (gamma * xhat + beta).reshape(N, H, W, C)
    return np.transpose(out, (0, 3, 1, 2)), (xhat, gamma, var, eps)


def spatial_batchnorm_backward(dout, cache):
    xhat, gamma, var, eps = cache
    N, C, H, W = dout.shape
    g = np.transpose(dout, (0, 3, 2, 1)).reshape(-1, C)
    M = g.shape[0]
    dxhat = g * gamma
    dflat = (M * dxhat - dxhat.sum(axis=0) - xhat * np.sum(dxhat * xhat, axis=0)) / (M * np.sqrt(var + eps))
    return np.transpose(dflat.reshape(N, H, W, C), (0, 3, 1, 2)), np.sum(g * xhat, axis=0), np.sum(g, axis=0)
""", "np.transpose(dout, (0, 3, 2, 1))", "np.transpose(dout, (0, 2, 3, 1))",
        "dxhat = g * gamma", "dxhat = g"),
    # a class that does the same with the method: its dx turned back to channels-first in another order
    "inverse-class": Layer("SpatialBatchNorm", inverse_edits, """\
class SpatialBatchNorm:
    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = gamma, beta, eps
        self.dgamma = self.dbeta = None

    def forward(self, x):
        self.shape = x.shape
        rows = x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])
        self.std = np.sqrt(rows.var(axis=0) + self.eps)
        self.xhat = (rows - rows.mean(axis=0)) / self.std
        n, c, h, w = x.shape
        return (self.gamma * self.xhat + self.beta).reshape(n, h, w, c).transpose(0, 3, 1, 2)

    def backward(self, dout):
        n, c, h, w = self.shape
        g = dout.transpose(0, 2, 3, 1).reshape(-1, c)
        self.dgamma = (g * self.xhat).sum(axis=0)
        self.dbeta = g.sum(axis=0)
        d = g * self.gamma
        drows = (d - d.mean(axis=0) - self.xhat * (d * self.xhat).mean(axis=0)) / self.std
        return drows.reshape(n, h, w, c).transpose(0, 3, 2, 1)
""", "drows.reshape(n, h, w, c).transpose(0, 3, 2, 1)", "drows.reshape(n, h, w, c).transpose(0, 3, 1, 2)",
        "d = g * self.gamma", "d = g"),
    # an attention function whose scores were divided by sqrt(dim): the scores' gradient is not
    "forward-factor-function": Layer("dot_product_attention", forward_factor_edits, """\
def dot_product_attention_forward(q, k, v):
    dim = q.shape[2]
    logits = q @ k.transpose(0, 2, 1) / np.sqrt(dim)
    e = np.exp(logits - logits.max(axis=2, keepdims=True))
    attn = e / e.sum(axis=2, keepdims=True)
    return attn @ v, (q, k, v, attn)


def dot_product_attention_backward(dout, cache):
    q, k, v, attn = cache
    dv = attn.transpose(0, 2, 1) @ dout
    dattn = dout @ v.transpose(0, 2, 1)
    dlogits = attn * (dattn - (attn * dattn).sum(axis=2, keepdims=True))
    return dlogits @ k, dlogits.transpose(0, 2, 1) @ q, dv
""", "dattn = dout @ v.transpose(0, 2, 1)\n", "dattn = dout @ v.transpose(0, 2, 1) / np.sqrt(q.shape[2])\n",
        "dattn - (attn * dattn)", "dattn + (attn * dattn)"),
    # a global average pool class that spreads dout over the positions without the mean's 1 / (H * W)
    "forward-factor-class": Layer("GlobalAvgPool", forward_factor_edits, """\
class GlobalAvgPool:
    def forward(self, x):
        self.in_shape = x.shape
        return np.mean(x, axis=(2, 3))

    def backward(self, dout):
        return np.ones(self.in_shape) * dout[:, :, np.newaxis, np.newaxis]
""", "return np.ones(self.in_shape) * dout[:, :, np.newaxis, np.newaxis]\n",
        "return np.ones(self.in_shape) * dout[:, :, np.newaxis, np.newaxis] / (self.in_shape[2] * self.in_shape[3])\n",
        "np.ones(self.in_shape)", "np.ones(self.in_shape) * 3"),
    # a class CELU whose negative side's derivative lost the 1 / alpha
    "where-factor-class": Layer("CELU", None, """\
class CELU:
    def __init__(self, alpha=0.5):
        self.alpha = alpha

    def forward(self, x):
        self.neg = x <= 0
        self.y = np.where(self.neg, self.alpha * (np.exp(np.minimum(x, 0) / self.alpha) - 1), x)
        return self.y

    def backward(self, dy):
        return dy * np.where(self.neg, self.y + self.alpha, 1.0)
""", "np.where(self.neg, self.y + self.alpha, 1.0)", "np.where(self.neg, (self.y + self.alpha) / self.alpha, 1.0)",
        "return dy * np.where", "return -dy * np.where"),
    # the same in CS231n's functions, alpha a default of the forward kept in the cache
    "where-factor-function": Layer("celu", None, """\
def celu_forward(x, alpha=0.5):
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha))
    return out, (x, out, alpha)


def celu_backward(dout, cache):
    x, out, alpha = cache
    dx = dout * np.where(x > 0, 1.0, out + alpha)
    return dx
""", "np.where(x > 0, 1.0, out + alpha)", "np.where(x > 0, 1.0, (out + alpha) / alpha)",
        "dx = dout * np.where", "dx = np.where"),
}


def _without_where(monkeypatch: pytest.MonkeyPatch) -> None:
    """The factor edits of whole values and sums only, none of an `np.where`'s sides."""
    monkeypatch.setattr(statements, "where_sides", lambda value, ctx: iter(()))


def _without_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings read as before: a forward's `p = d["p"]` alone, never a pair `p, mode = d["p"], d["mode"]`; and
    without the forward-factor family, which writes the same keep ratio from the forward's division by it."""
    monkeypatch.setattr(context, "_pairs_of", lambda target, value: [(target.id, value)]
                        if isinstance(target, ast.Name) else [])
    monkeypatch.setattr(families, "GENERATORS", tuple(g for g in families.GENERATORS if g is not forward_factor_edits))


@pytest.mark.parametrize("family", sorted(LAYERS))
def test_a_one_bug_layer_gets_the_right_text_as_its_verified_fix(family, tmp_path):
    assert_the_right_text_is_the_verified_fix(tmp_path, family, LAYERS[family])


@pytest.mark.parametrize("family", sorted(LAYERS))
def test_the_correct_twin_passes_and_gets_no_fix(family, tmp_path):
    assert_the_correct_twin_gets_no_fix(tmp_path, family, LAYERS[family])


# the default run tries one family in four (every family with --thorough): each exhausts its search budget
@pytest.mark.sample(by=lambda family: sorted(LAYERS).index(family) // 4)
@pytest.mark.parametrize("family", sorted(LAYERS))
def test_a_second_slip_on_the_same_gradients_gets_none_found_rather_than_a_guess(family, tmp_path):
    assert_a_second_slip_gets_none_found(tmp_path, family, LAYERS[family])


@pytest.mark.sample(every=4)  # one family in four by position: each family's fix is tested above either way
@pytest.mark.parametrize("family", sorted(LAYERS))
def test_without_the_family_the_right_text_is_not_proposed(family, tmp_path, monkeypatch):
    layer = LAYERS[family]
    remove = None if layer.generator is not None else _without_where if "where" in family else _without_pairs
    assert_not_proposed_without_its_family(tmp_path, family, layer, monkeypatch, remove=remove)


def test_a_dropout_whose_training_path_lacks_its_keep_ratio_is_fixed_on_that_path_not_where_the_paths_join(tmp_path):
    # `return dx / p` passes the check, which trains only; at test time it would scale the identity's gradient
    from fix_layers import search
    layer = LAYERS["setting-pair-branches"]
    fix = search(tmp_path, "setting-pair-branches", layer, layer.source)
    assert fix is not None and fix.status == "verified" and "return dx /" not in fix.new_text, fix and fix.diff
