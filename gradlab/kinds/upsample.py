"""Nearest-neighbour upsampling over (N, C, H, W): each value repeated over an s x s block, (N, C, s·H, s·W).

Names: PyTorch's `Upsample(scale_factor)` / `UpsamplingNearest2d`, Keras' `UpSampling2D(size)`, `NearestUpsample`,
and `upsample_forward(x, scale_factor)` with a backward returning dx; the factor one number, or the pair for a layer
that refuses one number (`PROBE`). No parameters; the factor is 2 or 3 (1 is the identity, which hides a backward that
forgets to sum each block), H != W. Its backward sums each block's upstream gradient into the value that filled it.
Non-goal: bilinear upsampling, and a transposed convolution (kind conv_transpose).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, OptionalInput, Spec
from gradlab.kinds.common import distinct_sizes, values

#: the names a constructor or a forward gives the factor: PyTorch's scale_factor, Keras' size, learners' scale
FACTOR_NAMES = ("scale_factor", "size", "scale")
#: one number for the factor, as most layers take it; a layer that refuses it (ML-From-Scratch's UpSampling2D reads
#: size[0] and size[1]) is given the pair (rows, columns), Keras' own form, with no note: both are right
PROBE = OptionalInput(probe={"N": 2, "C": 1, "H": 2, "W": 3, "factor": 2, "seed": 0, "scale": 1.0},
                      output=(2, 1, 4, 6), note="")


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C, H, W_, s = spec["N"], spec["C"], spec["H"], spec["W"], spec["factor"]
    hyper = {name: (s, s) if spec.get("pair") else s for name in FACTOR_NAMES}
    return Case(values(rng, (N, C, H, W_), spec), None, {}, hyper, spec)


def draw_shape(draw: Draw, *, flat_input: bool = False, **_: Any) -> Spec:
    """`flat_input`: the layer refused one number for its factor (`PROBE`), so it is given the pair."""
    H, W_ = draw(distinct_sizes(2, low=1, high=3))
    return {"C": draw(st.integers(1, 2)), "H": H, "W": W_, "factor": draw(st.integers(2, 3)), "pair": flat_input}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "H": 2, "W": 3, "factor": 2}


def forward_candidates(case: Case) -> list[np.ndarray]:
    s = int(case.spec["factor"])
    return [case.x.repeat(s, axis=2).repeat(s, axis=3)]


@dataclass(frozen=True)
class BlockReading:
    """`Kind.explain`: a dx that is one cell of each block of dout (`dout[:, :, ::s, ::s]`, as ML-From-Scratch's
    UpSampling2D writes it) is `dropped-term`, and one that is each block's mean is `scaled`, each with the sum it
    needs written out. Needs the upstream gradient."""

    reads_upstream: bool = True

    def __call__(self, case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray, out: np.ndarray,
                 upstream: np.ndarray | None = None) -> tuple[str, str] | None:
        s = int(case.spec["factor"])
        if target != "x" or upstream is None or upstream.ndim != 4 or analytic.shape != case.x.shape or \
                upstream.shape[2:] != (s * case.x.shape[2], s * case.x.shape[3]):
            return None
        N, C, H, W_ = case.x.shape
        blocks = upstream.reshape(N, C, H, s, W_, s)
        need = f"dx = dout.reshape(N, C, H, {s}, W, {s}).sum(axis=(3, 5))"
        for i in range(s):
            for j in range(s):
                if np.allclose(analytic, blocks[:, :, :, i, :, j], rtol=1e-7, atol=0):
                    return ("dropped-term", f"dx is the gradient of one cell of each {s} x {s} block (dout[:, :, {i}::"
                            f"{s}, {j}::{s}]): every cell of a block copied the same input value, so their gradients "
                            f"add up: {need}")
        if np.allclose(analytic, blocks.mean(axis=(3, 5)), rtol=1e-7, atol=0):
            return ("scaled", f"dx is the mean of each {s} x {s} block of dout: every cell of a block copied the same "
                    f"input value, so their gradients add up: {need}")
        return None


KIND = Kind(
    "upsample", ("upsample", "upsampling", "upsampling2d", "upsamplingnearest2d", "nearestupsample",
                 "nearestupsampling", "upsamplenearest", "nearestneighborupsampling"),
    build, draw_shape, batch_spec,
    function_stems=("upsample", "upsampling", "upsample_nearest", "nearest_upsample", "upsampling2d"),
    positional_hyper=("scale_factor",), hyper_args=FACTOR_NAMES, forward_candidates=forward_candidates,
    explain=BlockReading(), optional_input=PROBE,
)
