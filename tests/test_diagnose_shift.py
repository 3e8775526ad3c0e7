"""A gradient that is the true one moved by a few positions (a padded gradient cropped off by the pad) holds the right
values at the wrong positions: `misrouted`, said with the move. The search's smallest case may be too small to show
it (one pixel), so the largest failing case it met is shown when that one names a code more precise than mismatch."""

from __future__ import annotations

import numpy as np

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import entry_for
from gradlab.core.diagnose_shift import shifted
from gradlab.core.results import PASS


def _conv_pair(crop_from_pad: bool):
    """A naive convolution written with explicit loops over the output; its backward crops the padded input's
    gradient at `pad` (right) or at 0 (the slip)."""

    def conv_forward_naive(x, w, b, conv_param):
        s, p = conv_param["stride"], conv_param["pad"]
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        n, _, hp, wp = xp.shape
        f, _, kh, kw = w.shape
        ho, wo = 1 + (hp - kh) // s, 1 + (wp - kw) // s
        out = np.zeros((n, f, ho, wo))
        for i in range(ho):
            for j in range(wo):
                window = xp[:, :, i * s:i * s + kh, j * s:j * s + kw]
                out[:, :, i, j] = np.einsum("nchw,fchw->nf", window, w) + b
        return out, (x, w, b, conv_param)

    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        s, p = conv_param["stride"], conv_param["pad"]
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        dxp, dw = np.zeros_like(xp), np.zeros_like(w)
        _, _, kh, kw = w.shape
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                window = xp[:, :, i * s:i * s + kh, j * s:j * s + kw]
                dw += np.einsum("nf,nchw->fchw", dout[:, :, i, j], window)
                dxp[:, :, i * s:i * s + kh, j * s:j * s + kw] += np.einsum("nf,fchw->nchw", dout[:, :, i, j], w)
        h, wd = x.shape[2], x.shape[3]
        start = p if crop_from_pad else 0
        return dxp[:, :, start:start + h, start:start + wd], dw, dout.sum(axis=(0, 2, 3))

    return conv_forward_naive, conv_backward_naive


def test_a_padded_gradient_cropped_from_0_is_misrouted_by_the_pad_and_its_twin_passes():
    wrong = check_entry(entry_for(*_conv_pair(False), kind="conv"), examples=30, seed=0)
    assert wrong.bug_codes == ["misrouted"], wrong.bug_codes
    said = " ".join(g.diagnosis for g in wrong.failing.gradients if not g.passed)
    assert "moved by" in said and "pad" in said
    assert check_entry(entry_for(*_conv_pair(True), kind="conv"), examples=30, seed=0).verdict == PASS


def test_a_move_is_named_only_where_the_moved_values_agree_exactly():
    rng = np.random.default_rng(0)
    n = rng.standard_normal((2, 1, 4, 4))
    a = np.zeros_like(n)
    a[:, :, 1:, 1:] = n[:, :, :-1, :-1]
    assert shifted("dx", a, n) is not None
    assert shifted("dx", a + 1e-3 * rng.standard_normal(a.shape), n) is None  # nearly moved is not moved
    assert shifted("dx", 2 * n, n) is None


def test_a_gradient_of_equal_values_is_not_taken_for_a_moved_one():
    n = np.ones((1, 1, 3, 3))
    a = n.copy()
    a[:, :, 0, :] = 0.0  # wrong on one row; moved by a row, the rest agrees, but so it does unmoved
    assert shifted("dx", a, n) is None
