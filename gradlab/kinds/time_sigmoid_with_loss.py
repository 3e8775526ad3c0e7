"""The second volume's TimeSigmoidWithLoss: the binary logistic loss at every time step, averaged over
all N * T steps.

Names: `TimeSigmoidWithLoss()` with `forward(xs, ts) -> loss` and `backward(dout=1) -> dxs`: xs (N, T)
scores, ts (N, T) integer labels 0 or 1. The book stores dxs in float32: it is judged at that
precision. T differs from N often enough that a mean over one of them only shows as a factor.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import LOSS_SCALES, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T = spec["N"], spec["T"]
    return Case(values(rng, (N, T), spec), rng.integers(0, 2, size=(N, T)), {}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return {"T": draw(st.integers(2, 5))}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 3}


KIND = Kind(
    "time_sigmoid_with_loss", ("timesigmoidwithloss",), build, draw_shape, batch_spec,
    is_loss=True, scales=LOSS_SCALES,
)
