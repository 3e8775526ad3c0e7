"""A linear classifier's multiclass SVM loss and its gradient w.r.t. the weights (CS231n assignment 1).

`svm_loss_naive(W, X, y, reg)` and `svm_loss_vectorized(W, X, y, reg)` return `(loss, dW)`: the hinge
loss of the scores X @ W averaged over the N samples, plus the regularisation, and its gradient
w.r.t. W (D, C). Only W is differentiated; X (N, D) and the class indices y are data. The
regularisation is drawn non-zero most of the time, so a forgotten `dW += 2 * reg * W` shows; both
published conventions pass the forward check (`reg * sum(W**2)` since 2017, `0.5 * reg * sum(W**2)`
before), since each gradient is checked against its own loss. W is drawn with unit-sized entries: at
CS231n's 1e-4 initial scale every margin is positive and a hinge that ignores its condition would pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import LOSS_SCALES, labels, values

#: the regularisation strengths drawn. Shrinking goes towards the first, 0: a bug in the data term is then
#: shown without the regularisation's part mixed in (a missing 1/N is N times, not "a mismatch"), and a
#: bug in the regularisation term keeps a non-zero one, since it passes without
REGS = (0.0, 0.5, 0.05)


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, D, C = spec["N"], spec["D"], spec["C"]
    X = values(rng, (N, D), spec)
    W = rng.standard_normal((D, C)) * 0.5
    return Case(X, labels(rng, N, C, "index"), {"W": W}, {"reg": float(spec.get("reg", REGS[1]))}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return {"D": draw(st.integers(1, 5)), "C": draw(st.integers(2, 5)), "reg": draw(st.sampled_from(REGS)),
            "labels": "index"}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 3, "C": 4, "reg": 0.0, "labels": "index"}


def regularised(data_loss: float, case: Case) -> list[np.ndarray]:
    """The loss with reg * sum(W**2) and with 0.5 * reg * sum(W**2): both conventions are published."""
    penalty = case.hyper["reg"] * float(np.sum(case.params["W"] ** 2))
    return [np.asarray(data_loss + penalty), np.asarray(data_loss + 0.5 * penalty)]


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The hinge loss of X @ W with margin 1, averaged over the samples, under each regularisation."""
    assert case.t is not None
    scores, rows = case.x @ case.params["W"], np.arange(case.N)
    margins = np.maximum(0.0, scores - scores[rows, case.t][:, None] + 1.0)
    margins[rows, case.t] = 0.0
    return regularised(float(margins.sum()) / case.N, case)


@dataclass(frozen=True)
class RegularisationReader:
    """`Kind.explain` for a linear classifier whose loss under each convention is `candidates(case)` (full
    then half): a dW wrong by exactly a regularisation gradient, missing or the other convention's. A
    dataclass, not a closure, so that a kind pickles for parallel grading."""

    candidates: Callable[[Case], list[np.ndarray]]

    def __call__(self, case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray, y0: np.ndarray
                 ) -> tuple[str, str] | None:
        reg, W = case.hyper["reg"], case.params["W"]
        if target != "W" or reg == 0:
            return None
        full, half = (float(c) for c in self.candidates(case))
        loss = float(np.asarray(y0).reshape(-1)[0])
        wants = 2.0 if np.isclose(loss, full, rtol=1e-6) else 1.0 if np.isclose(loss, half, rtol=1e-6) else None
        if wants is None:  # a loss of neither convention: its own forward is wrong, not only dW
            return None
        penalty = "reg * sum(W**2)" if wants == 2.0 else "0.5 * reg * sum(W**2)"
        scale = float(np.abs(numeric).max(initial=0.0))

        def fits(a: np.ndarray) -> bool:
            return bool(np.allclose(a, numeric, rtol=1e-4, atol=1e-8 * max(scale, 1.0)))

        if fits(analytic + wants * reg * W):
            return "dropped-term", (f"dW lacks the regularisation's gradient {_term(wants)}: the loss adds "
                                    f"{penalty}, whose gradient is {_term(wants)}")
        has = 3.0 - wants  # the other convention's factor
        if fits(analytic - has * reg * W + wants * reg * W):
            return "scaled", (f"dW's regularisation term is {_term(has)}, but the loss adds {penalty}, whose "
                              f"gradient is {_term(wants)}: the loss and dW must use the same convention")
        return None


def _term(factor: float) -> str:
    return "2 * reg * W" if factor == 2.0 else "reg * W"


KIND = Kind(
    "linear_svm", (), build, draw_shape, batch_spec,
    loss_functions=("svm_loss_naive", "svm_loss_vectorized"), loss_args=("W", "x", "y", "reg"), params=("W",),
    is_loss=True, x_differentiable=False, scales=LOSS_SCALES, label_encodings=("index",),
    hyper_args=("reg",), forward_candidates=forward_candidates,
    explain=RegularisationReader(forward_candidates),
)
