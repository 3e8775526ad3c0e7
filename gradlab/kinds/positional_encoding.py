"""A positional encoding added to a sequence's input: out[n, t, :] = x[n, t, :] + P[t, :] over (N, T, D).

Two published versions, one kind. The transformer's fixed sinusoidal table (`PositionalEncoding(d_model,
max_len=...)`, P[t, 2i] = sin(t / 10000^(2i/D)), P[t, 2i+1] = cos(...)) keeps no parameter: dx is dout and nothing
else is learned. A learned table (`LearnedPositionalEncoding(W)`, BERT's and GPT's position embeddings) is a
parameter W (T, D) whose gradient is dout summed over the batch. So W is optional (`Kind.optional_params`): a layer
that keeps no (T, D) array is checked with it held at zero, on dx alone. A layer built from its sizes is given
d_model (and the table's length where it is named as an embedding's, `num_embeddings`); a length gradlab does not
know by name (`max_len`) stays the layer's default, so a learned table of that length is no (T, D) array: it is
held as absent and the layer is checked on dx only. D is even (every sinusoidal formula interleaves D / 2 sines and
cosines); T and D differ.
Non-goal: a function style (courses write it as a module), an input scaled by sqrt(d_model) inside (the annotated
transformer does that in its embedding, not here: a layer that does it is checked as it computes).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, D = spec["N"], spec["T"], spec["D"]
    return Case(values(rng, (N, T, D), spec), None, {"W": rng.standard_normal((T, D))}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    D = draw(st.sampled_from((2, 4, 6)))
    T = draw(st.integers(1, 5).filter(lambda t: t != D))
    return {"T": T, "D": D}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 3, "D": 4}


def sinusoids(T: int, D: int) -> list[np.ndarray]:
    """The fixed table in both published layouts: sines and cosines interleaved (the paper's, PyTorch's tutorial),
    and all sines then all cosines (tensor2tensor's)."""
    position = np.arange(T)[:, None]
    rates = np.exp(-np.log(10000.0) * np.arange(0, D, 2) / D)[None, :]
    interleaved = np.zeros((T, D))
    interleaved[:, 0::2], interleaved[:, 1::2] = np.sin(position * rates), np.cos(position * rates)
    return [interleaved, np.concatenate([np.sin(position * rates), np.cos(position * rates)], axis=1)]


def tables(shape: tuple[int, ...]) -> list[np.ndarray]:
    """What a layer keeping the fixed table holds where a learned one is W (`Kind.constant_tables`)."""
    return sinusoids(*shape)


def forward_candidates(case: Case) -> list[np.ndarray]:
    """Grading: x plus a sinusoidal table, or plus the learned table W (not where W is held at zero for a layer that
    keeps none: x itself is no positional encoding)."""
    T, D = case.x.shape[1:]
    learned = [case.x + case.params["W"]] if np.any(case.params["W"]) else []
    return [case.x + table for table in sinusoids(T, D)] + learned


def sizes(case: Case) -> dict[str, int]:
    """`PositionalEncoding(d_model, ...)`; a learned table as PyTorch's embedding of positions is built,
    `LearnedPositionalEmbedding(num_embeddings, embedding_dim)`."""
    T, D = case.x.shape[1:]
    return {"dim": int(D), "features": int(D), "vocab": int(T)}


KIND = Kind(
    "positional_encoding", ("positionalencoding", "sinusoidalpositionalencoding", "positionalembedding",
                            "learnedpositionalencoding", "learnedpositionalembedding", "posencoding", "posembedding",
                            "positionencoding", "positionembedding", "sinusoidalencoding", "positionalencoding1d"),
    build, draw_shape, batch_spec, params=("W",), optional_params=("W",), sizes=sizes,
    forward_candidates=forward_candidates, constant_tables=tables,
)
