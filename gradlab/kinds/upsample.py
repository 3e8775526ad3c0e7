"""Nearest-neighbour upsampling over (N, C, H, W): each value repeated over an s x s block, (N, C, s·H, s·W).

Names: PyTorch's `Upsample(scale_factor)` / `UpsamplingNearest2d`, Keras' `UpSampling2D(size=(s, s))` (ML-From-Scratch
writes it so), `NearestUpsample`, and `upsample_forward(x, scale_factor)` with a backward returning dx. No parameters;
the scale factor is 2 or 3 (1 is the identity, which hides a backward that forgets to sum each block), H != W. Its
backward sums each block's upstream gradient into the value that filled it.
Non-goal: bilinear upsampling, and a transposed convolution (kind conv_transpose).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import distinct_sizes, values

#: the names a constructor or a forward gives the factor: PyTorch's scale_factor, Keras' size, learners' scale
FACTOR_NAMES = ("scale_factor", "size", "scale")


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C, H, W_ = spec["N"], spec["C"], spec["H"], spec["W"]
    s = spec["factor"]
    # Keras' size is the pair of factors, rows and columns (ML-From-Scratch's UpSampling2D reads size[0], size[1])
    hyper = {"scale_factor": s, "size": (s, s), "scale": s}
    return Case(values(rng, (N, C, H, W_), spec), None, {}, hyper, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    H, W_ = draw(distinct_sizes(2, low=1, high=3))
    return {"C": draw(st.integers(1, 2)), "H": H, "W": W_, "factor": draw(st.integers(2, 3))}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "H": 2, "W": 3, "factor": 2}


def forward_candidates(case: Case) -> list[np.ndarray]:
    s = int(case.spec["factor"])
    return [case.x.repeat(s, axis=2).repeat(s, axis=3)]


KIND = Kind(
    "upsample", ("upsample", "upsampling", "upsampling2d", "upsample2d", "upsamplingnearest2d", "nearestupsample",
                 "nearestupsampling", "upsamplenearest", "nearestneighborupsampling"),
    build, draw_shape, batch_spec,
    function_stems=("upsample", "upsampling", "upsample_nearest", "nearest_upsample", "upsampling2d"),
    positional_hyper=("scale_factor",), hyper_args=FACTOR_NAMES, forward_candidates=forward_candidates,
)
