"""The second volume's TimeAttention (chapter 8): Attention over the encoder's states at every decoder step.

Names: `TimeAttention()` with `forward(hs_enc, hs_dec) -> out` and `backward(dout) -> (dhs_enc,
dhs_dec)`: hs_enc (N, T, H), hs_dec (N, U, H), out[:, u] the context vector of decoder step u (N, U, H).
Every step reads all of hs_enc, so dhs_enc is the sum over the U steps (a layer that keeps one step's
share is dropped-term). hs_dec holds one row per sample and is a forward argument. T, U and H differ,
so a wrong axis shows in the shapes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.weight_sum import ATTENTION_SCALES, draw_attention_sizes


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, U, H = spec["N"], spec["T"], spec["U"], spec["H"]
    hs_dec = np.tanh(rng.standard_normal((N, U, H)))
    return Case(values(rng, (N, T, H), spec), None, {"hs_dec": hs_dec}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_attention_sizes(draw, ("T", "U", "H"))


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 4, "U": 2, "H": 3}


KIND = Kind(
    "time_attention", ("timeattention",), build, draw_shape, batch_spec,
    params=("hs_dec",), forward_inputs=("hs_dec",), batch_params=("hs_dec",), scales=ATTENTION_SCALES,
)
