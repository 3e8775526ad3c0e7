"""Average pooling over (N, C, H, W): `AvgPool2D(pool_h, pool_w, stride)`/`AveragePooling` or
`avg_pool_forward(x, pool_param)` (CS231n's keys: pool_height, pool_width, stride).

A class is given square windows (it is written with one pool size, `AvgPool2D(pool_size)`), a function
any (its pool_param has a height and a width); H != W. Strides below the pool size make windows overlap,
where gradients must accumulate; no padding (courses differ on whether padded zeros count in the
mean). Smooth: no kinks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C, H, W_ = spec["N"], spec["C"], spec["H"], spec["W"]
    x = values(rng, (N, C, H, W_), spec)
    # CMU 11-785's one window size: MeanPool2d_stride1(kernel), MeanPool2d(kernel, stride)
    hyper = {"pool_h": spec["pool_h"], "pool_w": spec["pool_w"], "stride": spec["stride"], "pad": 0,
             "kernel": spec["pool_h"]}
    return Case(x, None, {}, hyper, spec)


def draw_shape(draw: Draw, *, convention: str = "class", **_: Any) -> Spec:
    pool_h = draw(st.integers(1, 3))
    # a class takes one pool size (`AvgPool2D(pool_size)`, `kernel_size`): square windows; a function's
    # pool_param has a height and a width
    pool_w = draw(st.integers(1, 3)) if convention == "function" else pool_h
    # stride below the pool size makes windows overlap: gradients must accumulate there
    stride = draw(st.integers(1, max(pool_h, pool_w)))
    out_h, out_w = draw(distinct_sizes(2, low=1, high=3))
    return {"C": draw(st.integers(1, 2)), "H": (out_h - 1) * stride + pool_h, "W": (out_w - 1) * stride + pool_w,
            "pool_h": pool_h, "pool_w": pool_w, "stride": stride}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "H": 4, "W": 6, "pool_h": 2, "pool_w": 2, "stride": 2}


KIND = Kind(
    "avg_pool", ("avgpool2d", "avgpool", "averagepooling", "averagepooling2d", "avgpooling", "averagepool",
                 "avgpooling2d", "meanpool", "meanpool2d", "meanpooling", "meanpool2dstride1", "avgpool2dstride1"),
    build, draw_shape, batch_spec,
    function_stems=("avg_pool", "average_pool", "avgpool"), param_dict="pool_param",
    # pool_size: a learner's one window size beside CS231n's keys (`gradlab.cases.window_shapes` draws such a
    # function square windows)
    param_dict_keys={"pool_height": "pool_h", "pool_width": "pool_w", "stride": "stride", "pool_size": "pool_h"},
    hyper_args=("pool_h", "pool_w", "stride", "kernel"),
)
