"""Embedding lookup: integer indices, (N,) or (N, T), into a table W (V, D); only W has a gradient.

Names: `Embedding(W)`, `TimeEmbedding(W)`, `embedding_forward/backward(x, W)`, CS231n's
`word_embedding_forward/backward(x, W)` (whose backward returns dW alone). Few distinct indices, so
repeated indices (whose gradients must accumulate, `np.add.at`, not `=`) are common.

Which indices a layer is written for: the second volume's class `Embedding` takes one index per sample,
idx (N,) -> (N, D), and its loop backward (`dW[word_id] += dout[i]`) is right there and only there (on
(N, T) each row's repeated ids collapse); its `TimeEmbedding` takes xs (N, T) and refuses (N,) (`N, T =
xs.shape`); CS231n's `word_embedding_forward(x, W)` takes x (N, T). So a function-style layer gets (N, T),
and a class-style one is probed once on (N,) indices (`optional_input`, as the textbook's 4-D Affine is):
a class whose forward and backward take them is checked on (N,), one that refuses them on (N, T) (a compact
`TimeEmbedding` whose forward is `W[xs]` takes (N,) there, its backward's `xs.shape[1]` does not). Here the probe's
"richer input" is the 1-D one; `flat_input=True` (it refused) means (N, T).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, OptionalInput, Spec


def build(spec: Spec, rng: np.random.Generator) -> Case:
    """Indices (N, T) when the spec has a T, else (N,) (one index per sample)."""
    N, V, D = spec["N"], spec["V"], spec["D"]
    idx = rng.integers(0, V, size=(N, spec["T"]) if "T" in spec else (N,))
    W = rng.standard_normal((V, D))
    return Case(idx, None, {"W": W}, {}, spec)


def draw_shape(draw: Draw, *, convention: str = "class", flat_input: bool = False, **_: Any) -> Spec:
    spec: Spec = {"V": draw(st.integers(2, 5)), "D": draw(st.integers(1, 4))}
    if convention != "class" or flat_input:  # CS231n's x (N, T), or a class that refused (N,) indices
        spec["T"] = draw(st.integers(1, 4))
    return spec


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run: (N, T) indices, which every version takes
    per sample alike (a sample's row of T ids; the loop version's collapse shows in batch and alone)."""
    return {"V": 5, "D": 3, "T": 2}


def sizes(case: Case) -> dict[str, int]:
    """`Embedding(vocab_size, dim)`."""
    V, D = case.params["W"].shape
    return {"vocab": int(V), "dim": int(D)}


KIND = Kind(
    "embedding", ("embedding", "timeembedding"), build, draw_shape, batch_spec,
    function_stems=("embedding", "word_embedding"), params=("W",), x_differentiable=False, scales=(), sizes=sizes,
    # no note: (N,) and (N, T) are each some layer's own contract, neither is a shortcoming
    optional_input=OptionalInput(probe={"N": 3, "V": 4, "D": 2, "seed": 0}, output=(3, 2), note="", backward_too=True),
)
