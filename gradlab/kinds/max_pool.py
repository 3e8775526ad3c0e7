"""Max pooling over (N, C, H, W): `Pooling(pool_h, pool_w, stride, pad)` or `max_pool_forward_naive(x, pool_param)`.

Strides below the pool size make windows overlap, where gradients must accumulate. Ties (a kink)
are found by the checker's five-point look and skipped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C, H, W_ = spec["N"], spec["C"], spec["H"], spec["W"]
    x = values(rng, (N, C, H, W_), spec)
    hyper = {"pool_h": spec["pool_h"], "pool_w": spec["pool_w"], "stride": spec["stride"], "pad": spec.get("pad", 0),
             # CMU 11-785's one window size, MaxPool2d_stride1(kernel), MaxPool2d(kernel, stride)
             "kernel": spec["pool_h"]}
    return Case(x, None, {}, hyper, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    pool_h, pool_w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    # stride below the pool size makes windows overlap: gradients must accumulate there
    stride = draw(st.integers(1, max(pool_h, pool_w)))
    out_h, out_w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return {"C": draw(st.integers(1, 2)), "H": (out_h - 1) * stride + pool_h, "W": (out_w - 1) * stride + pool_w,
            "pool_h": pool_h, "pool_w": pool_w, "stride": stride, "pad": 0}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "H": 4, "W": 4, "pool_h": 2, "pool_w": 2, "stride": 2, "pad": 0}


KIND = Kind(
    "max_pool", ("pooling", "maxpooling", "maxpool", "maxpool2d", "maxpooling2d", "maxpool2dstride1"), build,
    draw_shape, batch_spec,
    function_stems=("max_pool",), param_dict="pool_param",
    # pool_size: a learner's one window size beside CS231n's keys (`gradlab.cases.window_shapes` draws such a
    # function square windows)
    param_dict_keys={"pool_height": "pool_h", "pool_width": "pool_w", "stride": "stride", "pad": "pad",
                     "pool_size": "pool_h"},
    hyper_args=("pool_h", "pool_w", "stride", "pad", "kernel"),
)
