"""Binary cross-entropy on probabilities: the loss after a sigmoid output, averaged over every output.

Names: the "Neural Networks from Scratch" book's `Loss_BinaryCrossentropy` (`forward(y_pred, y_true)` returns
each sample's mean over its outputs, `calculate` takes their mean; `backward(dvalues, y_true)` is given the
predictions and stores `-(y_true / p - (1 - y_true) / (1 - p)) / outputs / samples`), any `BinaryCrossentropy`
or `BCELoss` class, and the function `binary_cross_entropy(p, y) -> (loss, dp)`. Targets are 0/1 integers of
the predictions' shape (N, outputs), as the book's `y.reshape(-1, 1)` makes them.

The input is a probability: a case draws it as the sigmoid of unit-variance logits, inside about [0.04, 0.96],
so every finite difference stays inside (0, 1) and the book's clipping at 1e-7 is never reached (it is right,
and never what is judged). Courses average over every output or sum over a sample's outputs: the grader takes
both. Non-goal: the sigmoid before it (that is `sigmoid_with_loss`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import LOSS_SCALES, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    shape = (spec["N"], spec["D"])
    p = 1.0 / (1.0 + np.exp(-values(rng, shape, spec)))
    return Case(p, rng.integers(0, 2, size=shape), {}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    """The number of outputs: one (a binary classifier) up to a few (multi-label)."""
    return {"D": draw(st.integers(1, 4))}


def batch_spec(convention: str) -> Spec:
    return {"D": 3}


def mean_over_elements(case: Case, name: str, analytic: np.ndarray, numeric: np.ndarray, output: Any,
                       **_: Any) -> tuple[str, str] | None:
    """A loss averaged over every element whose dx leaves out part of that mean's 1/(N·D): which count it is.

    The general diagnosis measures the factor (`scaled`: 2 times) but cannot know that it is the number of
    outputs, or of elements, that the forward divided by; where it is the batch size alone it says so itself.
    """
    n = case.N
    d = case.x.size // max(n, 1)
    keep = np.abs(numeric) > 1e-12 * max(1.0, float(np.abs(numeric).max(initial=0.0)))
    if name != "x" or d == 1 or not keep.any():
        return None
    ratio = analytic[keep] / numeric[keep]
    if np.allclose(ratio, n * d, rtol=1e-6) and n > 1:
        return "scaled", (f"dx is {n * d} times the true gradient: forward averages over all N·D = {n}·{d} elements "
                          "and backward leaves out that mean's 1/(N·D) (divide by the number of elements, x.size)")
    if np.allclose(ratio, d, rtol=1e-6) and d != n:
        # one sample cannot tell a missing 1/D from a missing 1/(N·D): say what both have in common
        counted = "the sample's" if n == 1 else "each sample's"
        return "scaled", (f"dx is {d} times the true gradient: forward averages over {counted} {d} outputs and "
                          "backward leaves out that mean's 1/D (divide by every count forward divides by: the "
                          "outputs, and the samples)")
    return None


def one_target_term_wrong(case: Case, name: str, analytic: np.ndarray, numeric: np.ndarray, output: Any,
                          **_: Any) -> tuple[str, str] | None:
    """dx right wherever the target is one value and wrong by no one factor wherever it is the other: that target's
    term of the derivative is written wrong (the general diagnosis reads "right on some, wrong on the rest" as a
    dropped path). A term left out (zero there) or negated keeps the general diagnosis."""
    t = case.t
    if name != "x" or t is None or t.shape != numeric.shape:
        return None
    close = np.isclose(analytic, numeric, rtol=1e-6, atol=1e-12 * np.abs(numeric).max(initial=1.0))
    for value, term in ((1, "y / p"), (0, "(1 - y) / (1 - p)")):
        wrong, other = t == value, t != value
        if not wrong.any() or not other.any() or not close[other].all() or close[wrong].any():
            continue
        ratio = analytic[wrong] / numeric[wrong]
        if np.any(analytic[wrong] == 0) or np.allclose(ratio, -1.0, rtol=1e-6):
            return None
        return "mismatch", (f"dx is right wherever the target is {1 - value} and wrong wherever it is {value}: the "
                            f"derivative of that target's term, {term}, is written wrong")
    return None


def binary_reading(case: Case, name: str, analytic: np.ndarray, numeric: np.ndarray, output: Any,
                   **more: Any) -> tuple[str, str] | None:
    """The count a dx leaves out of the mean, else one target's term written wrong."""
    return mean_over_elements(case, name, analytic, numeric, output, **more) or \
        one_target_term_wrong(case, name, analytic, numeric, output, **more)


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The mean over every output (the reference's), then the sum over a sample's outputs averaged over N."""
    assert case.t is not None
    p, t = case.x, case.t
    losses = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    return [np.asarray(losses.mean()), np.asarray(losses.sum() / case.N)]


KIND = Kind(
    "binary_crossentropy", ("binarycrossentropy", "bce"), build, draw_shape, batch_spec,
    loss_functions=("binary_cross_entropy", "binary_crossentropy", "bce_loss"), is_loss=True, scales=LOSS_SCALES,
    forward_candidates=forward_candidates, explain=binary_reading,
)
