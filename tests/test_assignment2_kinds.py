"""CS231n assignment 2's layers and the added activations as kinds: layer, spatial batch and group
norm (gamma/beta (C,) or (1, C, 1, 1)), `batchnorm_backward_alt` against `batchnorm_forward`, the
sandwich layers of `layer_utils.py` (conv_relu_pool with both its dicts), GELU and average pooling."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from hypothesis import given, settings

from gradlab.cases.runner import check_entry
from gradlab.cases.strategies import specs
from gradlab.conventions.discover import discover, entry_for
from gradlab.core.results import FAIL, PASS
from gradlab.grading.forward_reference import check_forward
from gradlab.kinds import KINDS, build_case

NEW_KINDS = ("layernorm", "spatial_batchnorm", "spatial_groupnorm", "gelu", "avg_pool", "affine_relu",
             "affine_bn_relu", "affine_ln_relu", "conv_relu", "conv_bn_relu", "conv_relu_pool")


def _groupnorm(x, gamma, beta, G, eps):
    N, C, H, W = x.shape
    g = x.reshape(N, G, -1)
    xhat = ((g - g.mean(axis=2, keepdims=True)) / np.sqrt(g.var(axis=2, keepdims=True) + eps)).reshape(x.shape)
    return xhat, gamma * xhat + beta


def groupnorm_forward_flat(x, gamma, beta, G, gn_param):
    """Written for the 2019 docstring's (C,) gamma: it indexes gamma as one axis."""
    xhat, _ = _groupnorm(x, 0.0, 0.0, G, gn_param.get("eps", 1e-5))
    out = gamma[None, :, None, None] * xhat + beta[None, :, None, None]
    return out, (x, gamma, G, gn_param)


def groupnorm_forward_notebook(x, gamma, beta, G, gn_param):
    """Written for the notebook's (1, C, 1, 1) gamma: gamma broadcasts as it is."""
    _, out = _groupnorm(x, gamma, beta, G, gn_param.get("eps", 1e-5))
    return out, (x, gamma, G, gn_param)


def _groupnorm_backward(dout, cache, keepdims):
    x, gamma, G, gn_param = cache
    N, C, H, W = x.shape
    xhat, _ = _groupnorm(x, 0.0, 0.0, G, gn_param.get("eps", 1e-5))
    g = x.reshape(N, G, -1)
    std = np.sqrt(g.var(axis=2, keepdims=True) + gn_param.get("eps", 1e-5))
    dxhat = (dout * gamma.reshape(1, C, 1, 1)).reshape(N, G, -1)
    xh = xhat.reshape(N, G, -1)
    dx = (dxhat - dxhat.mean(axis=2, keepdims=True) - xh * (dxhat * xh).mean(axis=2, keepdims=True)) / std
    dgamma = np.sum(dout * xhat, axis=(0, 2, 3), keepdims=keepdims)
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=keepdims)
    return dx.reshape(x.shape), dgamma, dbeta


def groupnorm_backward_flat(dout, cache):
    return _groupnorm_backward(dout, cache, keepdims=False)


def groupnorm_backward_notebook(dout, cache):
    return _groupnorm_backward(dout, cache, keepdims=True)


@pytest.mark.parametrize("forward, backward", [
    (groupnorm_forward_flat, groupnorm_backward_flat),
    (groupnorm_forward_notebook, groupnorm_backward_notebook),
], ids=["written-for-C", "written-for-1C11"])
def test_a_correct_group_norm_passes_whichever_gamma_shape_it_was_written_for(forward, backward):
    entry = entry_for(forward, backward, kind="spatial_groupnorm", name="groupnorm")
    report = check_entry(entry, examples=15, seed=0)
    assert report.verdict == PASS, report.bug_codes


def test_a_group_norm_given_the_notebooks_gamma_that_returns_a_flat_dgamma_fails_wrong_shape():
    # gamma - lr * dgamma would be (1, C, 1, C): the right values in a shape no update can use (was a pass)
    entry = entry_for(groupnorm_forward_notebook, groupnorm_backward_flat, kind="spatial_groupnorm", name="groupnorm")
    report = check_entry(entry, examples=15, seed=0)
    assert (report.verdict, report.bug_codes[:1]) == ("fail", ["wrong-shape"])


def test_group_norm_is_given_the_notebooks_gamma_shape_when_it_takes_it():
    kind = KINDS["spatial_groupnorm"]

    @settings(max_examples=10, deadline=None, database=None)
    @given(specs(kind, convention="function"))
    def run(spec):
        case = build_case(kind, spec)
        C = case.x.shape[1]
        assert case.params["gamma"].shape == (1, C, 1, 1)
        assert C % case.hyper["G"] == 0 and case.x.shape[3] not in (C, case.x.shape[2])

    run()


def test_a_group_norm_whose_dgamma_has_the_wrong_size_is_still_wrong():
    def backward(dout, cache):
        dx, dgamma, dbeta = groupnorm_backward_notebook(dout, cache)
        return dx, np.sum(dout * 0 + dgamma, axis=(1,), keepdims=True), dbeta  # summed over channels too

    entry = entry_for(groupnorm_forward_notebook, backward, kind="spatial_groupnorm", name="groupnorm")
    assert check_entry(entry, examples=10, seed=0).verdict == FAIL


def test_spatial_kinds_draw_distinct_channel_height_and_width():
    kind = KINDS["spatial_batchnorm"]

    @settings(max_examples=20, deadline=None, database=None)
    @given(specs(kind, convention="function"))
    def run(spec):
        assert len({spec["C"], spec["H"], spec["W"]}) == 3
        assert spec["N"] * spec["H"] * spec["W"] >= 4

    run()


def _write(tmp_path, source):
    path = tmp_path / "layers.py"
    path.write_text(textwrap.dedent(source))
    return path


def test_batchnorm_backward_alt_is_checked_against_batchnorm_forward(tmp_path):
    path = _write(tmp_path, """
        import numpy as np

        def batchnorm_forward(x, gamma, beta, bn_param):
            mu, var = x.mean(axis=0), x.var(axis=0)
            xhat = (x - mu) / np.sqrt(var + bn_param.get("eps", 1e-5))
            return gamma * xhat + beta, (xhat, gamma, np.sqrt(var + bn_param.get("eps", 1e-5)))

        def batchnorm_backward(dout, cache):
            xhat, gamma, std = cache
            N = dout.shape[0]
            dxhat = dout * gamma
            dx = (N * dxhat - dxhat.sum(axis=0) - xhat * np.sum(dxhat * xhat, axis=0)) / (N * std)
            return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)

        def batchnorm_backward_alt(dout, cache):
            xhat, gamma, std = cache
            dbeta, dgamma = dout.sum(axis=0), np.sum(dout * xhat, axis=0)
            N = dout.shape[0]
            return gamma * (N * dout - dbeta - xhat * dgamma) / std, dgamma, dbeta  # the 1/N forgotten
    """)
    (found,) = discover([path])
    entries = {e.name: e for e in found.entries}
    assert set(entries) == {"batchnorm", "batchnorm_alt"} and not found.skipped
    assert entries["batchnorm_alt"].target[0] is entries["batchnorm"].target[0]
    assert check_entry(entries["batchnorm"], examples=10, seed=0).verdict == PASS
    alt = check_entry(entries["batchnorm_alt"], examples=10, seed=0)
    assert alt.verdict == FAIL and alt.bug_codes[:1] == ["missing-batch-mean"]


def test_conv_relu_pool_gets_its_conv_param_and_its_pool_param(tmp_path):
    seen = []

    def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
        from gradlab.reference.a2_functions import conv_relu_pool_forward as reference
        seen.append((dict(conv_param), dict(pool_param)))
        return reference(x, w, b, conv_param, pool_param)

    from gradlab.reference.a2_functions import conv_relu_pool_backward

    report = check_entry(entry_for(conv_relu_pool_forward, conv_relu_pool_backward), examples=5, seed=0)
    assert report.verdict == PASS
    conv_param, pool_param = seen[0]
    # the course's keys, plus the spellings learners' own models read them by (padding, strides, pool_stride),
    # each the same value as the course's key it spells
    assert {"stride", "pad"} <= set(conv_param) <= {"stride", "pad", "padding", "strides", "pool_stride"}
    assert conv_param.get("padding", conv_param["pad"]) == conv_param["pad"]
    assert {"pool_height", "pool_width", "stride"} <= set(pool_param)
    assert all(pool_param[k] == pool_param["stride"] for k in ("strides", "pool_stride") if k in pool_param)
    assert pool_param["pool_height"] == pool_param["pool_width"] == pool_param["stride"]


@pytest.mark.parametrize("name", NEW_KINDS)
def test_every_new_kind_has_a_caught_and_correctly_named_buggy_variant(name):
    from gradlab.conventions.registry import load_reference

    buggy = [e for e in load_reference().values() if e.kind == name and e.bug is not None]
    assert buggy, f"no buggy variant of {name}"
    report = check_entry(buggy[0], examples=10, seed=0)
    assert report.verdict == FAIL and report.bug_codes[:1] == [buggy[0].bug]


@pytest.mark.parametrize("form", [0, 1, 2], ids=["exact", "tanh", "sigmoid"])
def test_the_grader_accepts_gelu_exact_or_in_either_usual_approximation(form):
    from gradlab.kinds.gelu import gelu_forms

    kind = KINDS["gelu"]
    case = build_case(kind, {"N": 3, "shape": (4,), "seed": 1, "scale": 1.0})
    assert check_forward(kind, case, gelu_forms(case.x)[form]).ok
    assert not check_forward(kind, case, np.tanh(case.x)).ok


def _layernorm_backward_without(path):
    def backward(dout, cache):
        xhat, gamma, std = cache
        dxhat = dout * gamma
        mean_term = dxhat.mean(axis=1, keepdims=True) if path != "mean" else 0.0
        var_term = xhat * np.mean(dxhat * xhat, axis=1, keepdims=True) if path != "variance" else 0.0
        return (dxhat - mean_term - var_term) / std, np.sum(dout * xhat, axis=0), dout.sum(axis=0)
    return backward


@pytest.mark.parametrize("path", ["mean", "variance", "both"])
def test_a_layer_norm_dx_without_the_mean_or_the_variance_path_is_a_dropped_term_naming_it(path):
    from gradlab.reference.a2_functions import layernorm_forward

    backward = _layernorm_backward_without(path) if path != "both" else \
        (lambda dout, cache: (dout * cache[1] / cache[2], np.sum(dout * cache[0], axis=0), dout.sum(axis=0)))
    report = check_entry(entry_for(layernorm_forward, backward, kind="layernorm", name="ln"), examples=15, seed=0)
    assert report.verdict == FAIL and report.bug_codes[:1] == ["dropped-term"]
    said = " ".join(g.diagnosis for g in report.failing.gradients if not g.passed)
    if path != "both":
        assert f"{path}'s path" in said


def test_a_scaled_or_flipped_normalisation_dx_is_not_taken_for_a_dropped_path():
    from gradlab.reference.a2_functions import spatial_batchnorm_backward, spatial_batchnorm_forward

    def flipped(dout, cache):
        dx, dgamma, dbeta = spatial_batchnorm_backward(dout, cache)
        return -dx, dgamma, dbeta

    report = check_entry(entry_for(spatial_batchnorm_forward, flipped), examples=10, seed=0)
    assert report.bug_codes[:1] == ["sign-flip"]
