"""The second volume's WeightSum (chapter 8): the context vector, a weighted sum of the encoder's states.

Names: `WeightSum()` with `forward(hs, a) -> c` and `backward(dc) -> (dhs, da)`: hs (N, T, H) the
encoder's hidden states, a (N, T) attention weights, c[n] = sum over t of a[n, t] * hs[n, t] (N, H).
a holds one row per sample and is a forward argument (`Kind.forward_inputs`), so its gradient is
checked as dx is. T and H differ, so da summed over the wrong axis shows in its shape.
The attention kinds share this module's sizes and values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.rnn_step import draw_sizes

#: input scales: ordinary, and small; a large scale only saturates the attention's softmax
ATTENTION_SCALES = (1.0, 0.1)


def attention_weights(rng: np.random.Generator, N: int, T: int) -> np.ndarray:
    """Rows that sum to 1, as a softmax gives them (the layer's gradient does not need it; realism does)."""
    e = np.exp(rng.standard_normal((N, T)))
    return e / e.sum(axis=1, keepdims=True)


def draw_attention_sizes(draw: Draw, names: tuple[str, ...] = ("T", "H")) -> Spec:
    """T != H (and the decoder's length U differs from both where there is one)."""
    return draw_sizes(draw, names, max_H=5, high=5)


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, H = spec["N"], spec["T"], spec["H"]
    return Case(values(rng, (N, T, H), spec), None, {"a": attention_weights(rng, N, T)}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_attention_sizes(draw)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 4, "H": 3}


KIND = Kind(
    "weight_sum", ("weightsum",), build, draw_shape, batch_spec,
    params=("a",), forward_inputs=("a",), batch_params=("a",), scales=ATTENTION_SCALES,
)
