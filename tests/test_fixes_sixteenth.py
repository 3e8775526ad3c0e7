"""The candidate families of session 31 for the new kinds' single edits (issue 19): each finds and verifies the fix of
a one-bug layer written here, its correct twin passes and gets no fix, the same layer with a second slip on the same
gradient gets none found rather than a guess, and without the family the right text is not proposed at all.

The layers are written for these tests (CS231n's `(dout, cache)` functions, classes keeping their arrays or settings in
attributes under their own names), not copied from the zoo or a course: a padding's gradient cut from the corner; an
identity's gradient left as zeros; a dilation read back on one axis of two; an upsampling's gradient taken from one
cell of each block; a global pooling's gradient left in the pooled shape; a log-softmax's gradient without the
upstream gradient's row sum; a normalisation's mean path dropped where the variance's is kept in a name; a gradient
allocated at a width guessed from the output's; a mish's product rule without the softplus's derivative; a group
norm's channels split (channels per group, groups), with the axes it normalises over named for that order; a Huber
loss's outer branch without the sign of the difference.
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

from gradlab.fixes import candidates
from gradlab.fixes.blocks import block_sum_edits
from gradlab.fixes.centre import named_centre_edits
from gradlab.fixes.crop import crop_edits
from gradlab.fixes.dilation import dilation_edits
from gradlab.fixes.keepshape import kept_allocation_edits
from gradlab.fixes.productrule import product_rule_edits
from gradlab.fixes.rowsum import row_sum_edits
from gradlab.fixes.signs import abs_sign_edits
from gradlab.fixes.splits import split_order_edits
from gradlab.fixes.spread import spread_edits
from gradlab.fixes.upstream import upstream_edits

#: a group norm class over helpers of its own whose groups stride across the channels, forward and backward agreeing
GROUPED = """\
def _standardise(v, axes, eps):
    mean = v.mean(axis=axes, keepdims=True)
    std = np.sqrt(v.var(axis=axes, keepdims=True) + eps)
    return (v - mean) / std, std


def _standardise_back(dv, vhat, std, axes):
    m = np.prod([dv.shape[a] for a in axes])
    return (dv - dv.sum(axis=axes, keepdims=True) / m - vhat * (dv * vhat).sum(axis=axes, keepdims=True) / m) / std


class GroupNorm:
    def __init__(self, gamma, beta, G, eps=1e-5):
        self.gamma, self.beta, self.G, self.eps = gamma, beta, G, eps

    def forward(self, x):
        N, C, H, W = x.shape
        grouped = x.reshape(N, C // self.G, self.G, H, W)
        self.xhat, self.std = _standardise(grouped, (1, 3, 4), self.eps)
        return self.gamma.reshape(1, C, 1, 1) * self.xhat.reshape(x.shape) + self.beta.reshape(1, C, 1, 1)

    def backward(self, dout):
        C = dout.shape[1]
        self.dgamma = np.sum(dout * self.xhat.reshape(dout.shape), axis=(0, 2, 3)).reshape(self.gamma.shape)
        self.dbeta = np.sum(dout, axis=(0, 2, 3)).reshape(self.beta.shape)
        dxhat = (dout * self.gamma.reshape(1, C, 1, 1)).reshape(self.xhat.shape)
        return _standardise_back(dxhat, self.xhat, self.std, (1, 3, 4)).reshape(dout.shape)
"""
#: from the split to the backward's axes: the three lines the fix changes, and the lines between them
GROUPED_SLIP = GROUPED[GROUPED.index("x.reshape(N, C // self.G"):GROUPED.index("self.std, (1, 3, 4)") + 19]
GROUPED_RIGHT = GROUPED_SLIP.replace("C // self.G, self.G", "self.G, C // self.G").replace("(1, 3, 4)", "(2, 3, 4)")

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
    # a log-softmax pair whose backward is right only for an upstream gradient whose rows sum to one
    "row-sum": Layer("log_softmax", row_sum_edits, """\
def log_softmax_forward(x):
    shifted = x - np.max(x, axis=1, keepdims=True)
    out = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return out, out


def log_softmax_backward(dout, cache):
    probs = np.exp(cache)
    dx = dout - probs
    return dx
""", "dout - probs", "dout - probs * dout.sum(axis=1, keepdims=True)", "return dx", "return -dx"),
    # an instance norm pair that keeps the variance's path in a name of its own and drops the mean's
    "named-centre": Layer("instance_norm", named_centre_edits, """\
def instance_norm_forward(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=(2, 3), keepdims=True)
    inv = 1.0 / np.sqrt(x.var(axis=(2, 3), keepdims=True) + eps)
    xhat = (x - mean) * inv
    out = gamma[None, :, None, None] * xhat + beta[None, :, None, None]
    return out, (xhat, gamma, inv)


def instance_norm_backward(dout, cache):
    xhat, gamma, inv = cache
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = (dout * xhat).sum(axis=(0, 2, 3))
    dxhat = dout * gamma[None, :, None, None]
    proj = np.mean(dxhat * xhat, axis=(2, 3), keepdims=True)
    dx = inv * (dxhat - xhat * proj)
    return dx, dgamma, dbeta
""", "dxhat - xhat * proj", "dxhat - np.mean(dxhat, axis=(2, 3), keepdims=True) - xhat * proj",
        "return dx, dgamma, dbeta", "return 2 * dx, dgamma, dbeta"),
    # a downsampling class whose backward allocates the input's gradient at the output's width times the factor
    "kept-allocation": Layer("Downsample1d", kept_allocation_edits, """\
class Downsample1d:
    def __init__(self, downsampling_factor):
        self.factor = downsampling_factor

    def forward(self, A):
        Z = A[:, :, ::self.factor]
        return Z

    def backward(self, dLdZ):
        batch, channels, width_out = dLdZ.shape
        dLdA = np.zeros((batch, channels, width_out * self.factor))
        dLdA[:, :, ::self.factor] = dLdZ
        return dLdA
""", """\
        Z = A[:, :, ::self.factor]
        return Z

    def backward(self, dLdZ):
        batch, channels, width_out = dLdZ.shape
        dLdA = np.zeros((batch, channels, width_out * self.factor))""", """\
        self.A_shape = A.shape
        Z = A[:, :, ::self.factor]
        return Z

    def backward(self, dLdZ):
        batch, channels, width_out = dLdZ.shape
        dLdA = np.zeros(self.A_shape)""", "::self.factor] = dLdZ", "::self.factor] = -dLdZ"),
    # a mish pair whose tanh is of a softplus kept in a name, its derivative taken as the tanh alone
    "product-rule-softplus": Layer("mish", product_rule_edits, """\
def mish_forward(x):
    sp = np.log1p(np.exp(x))
    t = np.tanh(sp)
    return x * t, (x, t)


def mish_backward(dout, cache):
    x, t = cache
    dx = dout * t
    return dx
""", "dout * t", "dout * (t + x * (1 - t ** 2) / (1 + np.exp(-x)))", "return dx", "return -dx"),
    # a Huber loss returning its gradient, the outer branch's slope written as delta alone
    "abs-sign": Layer("huber_loss", abs_sign_edits, """\
def huber_loss(pred, y, delta=1.0):
    d = pred - y
    small = np.abs(d) <= delta
    loss = np.where(small, 0.5 * d ** 2, delta * (np.abs(d) - 0.5 * delta)).mean()
    dpred = np.where(small, d, delta) / d.size
    return loss, dpred
""", "np.where(small, d, delta)", "np.where(small, d, delta * np.sign(d))", "return loss, dpred",
        "return loss, -dpred"),
    "split-order": Layer("GroupNorm", None, GROUPED, GROUPED_SLIP, GROUPED_RIGHT, "- vhat * (dv * vhat)",
                         "+ vhat * (dv * vhat)"),
}
#: the families whose right text changes two lines (a line forward keeps a value on, and the backward's that reads it)
TWO_LINES = {"kept-allocation"}
#: the layer-wide families (no statement's generator): taken out of the candidates for the proof without them
WHOLE_LAYER = {"split-order": split_order_edits}


@pytest.mark.parametrize("family", sorted(LAYERS))
def test_a_one_bug_layer_gets_the_right_text_as_its_verified_fix(family, tmp_path):
    assert_the_right_text_is_the_verified_fix(tmp_path, family, LAYERS[family])


@pytest.mark.parametrize("family", sorted(LAYERS))
def test_the_correct_twin_passes_and_gets_no_fix(family, tmp_path):
    assert_the_correct_twin_gets_no_fix(tmp_path, family, LAYERS[family])


# the default run tries one family in four (every family with --thorough): each exhausts its search budget
@pytest.mark.sample(by=lambda family: sorted(LAYERS).index(family) // 4)
@pytest.mark.parametrize("family", sorted(LAYERS))
def test_a_second_slip_on_the_same_gradient_gets_none_found_rather_than_a_guess(family, tmp_path):
    assert_a_second_slip_gets_none_found(tmp_path, family, LAYERS[family])


@pytest.mark.sample(every=4)  # one family in four by position: each family's fix is tested above either way
@pytest.mark.parametrize("family", sorted(LAYERS))
def test_without_the_family_the_right_text_is_not_proposed(family, tmp_path, monkeypatch):
    remove = None
    if family in WHOLE_LAYER:
        def remove(patch):
            patch.setattr(candidates, WHOLE_LAYER[family].__name__, lambda site: iter(()))
    assert_not_proposed_without_its_family(tmp_path, family, LAYERS[family], monkeypatch,
                                           lines=2 if family in TWO_LINES else 3 if family in WHOLE_LAYER else 1,
                                           remove=remove)
