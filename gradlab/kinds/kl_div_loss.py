"""The Kullback-Leibler divergence of a predicted distribution from a target one, per sample, averaged over the batch.

Two published conventions, both right for their own forward: learners' numpy `KLDivergence.forward(y_pred, y_true)`
= sum p * log(p / q) / N, whose dx is -p / q / N, and PyTorch's `KLDivLoss` (`reduction='batchmean'`), whose input
is already log q: sum p * (log p - x) / N, dx = -p / N. The input x is drawn as a distribution q (the softmax of
small logits: positive, rows summing to 1), which either convention takes; the target t is another distribution p,
shaped like x (real targets, no label encoding). PyTorch's default `reduction='mean'` divides by N * C: a layer
written so is checked as it computes, the per-sample comparison finding its convention.

Names: `KLDivLoss`, `KLDivergence`, `KLLoss`, `KullbackLeibler`, `RelativeEntropy` (`forward(x, t)`, `backward()`),
and `kl_div_loss(x, y) -> (loss, dx)`, `kl_divergence`, `kl_div`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import LOSS_SCALES, values


def _distributions(rng: np.random.Generator, shape: tuple[int, int], spec: Spec) -> np.ndarray:
    z = values(rng, shape, spec) * 0.5
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C = spec["N"], spec["C"]
    q = _distributions(rng, (N, C), spec)
    p = _distributions(rng, (N, C), {"scale": 1.0})
    return Case(q, p, {}, {}, spec)


def draw_classes(draw: Draw, **_: Any) -> Spec:
    return {"C": draw(st.integers(2, 6))}


def batch_spec(convention: str) -> Spec:
    return {"C": 4}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """Grading: the divergence of x taken as q and as log q, averaged over the batch, over every element, or
    summed; and the reverse divergence KL(q || p) some learners write."""
    assert case.t is not None
    q, p, N = case.x, case.t, case.N
    sums = (np.sum(p * np.log(p / q)), np.sum(p * (np.log(p) - q)), np.sum(q * np.log(q / p)))
    return [np.asarray(s / d) for s in sums for d in (N, q.size, 1)]


KIND = Kind(
    "kl_div_loss", ("kldivloss", "kldiv", "kldivergence", "kldivergenceloss", "klloss", "kullbackleibler",
                    "kullbackleiblerdivergence", "kullbackleiblerloss", "relativeentropy"),
    build, draw_classes, batch_spec, loss_functions=("kl_div_loss", "kl_divergence", "kl_div", "kl_loss"),
    is_loss=True, scales=LOSS_SCALES, forward_candidates=forward_candidates,
)
