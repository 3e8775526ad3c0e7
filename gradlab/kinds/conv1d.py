"""1-D convolution (cross-correlation) over (N, C, W) with F filters (F, C, K), one bias per filter, a stride.

Names: CMU 11-785's `Conv1d_stride1(in_channels, out_channels, kernel_size, weight_init_fn=None, bias_init_fn=None)`
and `Conv1d(..., stride, ...)` (W (out, in, K), b (out,), `forward(A)`, `backward(dLdZ)` storing `dLdW`, `dLdb`),
and Keras-like learners' `Conv1D`. Sizes are drawn so the windows fit exactly; C, F, K and the output width differ,
so a swapped filter axis or a kernel not turned shows. A layer built without a stride argument computes stride 1
whatever the case says, and is checked as it computes. Non-goal: padding, dilation, channels-last `(N, W, C)`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C, W, F, K = spec["N"], spec["C"], spec["W"], spec["F"], spec["K"]
    w = rng.standard_normal((F, C, K)) / np.sqrt(C * K)
    return Case(values(rng, (N, C, W), spec), None, {"W": w, "b": rng.standard_normal((F,))},
                {"stride": spec["stride"]}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    C, F, K, out_w = draw(distinct_sizes(4, low=1, high=5))
    K = max(K, 2)  # a kernel of one is a per-position affine: a kernel not turned would not show
    stride = draw(st.integers(1, 2))
    return {"C": C, "F": F, "K": K, "W": (out_w - 1) * stride + K, "stride": stride}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "F": 3, "K": 2, "W": 5, "stride": 1}


def sizes(case: Case) -> dict[str, int]:
    """The sizes a constructor that draws its own filters takes: channels in and out, and the kernel size."""
    F, C, K = case.params["W"].shape
    return {"in": C, "out": F, "kernel": K}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """Grading: the cross-correlation at the case's stride (and at stride 1, for a layer built without one)."""
    x, w, b = case.x, case.params["W"], case.params["b"]
    windows = np.lib.stride_tricks.sliding_window_view(x, w.shape[-1], axis=2)  # (N, C, W - K + 1, K)
    full = np.einsum("ncwk,fck->nfw", windows, w) + b[:, None]
    return [full[:, :, :: int(case.hyper["stride"])], full]


KIND = Kind("conv1d", ("conv1d", "conv1dstride1", "convolution1d", "conv1dlayer"), build, draw_shape, batch_spec,
            params=("W", "b"), hyper_args=("stride",), sizes=sizes, forward_candidates=forward_candidates)
