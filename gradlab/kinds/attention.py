"""The second volume's Attention (chapter 8): AttentionWeight and WeightSum composed.

Names: `Attention()` with `forward(hs, h) -> c` and `backward(dc) -> (dhs, dh)`: hs (N, T, H), h (N, H),
a = softmax over T of hs[n, t] · h[n], c[n] = sum over t of a[n, t] * hs[n, t] (N, H). hs reaches c
twice (through the weights and as what is weighted): dhs is the sum of both paths, and a layer that
keeps one of them is dropped-term. h holds one row per sample and is a forward argument.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gradlab.core.kind import Case, Kind
from gradlab.kinds.attention_weight import CouplingReading, batch_spec, build, draw_shape, weights_of
from gradlab.kinds.weight_sum import ATTENTION_SCALES


def _predict(case: Case, target: str, dc: np.ndarray,
             slip: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray | None:
    """What Attention returns with `slip` for its softmax backward: da comes from the weighted sum."""
    hs, h = case.x, case.params["h"]
    a = weights_of(hs, h)
    ds = slip(a, np.einsum("nth,nh->nt", hs, dc))
    if target == "x":  # weighted, and scored
        return a[:, :, None] * dc[:, None, :] + ds[:, :, None] * h[:, None, :]
    return np.einsum("nt,nth->nh", ds, hs) if target == "h" else None

KIND = Kind(
    "attention", ("attention",), build, draw_shape, batch_spec,
    params=("h",), forward_inputs=("h",), batch_params=("h",), scales=ATTENTION_SCALES,
    explain=CouplingReading(_predict, (("x", "hs"), ("h", "h"))),
)
