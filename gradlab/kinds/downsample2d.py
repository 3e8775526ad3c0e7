"""CMU 11-785's `Downsample2d(downsampling_factor)` over (N, C, H, W): every k-th value kept, from the first
(`gradlab.kinds.resampling`). Names: `Downsample2d`, `downsample2d_forward/backward(x, downsampling_factor)`."""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds import resampling

FACTOR = "downsampling_factor"


def build(spec: Spec, rng: np.random.Generator) -> Case:
    return resampling.build(spec, rng, factor_name=FACTOR)


def draw_shape(draw: Draw, **kwargs: Any) -> Spec:
    return resampling.draw_shape(draw, rank=2, low=3, **kwargs)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "H": 3, "W": 4, "factor": 2}


def forward_candidates(case: Case) -> list[np.ndarray]:
    return [resampling.subsampled(case.x, int(case.spec["factor"]))]


KIND = Kind("downsample2d", ("downsample2d",), build, draw_shape, batch_spec, function_stems=("downsample2d",),
            positional_hyper=(FACTOR,), hyper_args=(FACTOR,), forward_candidates=forward_candidates)
