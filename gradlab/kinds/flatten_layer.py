"""Flatten: a batch of feature maps (N, C, H, W) made rows (N, C*H*W) for the affine layer after a convolution.

Names: `Flatten()`/`FlattenLayer()` with `forward(x) -> x.reshape(N, -1)` and `backward(dout) -> dout reshaped to
x's shape`, or `flatten_forward(x) -> (out, cache)` / `flatten_backward(dout, cache) -> dx`. C, H and W differ, so
a gradient put back in another order (channels last, or H and W swapped) lands at the wrong positions and shows.
A forward that flattens each sample's channels last is another function: the grader accepts C-order rows only.
Non-goal: `Reshape(input_shape, output_shape)` layers, whose constructor takes shapes per sample.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    return Case(values(rng, (spec["N"], spec["C"], spec["H"], spec["W"]), spec), None, {}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return dict(zip(("C", "H", "W"), draw(distinct_sizes(3, low=1, high=4))))


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "H": 3, "W": 4}


KIND = Kind("flatten_layer", ("flatten", "flattenlayer"), build, draw_shape, batch_spec, function_stems=("flatten",))
