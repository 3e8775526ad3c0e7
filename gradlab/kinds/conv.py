"""2-D convolution (cross-correlation) over (N, C, H, W) with F filters (F, C, HH, WW), stride and pad.

Names: `Convolution(W, b, stride, pad)`/`Conv2D` and `conv_forward_naive(x, w, b, conv_param)`.
Geometries are drawn so the windows fit exactly; C != F so a swapped filter axis shows. Column
layout does not apply: convolutions are batch-first in every course.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C, H, W_ = spec["N"], spec["C"], spec["H"], spec["W"]
    F, HH, WW = spec["F"], spec["HH"], spec["WW"]
    x = values(rng, (N, C, H, W_), spec)
    w = rng.standard_normal((F, C, HH, WW)) / np.sqrt(C * HH * WW)
    b = rng.standard_normal((F,))
    return Case(x, None, {"W": w, "b": b}, {"stride": spec["stride"], "pad": spec["pad"]}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    C, F = draw(distinct_sizes(2, low=1, high=3))
    HH, WW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, pad = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    out_h, out_w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    # sizes chosen so the windows fit exactly: H + 2*pad - HH is a multiple of stride
    H = (out_h - 1) * stride + HH - 2 * pad
    W = (out_w - 1) * stride + WW - 2 * pad
    if H < 1 or W < 1 or pad >= max(HH, WW):
        pad = 0
        H, W = (out_h - 1) * stride + HH, (out_w - 1) * stride + WW
    return {"C": C, "H": H, "W": W, "F": F, "HH": HH, "WW": WW, "stride": stride, "pad": pad}


#: a fixed geometry: batch-versus-sample runs, benchmarks
FIXED = {"C": 2, "H": 5, "W": 5, "F": 3, "HH": 3, "WW": 3, "stride": 1, "pad": 1}

def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return dict(FIXED)


def sizes(case: Case) -> dict[str, int]:
    """The sizes a constructor that draws its own filters takes: channels in and out, and one kernel size (a square
    kernel's: such a layer refuses a case with another, `gradlab.conventions.class_style`)."""
    F, C, HH, _ = case.params["W"].shape
    return {"in": C, "out": F, "kernel": HH}


KIND = Kind(
    "conv", ("convolution", "conv", "conv2d", "conv2dstride1"), build, draw_shape, batch_spec,
    function_stems=("conv",), params=("W", "b"), param_dict="conv_param",
    param_dict_keys={"stride": "stride", "pad": "pad"}, hyper_args=("stride", "pad"), sizes=sizes,
)
