"""Depthwise 2-D convolution over (N, C, H, W): each channel cross-correlated with its own filter, W (C, 1, k, k) as
PyTorch keeps it (a convolution with groups = C), one bias per channel, a stride and a padding (MobileNet's layer
written from scratch).

Names: `DepthwiseConv2D` / `DepthwiseConv2d(W, b, stride, pad)` (or built from its sizes, `DepthwiseConv2d(channels,
kernel_size, stride, padding)`), `DepthwiseConvolution`, `DWConv`, and `depthwise_conv_forward(x, w, b, conv_param)`
with a backward returning (dx, dw, db). A layer keeping its filters (C, k, k) gets the same values in its own shape.
Kernels are square (one size, as these layers take it), k of 2 or 3 (a kernel of one is a per-channel scale);
geometries are drawn so the windows fit exactly, and C, H and W differ.
Non-goal: channels-last input (Keras' DepthwiseConv2D), a depth multiplier above 1, the pointwise convolution after
it (kind conv, with 1 x 1 filters).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C, H, W_, k = spec["N"], spec["C"], spec["H"], spec["W"], spec["k"]
    x = values(rng, (N, C, H, W_), spec)
    w = rng.standard_normal((C, 1, k, k)) / k
    return Case(x, None, {"W": w, "b": rng.standard_normal((C,))}, {"stride": spec["stride"], "pad": spec["pad"]},
                spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    k, stride, pad = draw(st.integers(2, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 1))
    out_h, out_w = draw(st.lists(st.integers(1, 3), min_size=2, max_size=2, unique=True))
    # the windows fit exactly: H + 2 pad - k is a multiple of the stride
    H, W_ = ((out - 1) * stride + k - 2 * pad for out in (out_h, out_w))
    if min(H, W_) < 1:  # a padding wider than the image: none
        pad = 0
        H, W_ = ((out - 1) * stride + k for out in (out_h, out_w))
    C = draw(st.sampled_from([c for c in (1, 2, 3) if c not in (H, W_)] or [1]))
    return {"C": C, "H": H, "W": W_, "k": k, "stride": stride, "pad": pad}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "H": 4, "W": 5, "k": 3, "stride": 1, "pad": 1}


def forward_candidates(case: Case) -> list[np.ndarray]:
    x, w, b = case.x, case.params["W"], case.params["b"]
    s, p = int(case.hyper["stride"]), int(case.hyper["pad"])
    k = w.shape[-1]
    padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    out_h, out_w = (padded.shape[2] - k) // s + 1, (padded.shape[3] - k) // s + 1
    out = np.empty((x.shape[0], x.shape[1], out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            window = padded[:, :, i * s:i * s + k, j * s:j * s + k]
            out[:, :, i, j] = np.sum(window * w[None, :, 0], axis=(2, 3))
    return [out + b[None, :, None, None]]


def sizes(case: Case) -> dict[str, int]:
    """`DepthwiseConv2d(channels, kernel_size)`: its channels in (and out), and its one kernel size."""
    return {"in": int(case.x.shape[1]), "features": int(case.x.shape[1]), "kernel": int(case.params["W"].shape[-1])}


KIND = Kind(
    "depthwise_conv", ("depthwiseconv2d", "depthwiseconv", "depthwiseconvolution", "depthwiseconvolution2d",
                       "dwconv", "dwconv2d"),
    build, draw_shape, batch_spec,
    function_stems=("depthwise_conv", "depthwise_conv2d", "depthwise_convolution", "dw_conv"), params=("W", "b"),
    param_dict="conv_param", param_dict_keys={"stride": "stride", "pad": "pad"}, hyper_args=("stride", "pad"),
    forward_candidates=forward_candidates, sizes=sizes,
)
