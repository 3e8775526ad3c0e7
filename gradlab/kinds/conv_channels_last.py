"""deeplearning.ai's convolution, channels last: `conv_forward(A_prev, W, b, hparameters) -> (Z, cache)` and
`conv_backward(dZ, cache) -> (dA_prev, dW, db)` (Course 4, "Convolutional Neural Networks: Step by Step").

A_prev (m, n_H_prev, n_W_prev, n_C_prev), W (f, f, n_C_prev, n_C), b (1, 1, 1, n_C), hparameters {"stride",
"pad"}; Z (m, n_H, n_W, n_C). The stem `conv` is CS231n's too: a forward whose dict argument is named
`hparameters` is this kind, one named `conv_param` CS231n's (`gradlab.conventions.convention_names.kind_for_pair`).
The course pads by at least 1 in every example and its hint crops the padding with `[pad:-pad]`, which is
empty at pad 0: the cases pad by 1 or 2, as the course does, so that a course solution is judged on the
geometry it was written for. The course's helpers (`zero_pad`, `conv_single_step`) are not layers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, H, W_, C, F, f = spec["N"], spec["H"], spec["W"], spec["C"], spec["F"], spec["f"]
    x = values(rng, (N, H, W_, C), spec)
    w = rng.standard_normal((f, f, C, F)) / np.sqrt(C * f * f)
    b = rng.standard_normal((1, 1, 1, F))
    return Case(x, None, {"W": w, "b": b}, {"stride": spec["stride"], "pad": spec["pad"]}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    C, F = draw(distinct_sizes(2, low=1, high=3))
    f = draw(st.integers(1, 3))
    # a stride above the window's size skips input rows no window reads, whose true gradient is zero for a reason
    # that is no term of the layer's: the course's geometries never do, and a bug is read on rows that count
    stride, pad = draw(st.integers(1, min(2, f))), draw(st.integers(1, 2))
    out_h, out_w = draw(distinct_sizes(2, low=1, high=3))
    # sizes chosen so the windows fit exactly (the course floors; a remainder would leave input rows unused); a
    # padding wider than the windows needs more outputs for the input to have a row
    while (out_h - 1) * stride + f - 2 * pad < 1 or (out_w - 1) * stride + f - 2 * pad < 1:
        out_h, out_w = out_h + 1, out_w + 1
    H, W = (out_h - 1) * stride + f - 2 * pad, (out_w - 1) * stride + f - 2 * pad
    return {"H": H, "W": W, "C": C, "F": F, "f": f, "stride": stride, "pad": pad}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"H": 4, "W": 5, "C": 2, "F": 3, "f": 2, "stride": 1, "pad": 1}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The convolution itself, written once here so the grader needs no reference module."""
    x, w, b = case.x, case.params["W"], case.params["b"]
    stride, pad = case.hyper["stride"], case.hyper["pad"]
    f = w.shape[0]
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    n_h = (xp.shape[1] - f) // stride + 1
    n_w = (xp.shape[2] - f) // stride + 1
    out = np.empty((x.shape[0], n_h, n_w, w.shape[3]))
    for i in range(n_h):
        for j in range(n_w):
            window = xp[:, i * stride:i * stride + f, j * stride:j * stride + f, :]
            out[:, i, j, :] = np.tensordot(window, w, axes=([1, 2, 3], [0, 1, 2]))
    return [out + b.reshape(1, 1, 1, -1)]


KIND = Kind(
    "conv_channels_last", (), build, draw_shape, batch_spec,
    # the course's stem, taken only with the course's dict (convention_names.kind_for_pair); CS231n's conv keeps it
    course_stems={"conv": {}}, params=("W", "b"), param_dict="hparameters",
    param_dict_keys={"stride": "stride", "pad": "pad"}, hyper_args=("stride", "pad"),
    forward_candidates=forward_candidates,
)
