"""Global average pooling over (N, C, H, W): each channel of each sample averaged over all its H·W positions.

Names: `GlobalAveragePooling2D`, `GlobalAvgPool(2d)`, `GlobalAveragePool`, `GAP`, PyTorch's `AdaptiveAvgPool2d` to one
value (`AdaptiveAvgPool(1)`), and `global_avg_pool_forward/backward(x)`. No parameters. Its output is (N, C) in some
layers and (N, C, 1, 1) (keepdims) in others: both are right, and the grader takes either. H != W and H·W >= 2, so a
dx divided by H alone, or spread over one row, shows.
Non-goal: channels-last input (Keras' default, mean over axes 1 and 2); say so with `# gradlab: kind=...`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, ForwardCheck, Kind, Spec
from gradlab.core.tolerances import FORWARD_ATOL, FORWARD_RTOL
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C, H, W_ = spec["N"], spec["C"], spec["H"], spec["W"]
    # PyTorch's AdaptiveAvgPool2d(output_size) pooled to one value per channel
    return Case(values(rng, (N, C, H, W_), spec), None, {}, {"output_size": 1}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    H, W_ = draw(distinct_sizes(2, low=1, high=4))
    return {"C": draw(st.integers(1, 3)), "H": H, "W": W_}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "H": 2, "W": 3}


def forward_accepts(out: np.ndarray, case: Case) -> ForwardCheck:
    """The mean over H and W, as (N, C) or (N, C, 1, 1)."""
    N, C = case.x.shape[:2]
    if out.shape not in ((N, C), (N, C, 1, 1)):
        return ForwardCheck(False, f"forward returned shape {out.shape}, expected {(N, C)} or {(N, C, 1, 1)}")
    mean = case.x.mean(axis=(2, 3))
    atol = FORWARD_ATOL * max(1.0, float(np.abs(mean).max(initial=0.0)))
    if np.allclose(out.reshape(N, C), mean, rtol=FORWARD_RTOL, atol=atol):
        return ForwardCheck(True)
    return ForwardCheck(False, "forward output is not a global average pooling: each channel of each sample must be "
                               "the mean of its H x W values (x.mean(axis=(2, 3)))")


KIND = Kind(
    "global_avg_pool", ("globalaveragepooling2d", "globalaveragepooling", "globalavgpool", "globalavgpool2d",
                        "globalaveragepool", "globalaveragepool2d", "globalavgpooling", "globalavgpooling2d",
                        "gap", "adaptiveavgpool", "adaptiveavgpool2d", "adaptiveaveragepool",
                        "adaptiveaveragepooling2d", "globalmeanpool", "globalmeanpooling"),
    build, draw_shape, batch_spec,
    function_stems=("global_avg_pool", "global_average_pool", "global_average_pooling", "gap",
                    "adaptive_avg_pool"),
    hyper_args=("output_size",), forward_accepts=forward_accepts,
)
