"""CS231n's conv-ReLU-pool sandwich: max_pool(relu(conv(x, W) + b)) as one layer,
`conv_relu_pool_forward(x, w, b, conv_param, pool_param)` / `conv_relu_pool_backward(dout, cache) ->
(dx, dw, db)` (`layer_utils.py`); it takes two dicts, the second through `Kind.more_param_dicts`.

Pools are square with their stride equal to their size (1 or 2), on a convolution output they
tile exactly: what CS231n's networks use and its `max_pool_forward_fast` takes without its Cython
extension. Ties (all of a window dropped by the ReLU) carry no gradient on either side.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.sandwich import CONV_KEYS, POOL_KEYS, conv_arrays, conv_hyper, draw_conv


def build(spec: Spec, rng: np.random.Generator) -> Case:
    x, params = conv_arrays(spec, rng)
    return Case(x, None, params, {**conv_hyper(spec), "pool": spec["pool"]}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    pool = draw(st.sampled_from((2, 1)))
    return {**draw_conv(draw, pool=pool), "pool": pool}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "F": 3, "K": 3, "H": 4, "W": 2, "stride": 1, "pad": 1, "pool": 2}


KIND = Kind("conv_relu_pool", ("convrelupool",), build, draw_shape, batch_spec,
            function_stems=("conv_relu_pool",), params=("W", "b"), param_dict="conv_param",
            param_dict_keys=CONV_KEYS, more_param_dicts={"pool_param": (POOL_KEYS, {})},
            hyper_args=("stride", "pad", "pool"))
