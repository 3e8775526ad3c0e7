"""The candidate families of session 31 for the new kinds' single edits (issue 19): each finds and verifies the fix of
a one-bug layer written here, its correct twin passes and gets no fix, the same layer with a second slip on the same
gradient gets none found rather than a guess, and without the family the right text is not proposed at all.

The layers are written for these tests (CS231n's `(dout, cache)` functions, classes keeping their arrays or settings in
attributes under their own names), not copied from the zoo or a course: a padding's gradient cut from the corner; an
identity's gradient left as zeros; a dilation read back on one axis of two; an upsampling's gradient taken from one
cell of each block; a global pooling's gradient left in the pooled shape.
"""

from __future__ import annotations

import pytest
from fix_layers import (
    Layer,
    assert_a_second_slip_gets_none_found,
    assert_not_proposed_without_its_family,
    assert_the_correct_twin_gets_no_fix,
    assert_the_right_text_is_the_verified_fix,
)

from gradlab.fixes.blocks import block_sum_edits
from gradlab.fixes.crop import crop_edits
from gradlab.fixes.dilation import dilation_edits
from gradlab.fixes.spread import spread_edits
from gradlab.fixes.upstream import upstream_edits

LAYERS: dict[str, Layer] = {
    # a padding's backward that cuts the padded size less both borders from the top-left corner
    "crop-corner": Layer("pad2d", crop_edits, """\
def pad2d_forward(x, pad):
    out = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    return out, pad


def pad2d_backward(dout, cache):
    pad = cache
    H, W = dout.shape[2], dout.shape[3]
    dx = dout[:, :, :H - 2 * pad, :W - 2 * pad]
    return dx
""", "dout[:, :, :H - 2 * pad, :W - 2 * pad]", "dout[:, :, pad:H - pad, pad:W - pad]", "return dx", "return -dx"),
    # an identity activation whose backward allocates its gradient and never passes the upstream one on
    "upstream-ones": Layer("IdentityActivation", upstream_edits, """\
class IdentityActivation:
    def forward(self, z):
        self.z = z
        return z

    def backward(self, da):
        dz = np.zeros_like(self.z)
        return dz
""", "np.zeros_like(self.z)", "da * np.ones_like(self.z)", "return dz", "return dz / 2"),
    # a zero-insertion upsampling read back at its stride along the height alone
    "dilation": Layer("Upsample2d", dilation_edits, """\
class Upsample2d:
    def __init__(self, upsampling_factor):
        self.k = upsampling_factor

    def forward(self, A):
        N, C, H, W = A.shape
        Z = np.zeros((N, C, self.k * (H - 1) + 1, self.k * (W - 1) + 1))
        Z[..., ::self.k, ::self.k] = A
        return Z

    def backward(self, dLdZ):
        dLdA = dLdZ[..., ::self.k]
        return dLdA
""", "dLdZ[..., ::self.k]", "dLdZ[..., ::self.k, ::self.k]", "return dLdA", "return -dLdA"),
    # a nearest-neighbour upsampling by repeat whose backward keeps the gradient of each block's first cell
    "block-sum": Layer("NearestUpsample", block_sum_edits, """\
class NearestUpsample:
    def __init__(self, scale_factor=2):
        self.scale = scale_factor

    def forward(self, x):
        return x.repeat(self.scale, axis=2).repeat(self.scale, axis=3)

    def backward(self, grad):
        dx = grad[:, :, ::self.scale, ::self.scale]
        return dx
""", "grad[:, :, ::self.scale, ::self.scale]",
        "sum(grad[:, :, i::self.scale, j::self.scale] for i in range(self.scale) for j in range(self.scale))",
        "return dx", "return -dx"),
    # a global average pooling whose backward shares the gradient out but never over the positions
    "spread": Layer("gap", spread_edits, """\
def gap_forward(x):
    cache = x.shape
    return x.mean(axis=(2, 3)), cache


def gap_backward(dout, cache):
    N, C, H, W = cache
    dx = dout[:, :, None, None] / (H * W)
    return dx
""", "dout[:, :, None, None] / (H * W)", "dout[:, :, None, None] / (H * W) * np.ones((N, C, H, W))",
        "return dx", "return -dx"),
}


@pytest.mark.parametrize("family", sorted(LAYERS))
def test_a_one_bug_layer_gets_the_right_text_as_its_verified_fix(family, tmp_path):
    assert_the_right_text_is_the_verified_fix(tmp_path, family, LAYERS[family])


@pytest.mark.parametrize("family", sorted(LAYERS))
def test_the_correct_twin_passes_and_gets_no_fix(family, tmp_path):
    assert_the_correct_twin_gets_no_fix(tmp_path, family, LAYERS[family])


@pytest.mark.parametrize("family", sorted(LAYERS))
def test_a_second_slip_on_the_same_gradient_gets_none_found_rather_than_a_guess(family, tmp_path):
    assert_a_second_slip_gets_none_found(tmp_path, family, LAYERS[family])


@pytest.mark.parametrize("family", sorted(LAYERS))
def test_without_the_family_the_right_text_is_not_proposed(family, tmp_path, monkeypatch):
    assert_not_proposed_without_its_family(tmp_path, family, LAYERS[family], monkeypatch)
