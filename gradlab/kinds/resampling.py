"""What CMU 11-785's resampling layers share (HW2P1's `resampling.py`): `Upsample1d(upsampling_factor)` and
`Upsample2d` insert k − 1 zeros between neighbouring values, W -> k·(W − 1) + 1 (the dilation a strided convolution's
backward needs); `Downsample1d(downsampling_factor)` and `Downsample2d` keep every k-th value, W -> ceil(W / k), and
their backward must put dout back into an input of the width forward was given, which k·(W_out − 1) + 1 is not when
(W − 1) is no multiple of k (widths are drawn with every remainder). Each is `forward(A)` / `backward(dLdZ)` over
(N, C, W) or (N, C, H, W), without parameters; k is 2 or 3 (1 is the identity).
Non-goal: nearest-neighbour upsampling (kind upsample), which repeats values where these insert zeros.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator, *, factor_name: str) -> Case:
    """The case over (N, C, W), or (N, C, H, W) where the spec has H, its factor given under `factor_name` (a kind
    binds it with functools.partial, which pickles)."""
    shape = (spec["N"], spec["C"], *((spec["H"],) if "H" in spec else ()), spec["W"])
    return Case(values(rng, shape, spec), None, {}, {factor_name: spec["factor"]}, spec)


def draw_shape(draw: Draw, *, rank: int, low: int, **_: Any) -> Spec:
    """C, the `rank` spatial sizes (distinct, each >= low) and the factor."""
    sizes = draw(distinct_sizes(rank, low=low, high=low + 4))
    spatial = dict(zip(("H", "W") if rank == 2 else ("W",), sizes))
    return {"C": draw(st.integers(1, 2)), **spatial, "factor": draw(st.integers(2, 3))}


def dilated(x: np.ndarray, k: int) -> np.ndarray:
    """k − 1 zeros inserted between neighbouring values along every axis after the first two."""
    shape = x.shape[:2] + tuple(k * (n - 1) + 1 for n in x.shape[2:])
    out = np.zeros(shape)
    out[(slice(None), slice(None)) + (slice(None, None, k),) * (x.ndim - 2)] = x
    return out


def subsampled(x: np.ndarray, k: int) -> np.ndarray:
    """Every k-th value along every axis after the first two, from the first."""
    return x[(slice(None), slice(None)) + (slice(None, None, k),) * (x.ndim - 2)]
