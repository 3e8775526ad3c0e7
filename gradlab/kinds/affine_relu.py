"""CS231n's affine-ReLU sandwich: relu(x @ W + b) as one layer, `affine_relu_forward(x, w, b)` /
`affine_relu_backward(dout, cache) -> (dx, dw, db)` (`layer_utils.py`).

x is (N, D) with D != M, or (N, C, H, W) half the time, as the affine kind draws it: CS231n's affine_forward flattens
each sample, so a sandwich built on it takes images too (the fully connected net gives its first layer the images
themselves), and its dx must come back in x's shape. A sandwich written for (N, D) only, whose forward refuses images,
is checked on (N, D) (`OptionalInput`), without a note: its own affine_forward is told so where it is checked. The
ReLU's kink is the checker's to find and skip.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.sandwich import IMAGES, affine_arrays, draw_affine


def build(spec: Spec, rng: np.random.Generator) -> Case:
    x, params = affine_arrays(spec, rng)
    return Case(x, None, params, {}, spec)


def draw_shape(draw: Draw, *, flat_input: bool = False, **_: Any) -> Spec:
    return draw_affine(draw, images=not flat_input)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 4, "M": 3}


KIND = Kind("affine_relu", ("affinerelu",), build, draw_shape, batch_spec, function_stems=("affine_relu",),
            params=("W", "b"), optional_input=IMAGES)
