"""The second volume's TimeAttention (chapter 8): Attention over the encoder's states at every decoder step.

Names: `TimeAttention()` with `forward(hs_enc, hs_dec) -> out` and `backward(dout) -> (dhs_enc,
dhs_dec)`: hs_enc (N, T, H), hs_dec (N, U, H), out[:, u] the context vector of decoder step u (N, U, H).
Every step reads all of hs_enc, so dhs_enc is the sum over the U steps (a layer that keeps one step's
share is dropped-term). hs_dec holds one row per sample and is a forward argument. T, U and H differ,
so a wrong axis shows in the shapes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.attention_weight import CouplingReading, weights_of
from gradlab.kinds.common import values
from gradlab.kinds.weight_sum import ATTENTION_SCALES, draw_attention_sizes


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, U, H = spec["N"], spec["T"], spec["U"], spec["H"]
    hs_dec = np.tanh(rng.standard_normal((N, U, H)))
    return Case(values(rng, (N, T, H), spec), None, {"hs_dec": hs_dec}, {}, spec)


def _predict(case: Case, target: str, dout: np.ndarray,
             slip: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray | None:
    """What TimeAttention returns with `slip` for the softmax backward of every decoder step's Attention."""
    hs, dec = case.x, case.params["hs_dec"]
    steps = []
    for u in range(dec.shape[1]):
        a = weights_of(hs, dec[:, u])
        ds = slip(a, np.einsum("nth,nh->nt", hs, dout[:, u]))
        steps.append((a[:, :, None] * dout[:, u, None, :] + ds[:, :, None] * dec[:, u, None, :],
                      np.einsum("nt,nth->nh", ds, hs)))
    if target == "x":
        return np.sum([enc for enc, _ in steps], axis=0)
    return np.stack([d for _, d in steps], axis=1) if target == "hs_dec" else None


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_attention_sizes(draw, ("T", "U", "H"))


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 4, "U": 2, "H": 3}


KIND = Kind(
    "time_attention", ("timeattention",), build, draw_shape, batch_spec,
    params=("hs_dec",), forward_inputs=("hs_dec",), batch_params=("hs_dec",), scales=ATTENTION_SCALES,
    explain=CouplingReading(_predict, (("x", "hs_enc"), ("hs_dec", "hs_dec"))),
)
