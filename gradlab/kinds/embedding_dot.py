"""The second volume's EmbeddingDot (word2vec's negative sampling): each sample's hidden vector scored
against one row of an embedding table.

Names: `EmbeddingDot(W)` with `forward(h, idx) -> out` and `backward(dout) -> dh`, dW in its `grads =
[dW]` list: h (N, D), idx (N,) integer rows of W (V, D), out[i] = h[i] · W[idx[i]] (N,). Every case of
two or more samples repeats an index, so a dW written with `dW[idx] = ...` (one write per row kept)
where `np.add.at` belongs (every sample's share summed) is seen. V and D differ.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, D, V = spec["N"], spec["D"], spec["V"]
    idx = rng.integers(0, V, size=(N,))
    if N >= 2:  # a repeated row: its gradient is the sum of both samples' shares
        idx[-1] = idx[0]
    return Case(values(rng, (N, D), spec), idx, {"W": rng.standard_normal((V, D))}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return dict(zip(("D", "V"), draw(distinct_sizes(2, low=2, high=6))))


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 3, "V": 4}


def sizes(case: Case) -> dict[str, int]:
    """`EmbeddingDot(vocab_size, dim)` for a layer that draws its own table."""
    V, D = case.params["W"].shape
    return {"vocab": int(V), "dim": int(D)}


KIND = Kind(
    "embedding_dot", ("embeddingdot",), build, draw_shape, batch_spec,
    params=("W",), forward_takes_t=True, sizes=sizes,
)
