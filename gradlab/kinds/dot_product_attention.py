"""Scaled dot-product attention, one head, given its queries, keys and values apart: q (N, T, d), k (N, S, d),
v (N, S, e); out = softmax(q kᵀ / sqrt(d)) v over the S keys, (N, T, e) (the transformer's core written from scratch).

Names: `ScaledDotProductAttention`, `DotProductAttention`, `SDPA`, with `forward(q, k, v)` and `backward(dout) ->
(dq, dk, dv)`; and `scaled_dot_product_attention_forward(q, k, v)` returning (out, cache) with a backward returning
(dq, dk, dv). k and v hold one row per sample and are forward arguments. No mask, no dropout. T, S, d and e differ
(a product in the wrong order, or a transpose left out, shows in a shape) and are small enough for central
differences; the queries are drawn at two scales (a softmax saturates beyond).
Non-goal: a layer that projects its input itself (kind multihead_attention, with one head and Wo), or that returns
its attention weights besides its output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.attention_weight import CouplingReading
from gradlab.kinds.common import distinct_sizes, values
from gradlab.kinds.weight_sum import ATTENTION_SCALES

INPUTS = ("k", "v")


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, S, d, e = spec["N"], spec["T"], spec["S"], spec["d"], spec["e"]
    q = values(rng, (N, T, d), spec)
    return Case(q, None, {"k": rng.standard_normal((N, S, d)), "v": rng.standard_normal((N, S, e))}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    # S >= 2: over one key the softmax is the constant 1 and dq, dk vanish, hiding their bugs
    return dict(zip(("T", "S", "d", "e"), draw(distinct_sizes(4, low=2, high=5))))


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 2, "S": 3, "d": 4, "e": 5}


def attend(q: np.ndarray, k: np.ndarray, v: np.ndarray) -> np.ndarray:
    scores = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (weights / weights.sum(axis=-1, keepdims=True)) @ v


def forward_candidates(case: Case) -> list[np.ndarray]:
    return [attend(case.x, case.params["k"], case.params["v"])]


def _predict(case: Case, target: str, upstream: np.ndarray,
             slip: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray | None:
    """dq or dk as the layer returns them with `slip` for its softmax backward (dv needs none)."""
    q, k, v = case.x, case.params["k"], case.params["v"]
    scale = 1.0 / np.sqrt(q.shape[-1])
    scores = q @ k.transpose(0, 2, 1) * scale
    a = np.exp(scores - scores.max(axis=-1, keepdims=True))
    a /= a.sum(axis=-1, keepdims=True)
    ds = slip(a, upstream @ v.transpose(0, 2, 1)) * scale
    if target == "x":
        return ds @ k
    return ds.transpose(0, 2, 1) @ q if target == "k" else None


KIND = Kind(
    "dot_product_attention", ("scaleddotproductattention", "dotproductattention", "sdpa", "scaleddotattention",
                              "scaleddotproduct", "singleheadattention"),
    build, draw_shape, batch_spec,
    function_stems=("scaled_dot_product_attention", "dot_product_attention", "sdpa", "scaled_dot_attention"),
    params=INPUTS, forward_inputs=INPUTS, batch_params=INPUTS, scales=ATTENTION_SCALES,
    forward_candidates=forward_candidates, explain=CouplingReading(_predict, (("x", "q"), ("k", "k"))),
)
