"""Multi-head self-attention over a sequence (the transformer's layer written from scratch): x (N, T, D); Q = x @ Wq,
K = x @ Wk, V = x @ Wv, each split into h heads of D / h features; per head softmax(Q K^T / sqrt(D / h)) V over the
T positions; the heads joined and projected, out = joined @ Wo, (N, T, D).

Names: `MultiHeadAttention(Wq, Wk, Wv, Wo, num_heads)` (or built from its sizes, `MultiHeadAttention(d_model,
num_heads)`), `MultiHeadSelfAttention`, `MHA`, and `multihead_attention_forward(x, Wq, Wk, Wv, Wo, num_heads)` with its
backward returning (dx, dWq, dWk, dWv, dWo). No biases, no mask. Each sample attends over its own positions only, so
the per-sample rule holds. D is a multiple of h, drawn with h of 1 or 2 and D / h of 2 or 3, T of 2 or 3: small
enough for plain central differences.
A class without Wo (`SelfAttention(Wq, Wk, Wv)`) is checked with Wo held at the identity, and one whose constructor
takes no number of heads with one head only.
Non-goal: a layer that keeps its projections in inner linear layers or takes query, key and value apart (say what it
is with a `# gradlab: kind=generic, ...` comment).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values

PROJECTIONS = ("Wq", "Wk", "Wv", "Wo")


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, h, d = spec["N"], spec["T"], spec["heads"], spec["head_dim"]
    D = h * d
    x = values(rng, (N, T, D), spec)
    params = {w: rng.standard_normal((D, D)) / np.sqrt(D) for w in PROJECTIONS}
    return Case(x, None, params, {"heads": h}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return {"T": draw(st.integers(2, 3)), "heads": draw(st.integers(1, 2)), "head_dim": draw(st.integers(2, 3))}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 3, "heads": 2, "head_dim": 2}


def attend(x: np.ndarray, p: dict[str, np.ndarray], h: int) -> np.ndarray:
    """The layer's output, (N, T, D)."""
    N, T, D = x.shape
    split = [(x @ p[w]).reshape(N, T, h, D // h).transpose(0, 2, 1, 3) for w in ("Wq", "Wk", "Wv")]
    q, k, v = split
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(D // h)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return (weights @ v).transpose(0, 2, 1, 3).reshape(N, T, D) @ p["Wo"]


#: slips of a from-scratch backward, each (code, what was written, what belongs): a product's operand not transposed
#: (with T positions a square scores matrix runs either way), the softmax's coupling term or the scale left out
SLIPS = {
    "dk": ("transposed", "dk = dscores @ q", "dk = dscores.T @ q (keys index the scores' last axis)"),
    "dq": ("transposed", "dq = dscores.T @ k", "dq = dscores @ k (queries index the scores' first axis)"),
    "dv": ("transposed", "dv = weights @ dcontext", "dv = weights.T @ dcontext"),
    "coupling": ("dropped-term", "dscores = weights * dweights",
                 "dscores = weights * (dweights - sum(weights * dweights) over the keys): every weight of a row "
                 "depends on every score of it"),
    "scale": ("scaled", "dscores without the 1/sqrt(d) of the scores", "dscores / sqrt(d), d = D / h the head's width"),
}


def backward(x: np.ndarray, p: dict[str, np.ndarray], h: int, dout: np.ndarray,
             slip: str | None = None) -> dict[str, np.ndarray]:
    """The gradients of x and the projections, with one of `SLIPS` made (None: the true ones)."""
    N, T, D = x.shape
    d = D // h

    def split(a: np.ndarray) -> np.ndarray:
        return a.reshape(N, T, h, d).transpose(0, 2, 1, 3)

    def merge(a: np.ndarray) -> np.ndarray:
        return a.transpose(0, 2, 1, 3).reshape(N, T, D)

    q, k, v = (split(x @ p[w]) for w in ("Wq", "Wk", "Wv"))
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    joined = merge(weights @ v)
    dcontext = split(dout @ p["Wo"].T)
    dweights = dcontext @ v.transpose(0, 1, 3, 2)
    dv = (weights if slip == "dv" else weights.transpose(0, 1, 3, 2)) @ dcontext
    dscores = weights * dweights if slip == "coupling" else \
        weights * (dweights - (weights * dweights).sum(axis=-1, keepdims=True))
    dscores = dscores if slip == "scale" else dscores / np.sqrt(d)
    dq = (dscores.transpose(0, 1, 3, 2) if slip == "dq" else dscores) @ k
    dk = (dscores if slip == "dk" else dscores.transpose(0, 1, 3, 2)) @ q
    dq, dk, dv = merge(dq), merge(dk), merge(dv)
    rows = x.reshape(-1, D)
    return {"x": dq @ p["Wq"].T + dk @ p["Wk"].T + dv @ p["Wv"].T, "Wq": rows.T @ dq.reshape(-1, D),
            "Wk": rows.T @ dk.reshape(-1, D), "Wv": rows.T @ dv.reshape(-1, D),
            "Wo": joined.reshape(-1, D).T @ dout.reshape(-1, D)}


@dataclass(frozen=True)
class SlipReading:
    """`Kind.explain`: a failing gradient that is exactly what the backward gives with one of `SLIPS` made."""

    reads_upstream: bool = True

    def __call__(self, case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray, out: np.ndarray,
                 upstream: np.ndarray | None = None) -> tuple[str, str] | None:
        if upstream is None or upstream.shape != case.x.shape or target not in ("x", *PROJECTIONS):
            return None
        h = int(case.hyper["heads"])
        if not np.allclose(attend(case.x, case.params, h), out, rtol=1e-6, atol=1e-9):
            return None  # not this layer's forward: its slips say nothing
        for slip, (code, wrote, belongs) in SLIPS.items():
            g = backward(case.x, case.params, h, upstream, slip)[target]
            size = max(float(np.linalg.norm(g)), 1e-300)
            if g.shape == analytic.shape and float(np.linalg.norm(analytic - g)) <= 1e-6 * size and \
                    float(np.linalg.norm(numeric - g)) > 1e-3 * size:
                return code, f"d{target} is what a backward with {wrote} gives, where {belongs}"
        return None


def forward_candidates(case: Case) -> list[np.ndarray]:
    return [attend(case.x, case.params, int(case.hyper["heads"]))]


def sizes(case: Case) -> dict[str, int]:
    """`MultiHeadAttention(d_model, num_heads)`: the model's width (its heads are a hyper-parameter)."""
    return {"dim": int(case.x.shape[-1])}


KIND = Kind(
    "multihead_attention", ("multiheadattention", "multiheadselfattention", "mha", "multiheadedattention",
                            "selfattention"),
    build, draw_shape, batch_spec,
    function_stems=("multihead_attention", "multi_head_attention", "mha"), params=PROJECTIONS,
    positional_hyper=("heads",), hyper_args=("heads",), scales=(1.0, 0.1), forward_candidates=forward_candidates,
    sizes=sizes,
    # a learner's single-head SelfAttention(Wq, Wk, Wv) has no output projection: Wo is then the identity
    optional_params=("Wo",), identity_params=("Wo",), explain=SlipReading(),
)
