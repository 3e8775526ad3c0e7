"""CMU 11-785's `Upsample1d(upsampling_factor)` over (N, C, W): k − 1 zeros inserted between neighbouring values
(`gradlab.kinds.resampling`). Names: `Upsample1d`, `upsample1d_forward/backward(x, upsampling_factor)`."""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds import resampling

FACTOR = "upsampling_factor"


def build(spec: Spec, rng: np.random.Generator) -> Case:
    return resampling.build(spec, rng, factor_name=FACTOR)


def draw_shape(draw: Draw, **kwargs: Any) -> Spec:
    return resampling.draw_shape(draw, rank=1, low=2, **kwargs)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "W": 4, "factor": 2}


def forward_candidates(case: Case) -> list[np.ndarray]:
    return [resampling.dilated(case.x, int(case.spec["factor"]))]


KIND = Kind("upsample1d", ("upsample1d",), build, draw_shape, batch_spec, function_stems=("upsample1d",),
            positional_hyper=(FACTOR,), hyper_args=(FACTOR,), forward_candidates=forward_candidates)
