"""The second volume's NegativeSamplingLoss (word2vec, chapter 4): the logistic loss of each sample's hidden
vector scored against its target word (label 1) and against negative words drawn at random (label 0).

Names: `NegativeSamplingLoss(W, corpus, power=0.75, sample_size=5)` with `forward(h, target) -> loss` and
`backward(dout=1) -> dh`: h (N, D), target (N,) integer words, W (V, D) the output embedding. Inside, one
EmbeddingDot and one SigmoidWithLoss per scored word, so `params` lists the one W once per word and `grads`
holds one dW each: W's gradient is their sum (shared weights, as the book's optimizer sums duplicates).
The loss is the sum over the 1 + sample_size words of each one's mean over N.

The negatives come from a sampler on numpy's global random state: the kind is `stochastic`, so the state is
reset to the case's seed before every forward, the same words are drawn at every finite difference, and
the loss is a deterministic function of h and W. The corpus holds every word 0..V-1 at least once (the
book's sampler counts its vocabulary from it) with uneven counts; V > sample_size + 1, since a target is
never its own negative and the book draws negatives without replacement. Grading compares the forward with
the reference's only where both drew the same words: not graded in a built-in assignment.
"""

from __future__ import annotations

from typing import Any

import hypothesis.strategies as st
import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import LOSS_SCALES, distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, D, V, S = spec["N"], spec["D"], spec["V"], spec["S"]
    corpus = np.repeat(np.arange(V), 1 + np.arange(V) % 3)
    rng.shuffle(corpus)
    hyper = {"corpus": corpus, "power": 0.75, "sample_size": S, "seed": int(spec.get("seed", 0)) % (2**31)}
    W = rng.standard_normal((V, D)) * 0.5
    return Case(values(rng, (N, D), spec), rng.integers(0, V, size=(N,)), {"W": W}, hyper, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    D, V = draw(distinct_sizes(2, low=3, high=6))
    return {"D": D, "V": V, "S": draw(st.integers(1, min(3, V - 2)))}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 3, "V": 5, "S": 2}


KIND = Kind(
    "negative_sampling_loss", ("negativesamplingloss",), build, draw_shape, batch_spec,
    params=("W",), is_loss=True, stochastic=True, scales=LOSS_SCALES, hyper_args=("corpus", "power", "sample_size"),
)
