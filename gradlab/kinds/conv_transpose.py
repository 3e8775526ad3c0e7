"""2-D transposed convolution over (N, C, H, W): each input value spreads its kernel into the output, out[n, f,
i*s + a - p, j*s + b - p] += x[n, c, i, j] * W[c, f, a, b], plus b[f] (PyTorch's ConvTranspose2d; the up-sampling half
of an encoder-decoder). Output (N, F, (H - 1)*s + k - 2p, (W - 1)*s + k - 2p).

Names: `ConvTranspose2D`, `ConvTranspose`, `TransposedConv2D`, `Deconv2D` (a class built from the arrays, or from its
sizes `ConvTranspose2D(in_channels, out_channels, kernel_size, stride, padding)`), and `conv_transpose_forward(x, w,
b, conv_param)` with `conv_transpose_backward(dout, cache) -> (dx, dw, db)`. W is (C, F, k, k), PyTorch's layout; a
layer that keeps its filters the other way, (F, C, k, k), as the many that write the layer as a convolution over the
stride-dilated input do, gets W with those two axes swapped (`gradlab.conventions.class_slots`), and its gradients are
checked against its own forward all the same. Square kernels, C != F so a swapped axis shows, a
padding below the kernel's size (the output keeps a row).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C, H, W_, F, k = spec["N"], spec["C"], spec["H"], spec["W"], spec["F"], spec["k"]
    x = values(rng, (N, C, H, W_), spec)
    w = rng.standard_normal((C, F, k, k)) / np.sqrt(C * k * k)
    b = rng.standard_normal((F,))
    return Case(x, None, {"W": w, "b": b}, {"stride": spec["stride"], "pad": spec["pad"]}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    C, F = draw(distinct_sizes(2, low=1, high=3))
    k = draw(st.integers(1, 3))
    stride, pad = draw(st.integers(1, 2)), draw(st.integers(0, k - 1))
    H, W = draw(distinct_sizes(2, low=1, high=3))
    # a padding that crops the whole output away leaves nothing to check: one more input row and column then
    while (min(H, W) - 1) * stride + k - 2 * pad < 1:
        H, W = H + 1, W + 1
    return {"C": C, "H": H, "W": W, "F": F, "k": k, "stride": stride, "pad": pad}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "H": 3, "W": 2, "F": 3, "k": 3, "stride": 2, "pad": 1}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The transposed convolution, with the filters in PyTorch's (C, F, k, k) and in the (F, C, k, k) of a
    convolution over the dilated input (the same function with each kernel turned by 180 degrees)."""
    x, w, b = case.x, case.params["W"], case.params["b"]
    s, p = case.hyper["stride"], case.hyper["pad"]
    # the (F, C, k, k) layer is handed W with its first two axes swapped: its correlation kernel is W's, turned
    return [_spread(x, w, b, s, p), _spread(x, w[:, :, ::-1, ::-1], b, s, p)]


def _spread(x: np.ndarray, w: np.ndarray, b: np.ndarray, s: int, p: int) -> np.ndarray:
    N, C, H, W_ = x.shape
    k = w.shape[2]
    full = np.zeros((N, w.shape[1], (H - 1) * s + k, (W_ - 1) * s + k))
    for i in range(H):
        for j in range(W_):
            full[:, :, i * s:i * s + k, j * s:j * s + k] += np.tensordot(x[:, :, i, j], w, axes=([1], [0]))
    return full[:, :, p:full.shape[2] - p, p:full.shape[3] - p] + b[None, :, None, None]


def sizes(case: Case) -> dict[str, int]:
    """`ConvTranspose2D(in_channels, out_channels, kernel_size)`."""
    C, F, k, _ = case.params["W"].shape
    return {"in": C, "out": F, "kernel": k}


KIND = Kind(
    "conv_transpose", ("convtranspose2d", "convtranspose", "conv2dtranspose", "transposedconv2d", "transposedconv",
                       "transposeconv2d", "transposedconvolution", "convolutiontranspose", "deconv2d", "deconv",
                       "deconvolution"),
    build, draw_shape, batch_spec,
    function_stems=("conv_transpose", "transposed_conv", "deconv"), params=("W", "b"), param_dict="conv_param",
    param_dict_keys={"stride": "stride", "pad": "pad"}, hyper_args=("stride", "pad"), sizes=sizes,
    forward_candidates=forward_candidates,
)
