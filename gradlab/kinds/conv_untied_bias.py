"""A valid, stride-1 convolution (cross-correlation) with a bias per output position: the "neural network from
scratch" videos' `Convolutional(input_shape, kernel_size, depth)` and its many forks.

The layer draws its own `kernels` (depth, C, k, k) and `biases` (depth, H - k + 1, W - k + 1), one bias per filter
and output position (untied), which gradlab then replaces with the case's; `backward(output_gradient,
learning_rate)` updates both inside (the gradient read as the change at learning rate 1). Most copies take one image
`(C, H, W)` with no batch axis (`gradlab.conventions.unbatched`); a copy that loops over a batch takes (N, C, H, W).
C, F, H and W are drawn all different and the kernel is not 1×1, so a kernel not flipped, a swapped filter axis or
a transposed window shows.
Non-goal: a `Convolutional` with one bias per filter (that is the kind `conv`: say so with `--kind`), stride and
padding (the videos' layer has neither).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C, H, W, F, k = spec["N"], spec["C"], spec["H"], spec["W"], spec["F"], spec["k"]
    kernels = rng.standard_normal((F, C, k, k)) / np.sqrt(C * k * k)
    biases = rng.standard_normal((F, H - k + 1, W - k + 1))
    return Case(values(rng, (N, C, H, W), spec), None, {"W": kernels, "b": biases},
                {"kernel_size": k, "depth": F}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    """C, F, H, W all different; a square kernel of 2 or 3 that fits."""
    C, F, H, W = draw(distinct_sizes(4, low=1, high=6))
    k = draw(st.integers(2, 3))
    H, W = H + k, W + k  # at least two output rows and columns: a transposed window shows
    return {"C": C, "H": H, "W": W, "F": F, "k": k}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "H": 5, "W": 4, "F": 3, "k": 2}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """Grading: the cross-correlation of every sample with every filter, plus the biases."""
    x, w, b = case.x, case.params["W"], case.params["b"]
    k = w.shape[-1]
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(2, 3))  # (N, C, H', W', k, k)
    return [np.einsum("nchwij,fcij->nfhw", windows, w) + b]


KIND = Kind("conv_untied_bias", ("convolutional",), build, draw_shape, batch_spec, params=("W", "b"),
            hyper_args=("kernel_size", "depth"), forward_candidates=forward_candidates, scales=(1.0, 0.1))
