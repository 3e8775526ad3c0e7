"""Embedding lookup: integer indices (N, T) into a table W (V, D); only W has a gradient.

Names: `Embedding(W)`, `embedding_forward/backward(x, W)`, CS231n's `word_embedding_forward/backward(x,
W)` (whose backward returns dW alone). Few distinct indices, so repeated
indices (whose gradients must accumulate, `np.add.at`, not `=`) are common.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, V, D, T = spec["N"], spec["V"], spec["D"], spec["T"]
    idx = rng.integers(0, V, size=(N, T))
    W = rng.standard_normal((V, D))
    return Case(idx, None, {"W": W}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return {"V": draw(st.integers(2, 5)), "D": draw(st.integers(1, 4)), "T": draw(st.integers(1, 4))}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"V": 5, "D": 3, "T": 2}


def sizes(case: Case) -> dict[str, int]:
    """`Embedding(vocab_size, dim)`."""
    V, D = case.params["W"].shape
    return {"vocab": int(V), "dim": int(D)}


KIND = Kind(
    "embedding", ("embedding", "timeembedding"), build, draw_shape, batch_spec,
    function_stems=("embedding", "word_embedding"), params=("W",), x_differentiable=False, scales=(), sizes=sizes,
)
