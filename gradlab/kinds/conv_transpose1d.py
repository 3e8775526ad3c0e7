"""1-D transposed convolution over (N, C, L): each input value spreads its kernel into the output, out[n, f,
i*s + a - p] += x[n, c, i] * W[c, f, a], plus b[f] (PyTorch's ConvTranspose1d: the up-sampling half of a 1-D
encoder-decoder, a WaveNet-style vocoder's up-sampler). Output (N, F, (L - 1)*s + k - 2p).

Names: `ConvTranspose1d`, `ConvTranspose1D`, `Conv1DTranspose` (Keras), `TransposedConv1d`, `Deconv1d` (a class built
from the arrays, or from its sizes `ConvTranspose1d(in_channels, out_channels, kernel_size, stride, padding)`), and
`conv_transpose1d_forward(x, w, b, conv_param)` with `conv_transpose1d_backward(dout, cache) -> (dx, dw, db)`. W is
(C, F, k), PyTorch's layout; C != F so that a swapped axis shows, and a padding below the kernel's size.
CMU 11-785's `ConvTranspose1d(in_channels, out_channels, kernel_size, upsampling_factor)` is no layer of its own: it
keeps an `Upsample1d` and a `Conv1d_stride1` and passes its calls on, and each of those is checked itself (kinds
upsample1d and conv1d). Non-goal: dilation, output padding, groups, filters kept (F, C, k).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C, L, F, k = spec["N"], spec["C"], spec["L"], spec["F"], spec["k"]
    w = rng.standard_normal((C, F, k)) / np.sqrt(C * k)
    # CMU 11-785's constructor names the stride its upsampling factor
    hyper = {"stride": spec["stride"], "pad": spec["pad"], "upsampling_factor": spec["stride"]}
    return Case(values(rng, (N, C, L), spec), None, {"W": w, "b": rng.standard_normal((F,))}, hyper, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    C, F, L = draw(distinct_sizes(3, low=1, high=4))
    k = draw(st.integers(1, 3))
    stride, pad = draw(st.integers(1, 2)), draw(st.integers(0, k - 1))
    # a padding that crops the whole output away leaves nothing to check: a longer input then
    while (L - 1) * stride + k - 2 * pad < 1:
        L += 1
    return {"C": C, "F": F, "L": L, "k": k, "stride": stride, "pad": pad}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "F": 3, "L": 3, "k": 3, "stride": 2, "pad": 1}


def spread(x: np.ndarray, w: np.ndarray, b: np.ndarray, s: int, p: int) -> np.ndarray:
    """The transposed convolution itself: each input position adds its kernel times its value at i * s."""
    N, C, L = x.shape
    k = w.shape[2]
    full = np.zeros((N, w.shape[1], (L - 1) * s + k))
    for i in range(L):
        full[:, :, i * s:i * s + k] += np.tensordot(x[:, :, i], w, axes=([1], [0]))
    return full[:, :, p:full.shape[2] - p] + b[None, :, None]


def forward_candidates(case: Case) -> list[np.ndarray]:
    """Grading: the transposed convolution at the case's stride and padding."""
    return [spread(case.x, case.params["W"], case.params["b"], case.hyper["stride"], case.hyper["pad"])]


def sizes(case: Case) -> dict[str, int]:
    """`ConvTranspose1d(in_channels, out_channels, kernel_size)`."""
    C, F, k = case.params["W"].shape
    return {"in": C, "out": F, "kernel": k}


KIND = Kind(
    "conv_transpose1d", ("convtranspose1d", "conv1dtranspose", "transposedconv1d", "transposeconv1d",
                         "transposedconvolution1d", "deconv1d", "deconvolution1d"),
    build, draw_shape, batch_spec,
    function_stems=("conv_transpose1d", "transposed_conv1d", "deconv1d"), params=("W", "b"),
    param_dict="conv_param", param_dict_keys={"stride": "stride", "pad": "pad"},
    hyper_args=("stride", "pad", "upsampling_factor"), sizes=sizes, forward_candidates=forward_candidates,
)
