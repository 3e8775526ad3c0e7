"""The normalisations' forward laws (issue 14): in training each normalised group's outputs are γ·(x − mean)/σ
+ β with the group's own statistics. A forward over the wrong groups with a backward to match passes every
gradient check; the law catches it and says what it normalised over, and every published convention passes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import entry_for
from gradlab.conventions.registry import load_reference
from gradlab.core.messages import explain
from gradlab.core.results import FAIL, PASS
from gradlab.kinds import KINDS

EXAMPLES = 20


def _check(layer, backward=None, *, kind):
    return check_entry(entry_for(layer, backward, kind=kind), examples=EXAMPLES, seed=0)


# ---------------------------------------------------------------------------------------------------------
# a normalisation over any groups, forward and backward alike (so that every gradient agrees with it)


def _normalise(view, axes, *, ddof=0, eps=1e-5, eps_outside=False, dtype=np.float64):
    """x laid out by `view(x)`, normalised over `axes` of that layout, and back in x's shape; with the backward
    of exactly that forward."""

    def forward(x):
        y = view(x).astype(dtype)
        m = np.prod([y.shape[a] for a in axes])
        var = y.var(axis=axes, keepdims=True, ddof=ddof)
        std = np.sqrt(var) + eps if eps_outside else np.sqrt(var + eps)
        yhat = (y - y.mean(axis=axes, keepdims=True)) / std
        # d std / d var, times d var / d y = 2 (y - mean) / (m - ddof): the variance path's factor on yhat
        k = (m / (m - ddof)) * (std / np.sqrt(var) if eps_outside else 1.0)
        return yhat.reshape(x.shape), (yhat, std, k)

    def backward(dxhat, saved):
        yhat, std, k = saved
        d = dxhat.reshape(yhat.shape)
        mean = lambda a: a.mean(axis=axes, keepdims=True)  # noqa: E731
        return ((d - mean(d) - yhat * mean(d * yhat) * k) / std).reshape(dxhat.shape)

    return forward, backward


def _norm_class(view, axes, *, groups=False, running=False, **options):
    """A class-style norm (γ, β per channel on axis 1) over `axes` of `view(x)`."""
    forward, backward = _normalise(view, axes, **options)

    def spread(p, x):
        return p.reshape((1, -1) + (1,) * (x.ndim - 2))

    class Norm:
        def __init__(self, gamma, beta, G=None):
            self.gamma, self.beta, self.G = gamma, beta, G
            self.running_mean = None

        def forward(self, x, train_flg=True):
            xhat, self.saved = forward(x)
            if running:  # bookkeeping only: the training output never reads it
                mu = x.mean(axis=0)
                self.running_mean = mu if self.running_mean is None else 0.9 * self.running_mean + 0.1 * mu
            self.xhat = xhat
            return spread(self.gamma, x) * xhat + spread(self.beta, x)

        def backward(self, dout):
            sums = (0,) + tuple(range(2, dout.ndim))
            self.dgamma = np.sum(dout * self.xhat, axis=sums).reshape(self.gamma.shape)
            self.dbeta = dout.sum(axis=sums).reshape(self.beta.shape)
            return backward(dout * spread(self.gamma, dout), self.saved)

    if groups:  # the group count comes from the layer, so the view reads it there
        g_forward = Norm.forward

        def grouped(self, x, train_flg=True):
            nonlocal forward, backward
            forward, backward = _normalise(lambda a: view(a, self.G), axes, **options)
            return g_forward(self, x, train_flg)

        Norm.forward = grouped
    return Norm


def _rows(x):
    return x


def _channels_last(x):
    return x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])


def _grouped(x, G):
    N, C = x.shape[:2]
    return x.reshape(N, G, C // G, *x.shape[2:])


def _strided(x, G):
    N, C = x.shape[:2]
    return x.reshape(N, C // G, G, *x.shape[2:])


def _positions(x, G):  # each position's C / G channels of a group, not H and W
    N, C = x.shape[:2]
    return x.reshape(N, G, C // G, -1)


# ---------------------------------------------------------------------------------------------------------
# 1. every published convention obeys the law


CONVENTIONS = {"cs231n": {}, "unbiased-variance": {"ddof": 1}, "eps-1e-7": {"eps": 1e-7}, "eps-1e-8": {"eps": 1e-8},
               "eps-1e-3": {"eps": 1e-3}, "no-eps": {"eps": 0.0},
               "eps-outside-sqrt": {"eps_outside": True, "eps": 1e-7}, "running-stats": {"running": True},
               "float32-inside": {"dtype": np.float32}}
RIGHT = {"batchnorm": (_rows, (0,), {}), "layernorm": (_rows, (1,), {}),
         "spatial_batchnorm": (lambda x: x, (0, 2, 3), {}),
         "spatial_groupnorm": (_grouped, (2, 3, 4), {"groups": True})}


# the default run checks a diagonal of the grid: each convention with one kind, each kind in two or three conventions
@pytest.mark.sample(keep=lambda kind, convention: (list(RIGHT).index(kind) + list(CONVENTIONS).index(convention))
                    % len(RIGHT) == 0)
@pytest.mark.parametrize("convention", CONVENTIONS)
@pytest.mark.parametrize("kind", RIGHT)
def test_a_normalisation_over_its_own_groups_obeys_the_law_in_every_published_convention(kind, convention):
    view, axes, extra = RIGHT[kind]
    report = _check(_norm_class(view, axes, **extra, **CONVENTIONS[convention]), kind=kind)
    assert report.verdict == PASS, explain(report)


def test_a_spatial_batch_norm_written_over_channels_last_obeys_the_law():
    forward, backward = _normalise(_channels_last, (0,))

    def spatial_batchnorm_forward(x, gamma, beta, bn_param):
        flat, saved = forward(x)  # each column of x.transpose(0, 2, 3, 1).reshape(-1, C) is one channel
        xhat = flat.reshape(x.shape[0], *x.shape[2:], x.shape[1]).transpose(0, 3, 1, 2)
        return gamma.reshape(1, -1, 1, 1) * xhat + beta.reshape(1, -1, 1, 1), (saved, xhat, gamma)

    def spatial_batchnorm_backward(dout, cache):
        saved, xhat, gamma = cache
        dxhat = _channels_last(dout * gamma.reshape(1, -1, 1, 1))
        dx = backward(dxhat, saved).reshape(dout.shape[0], *dout.shape[2:], dout.shape[1]).transpose(0, 3, 1, 2)
        return dx, np.sum(dout * xhat, axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))

    report = _check(spatial_batchnorm_forward, spatial_batchnorm_backward, kind="spatial_batchnorm")
    assert report.verdict == PASS, explain(report)


def test_a_group_norm_taking_gamma_of_shape_c_only_obeys_the_law():
    class GroupNorm(_norm_class(_grouped, (2, 3, 4), groups=True)):
        def __init__(self, gamma, beta, G):
            assert gamma.ndim == 1, "this layer indexes gamma[None, :, None, None]"
            super().__init__(gamma, beta, G)

    report = _check(GroupNorm, kind="spatial_groupnorm")
    assert report.verdict == PASS, explain(report)


def test_the_references_and_the_textbooks_flattening_batch_norm_obey_the_law():
    reference = load_reference()
    names = ["BatchNormalization", "batchnorm", "batchnorm_alt", "LayerNorm", "layernorm", "SpatialBatchNorm",
             "spatial_batchnorm", "GroupNorm", "spatial_groupnorm", "affine_bn_relu", "affine_ln_relu", "conv_bn_relu"]
    for name in names:
        report = check_entry(reference[name], examples=EXAMPLES, seed=0)
        assert report.verdict == PASS, (name, explain(report))
    # the textbook flattens (N, C, H, W) to (N, C*H*W): on images it is a batch norm per position, and right
    x = np.random.default_rng(0).standard_normal((400, 2, 3, 4))
    layer = reference["BatchNormalization"].target(np.full(24, 2.0), np.full(24, 0.5))
    out = layer.forward(x).reshape(400, -1)
    assert np.allclose(out.mean(axis=0), 0.5) and np.allclose(out.std(axis=0), 2.0, rtol=1e-4)


# ---------------------------------------------------------------------------------------------------------
# 2. the wrong groups, with a backward to match: caught by the law alone, and named


WRONG = [
    ("layernorm", _norm_class(_rows, (0,)), "each feature over the batch: that is batch norm"),
    ("batchnorm", _norm_class(_rows, (1,)), "each sample over its features: that is layer norm"),
    ("spatial_batchnorm", _norm_class(lambda x: x.reshape(x.shape[0], -1), (0,)),
     "each channel at each position over the batch alone"),
    ("spatial_batchnorm", _norm_class(lambda x: x.reshape(-1, x.shape[1]), (0,)), "the columns of x.reshape(-1, C)"),
    ("spatial_batchnorm", _norm_class(lambda x: x, (2, 3)), "that is instance norm"),
    ("spatial_groupnorm", _norm_class(lambda x, G: x, (2, 3), groups=True), "that is instance norm"),
    ("spatial_groupnorm", _norm_class(lambda x, G: x, (1, 2, 3), groups=True), "that is layer norm (one group)"),
    ("spatial_groupnorm", _norm_class(_strided, (1, 3, 4), groups=True), "groups of channels c, c + G, c + 2G"),
    ("spatial_groupnorm", _norm_class(_positions, (2,), groups=True),
     "each position of a group over the group's C/G channels alone, not over H and W"),
    ("spatial_groupnorm", _norm_class(lambda x, G: x, (0, 2, 3), groups=True), "that is spatial batch norm"),
]


@pytest.mark.parametrize(("kind", "layer", "said"), WRONG, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(WRONG)])
def test_a_normalisation_over_the_wrong_groups_with_a_matching_backward_is_named_by_what_it_normalised_over(
        kind, layer, said):
    report = _check(layer, kind=kind)
    assert report.verdict == FAIL and report.bug_codes == ["couples-samples"], explain(report)
    assert report.failing is not None
    assert said in report.failing.findings[0].message
    assert all(g.passed for g in report.failing.gradients)  # only the law could tell


@pytest.mark.parametrize(("kind", "layer", "said"), WRONG[1:4] + WRONG[5:9], ids=[
    "bn-as-ln", "sbn-position", "sbn-unmoved", "gn-instance", "gn-one-group", "gn-strided", "gn-positions"])
def test_without_its_forward_law_a_normalisation_over_the_wrong_groups_would_pass(monkeypatch, kind, layer, said):
    # (a layer norm over the batch needs no law: the per-sample check sees one sample's output move with another's)
    monkeypatch.setitem(KINDS, kind, replace(KINDS[kind], forward_law=None))
    assert _check(layer, kind=kind).verdict == PASS


ZOO = ["LayerNormOverBatch", "layernorm_over_batch_axis", "SpatialBatchNormPerPosition",
       "spatial_batchnorm_channels_unmoved", "GroupNormPerChannel", "spatial_groupnorm_strided_groups"]


@pytest.mark.parametrize("name", ZOO)
def test_each_zoo_normalisation_over_the_wrong_groups_is_caught_with_its_code(name):
    entry = load_reference()[name]
    report = check_entry(entry, examples=EXAMPLES, seed=0)
    assert report.verdict == FAIL and report.bug_codes == [entry.bug] == ["couples-samples"], explain(report)


def test_a_group_norm_that_forgets_to_centre_breaks_the_law_saying_which_group_and_by_how_much():
    class NotCentred(_norm_class(_grouped, (2, 3, 4), groups=True)):
        def forward(self, x, train_flg=True):
            groups = _grouped(x, self.G)
            self.xhat = (groups / np.sqrt(groups.var(axis=(2, 3, 4), keepdims=True) + 1e-5)).reshape(x.shape)
            C = x.shape[1]  # BUG (in forward, backward not asked): the mean is never subtracted
            return self.gamma.reshape(1, C, 1, 1) * self.xhat + self.beta.reshape(1, C, 1, 1)

    report = _check(NotCentred, kind="spatial_groupnorm")
    assert report.verdict == FAIL and report.bug_codes[0] == "mismatch"
    message = report.failing.findings[0].message
    assert "group" in message and "has (out − β)/γ of mean" in message and "where 0 and 1 belong" in message


# ---------------------------------------------------------------------------------------------------------
# 3. the sandwiches: their inner norm's law, read where the ReLU lets it through


def _sandwich(pre, norm_view, axes, sums, **options):
    """relu(norm(pre(x)) · γ + β), the norm over `axes` of `norm_view(a)`, with its backward (function style)."""
    forward, backward = _normalise(norm_view, axes, **options)

    def spread(p, a):
        return p.reshape((1, -1) + (1,) * (a.ndim - 2))

    def sandwich_forward(x, w, b, gamma, beta, *dicts):
        a, pre_back = pre(x, w, b, dicts)
        ahat, saved = forward(a)
        out = np.maximum(spread(gamma, a) * ahat + spread(beta, a), 0.0)
        return out, (pre_back, ahat, saved, gamma, out > 0)

    def sandwich_backward(dout, cache):
        pre_back, ahat, saved, gamma, kept = cache
        d = dout * kept
        da = backward(d * spread(gamma, d), saved)
        return (*pre_back(da), np.sum(d * ahat, axis=sums), d.sum(axis=sums))

    return sandwich_forward, sandwich_backward


def _affine(x, w, b, dicts):
    return x @ w + b, lambda da: (da @ w.T, x.T @ da, da.sum(axis=0))


def _conv1x1_or_k(x, w, b, dicts):
    """A stride-1 convolution (conv_param's pad) and its backward, by windows."""
    pad = dicts[0]["pad"]
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(padded, w.shape[2:], axis=(2, 3))
    a = np.einsum("nchwij,fcij->nfhw", win, w) + b.reshape(1, -1, 1, 1)

    def back(da):
        dpadded = np.zeros_like(padded)
        K, L = w.shape[2:]
        for i in range(K):
            for j in range(L):
                dpadded[:, :, i:i + da.shape[2], j:j + da.shape[3]] += np.einsum("nfhw,fc->nchw", da, w[:, :, i, j])
        dx = dpadded[:, :, pad:padded.shape[2] - pad, pad:padded.shape[3] - pad]
        return dx, np.einsum("nchwij,nfhw->fcij", win, da), da.sum(axis=(0, 2, 3))

    return a, back


SANDWICHES = [
    ("affine_bn_relu", _sandwich(_affine, _rows, (1,), 0), "each sample over its features: that is layer norm"),
    ("affine_ln_relu", _sandwich(_affine, _rows, (0,), 0), "each feature over the batch: that is batch norm"),
    ("conv_bn_relu", _sandwich(_conv1x1_or_k, lambda a: a.reshape(a.shape[0], -1), (0,), (0, 2, 3)),
     "each channel at each position over the batch alone"),
]


@pytest.mark.parametrize(("kind", "pair", "said"), SANDWICHES, ids=[k for k, _, _ in SANDWICHES])
def test_a_sandwich_whose_inner_norm_takes_the_wrong_groups_is_named_by_its_inner_law(kind, pair, said):
    report = _check(*pair, kind=kind)
    assert report.verdict == FAIL and report.bug_codes == ["couples-samples"], explain(report)
    assert said in report.failing.findings[0].message
    assert all(g.passed for g in report.failing.gradients)


@pytest.mark.parametrize(("kind", "right"), [
    ("affine_bn_relu", _sandwich(_affine, _rows, (0,), 0, ddof=1)),
    ("affine_ln_relu", _sandwich(_affine, _rows, (1,), 0, eps=1e-8)),
    ("conv_bn_relu", _sandwich(_conv1x1_or_k, lambda a: a, (0, 2, 3), (0, 2, 3), eps_outside=True)),
], ids=["affine_bn_relu-unbiased", "affine_ln_relu-eps-1e-8", "conv_bn_relu-eps-outside"])
def test_a_sandwich_whose_inner_norm_is_right_passes_its_law(kind, right):
    report = _check(*right, kind=kind)
    assert report.verdict == PASS, explain(report)
