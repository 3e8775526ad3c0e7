"""CS231n's conv-ReLU sandwich: relu(conv(x, W) + b) as one layer, `conv_relu_forward(x, w, b, conv_param)`
/ `conv_relu_backward(dout, cache) -> (dx, dw, db)` (`layer_utils.py`).

Geometries are those CS231n's networks use (stride 1, a K x K filter, pad 0 or (K - 1) / 2), so that
the course's `conv_forward_fast` runs; C != F and H != W. Batch-first in every course.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.sandwich import CONV_KEYS, conv_arrays, conv_hyper, draw_conv


def build(spec: Spec, rng: np.random.Generator) -> Case:
    x, params = conv_arrays(spec, rng)
    return Case(x, None, params, conv_hyper(spec), spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_conv(draw)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "F": 3, "K": 3, "H": 3, "W": 4, "stride": 1, "pad": 1}


KIND = Kind("conv_relu", ("convrelu",), build, draw_shape, batch_spec, function_stems=("conv_relu",),
            params=("W", "b"), param_dict="conv_param", param_dict_keys=CONV_KEYS, hyper_args=("stride", "pad"))
