"""Flatten: a batch of feature maps made rows, (N, C, H, W) -> (N, C*H*W), for the affine layer after a convolution.

Names: `Flatten()`/`FlattenLayer()` with `forward(x) -> x.reshape(N, -1)` and `backward(dout) -> dout reshaped to
x's shape`, or `flatten_forward(x) -> (out, cache)` / `flatten_backward(dout, cache) -> dx`. The axes after N differ
in size, so a gradient put back in another order (channels last, or H and W swapped) lands at the wrong positions
and shows. A course of 1-D convolutions (CMU's 11-785) flattens (N, C, W) and its Flatten reshapes to
(N, C * W) by name, which an image's four axes break: a layer is probed once on (N, C, H, W)
(`Kind.optional_input`) and, where that does not give (N, C*H*W), checked on (N, C, W) instead; either is right.
A forward that flattens each sample's channels last is another function: the grader accepts C-order rows only.
Non-goal: `Reshape` layers, whose constructors take target shapes that some libraries count the batch in and
others do not, and layers that flatten one sample at a time (`x.reshape(-1)`, no batch axis).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, OptionalInput, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    axes = tuple(spec[a] for a in ("C", "H", "W") if a in spec)
    return Case(values(rng, (spec["N"], *axes), spec), None, {}, {}, spec)


def draw_shape(draw: Draw, *, flat_input: bool = False, **_: Any) -> Spec:
    """(C, H, W) all different; (C, W) for a layer that takes no images (`flat_input`)."""
    names = ("C", "W") if flat_input else ("C", "H", "W")
    return dict(zip(names, draw(distinct_sizes(len(names), low=1, high=4))))


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "H": 3, "W": 4}


KIND = Kind("flatten_layer", ("flatten", "flattenlayer"), build, draw_shape, batch_spec, function_stems=("flatten",),
            optional_input=OptionalInput(probe={"N": 2, "C": 2, "H": 3, "W": 4, "seed": 0, "scale": 1.0},
                                         output=(2, 24), note=""))
