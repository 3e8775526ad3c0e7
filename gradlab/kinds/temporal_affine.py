"""An affine layer applied at every time step: out[n, t] = x[n, t] @ w + b.

Names: `temporal_affine_forward/backward(x, w, b)` (CS231n assignment 3), the second volume's
`TimeAffine(W, b)` and `Simple_TimeAffine(W, b)`: x (N, T, D), w (D, M),
b (M,), out (N, T, M); backward returns (dx, dw, db), dw and db summed over both N and T. T, D and
M differ, so a bias summed over one axis only is a wrong shape, and a transposed dw too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, D, M = spec["N"], spec["T"], spec["D"], spec["M"]
    x = values(rng, (N, T, D), spec)
    w = rng.standard_normal((D, M)) / np.sqrt(D)
    b = rng.standard_normal((M,))
    return Case(x, None, {"W": w, "b": b}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return dict(zip(("T", "D", "M"), draw(distinct_sizes(3, low=2, high=6))))


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 5, "D": 3, "M": 2}


KIND = Kind(
    "temporal_affine", ("timeaffine", "simpletimeaffine"), build, draw_shape, batch_spec,
    function_stems=("temporal_affine",), params=("W", "b"),
)
