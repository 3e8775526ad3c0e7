"""Categorical cross-entropy on probabilities: the loss after a softmax layer, averaged over the batch.

Names: the "Neural Networks from Scratch" book's `Loss_CategoricalCrossentropy` (`forward(y_pred, y_true)`
returns one loss per sample, `calculate` takes their mean; `backward(dvalues, y_true)` is given the predicted
probabilities and stores `self.dinputs = -y_true / dvalues / samples`), any `CategoricalCrossentropy` class, and
the function `categorical_cross_entropy(p, y) -> (loss, dp)`. Labels are class indices or one-hot rows.

The input is a probability. A case draws each row as the softmax of small logits: inside (0, 1), summing to 1,
its smallest entry above ~1e-2, so that every finite difference stays inside the domain and never reaches the
clipping at 1e-7 the book does (clipping there is right, and is never what is judged). The gradient checked is
the one backward computes, -t / p / N: the derivative with respect to each entry of p moved on its own, not
along the simplex.
Non-goal: the softmax before it (that is `softmax_with_loss`, and `softmax_crossentropy_combined` for the book's
combined class).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Kind, Spec
from gradlab.kinds.common import LOSS_SCALES, labels, values
from gradlab.kinds.softmax_with_loss import LOGIT_STD, batch_spec, draw_classes


def probabilities(logits: np.ndarray) -> np.ndarray:
    """Rows of probabilities: the softmax of `logits` over the last axis."""
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C = spec["N"], spec["C"]
    # the scale narrows the logits' spread (0.1: nearly uniform rows), it never pushes a probability to 0
    p = probabilities(values(rng, (N, C), spec) * LOGIT_STD)
    return Case(p, labels(rng, N, C, spec.get("labels", "onehot")), {}, {}, spec)


def true_class(case: Case, shape: tuple[int, ...]) -> np.ndarray | None:
    """Where each sample's label is, as a boolean mask of the (N, C) scores (None for another shape)."""
    t = case.t
    if t is None or len(shape) != 2:
        return None
    if t.shape == shape:
        return np.asarray(t) != 0
    if t.shape == shape[:1]:
        return np.eye(shape[1], dtype=bool)[np.asarray(t, dtype=int)]
    return None


def wrong_at_true_class(case: Case, name: str, analytic: np.ndarray, numeric: np.ndarray, output: Any,
                        **_: Any) -> tuple[str, str] | None:
    """A dx that is zero where it should be, at the other classes, and off at the true class by no one factor:
    the derivative of -log p written wrong (mismatch); or right at every true class but those where the loss is
    flat in p, which still get -1 / (N p) (misrouted: a forward clipping p inside the domain). The general
    diagnosis reads "right where zero, wrong elsewhere" as a dropped contribution; nothing was dropped. A
    constant factor, and a dx that reaches other classes, are left to it."""
    at = true_class(case, numeric.shape)
    if name != "x" or at is None or not at.any() or np.any(numeric[~at] != 0):
        return None
    off = np.abs(analytic[~at]).max(initial=0.0)
    if off > 1e-9 * np.abs(numeric).max(initial=1.0) or np.any(analytic[at] == 0):
        return None
    flat = at & (numeric == 0)
    if flat.any():
        # the loss does not move with p there (forward clips it), and backward still sends -1 / (N p)
        right = np.isclose(analytic[at & ~flat], numeric[at & ~flat], rtol=1e-6)
        return ("misrouted", "dx is -1 / (N p) at true classes where the loss does not change with p (forward clips "
                "or masks p there): gradient sent where none must go") if right.all() else None
    ratio = analytic[at] / numeric[at]
    if np.allclose(ratio, ratio[0], rtol=1e-6):
        return None
    return "mismatch", ("dx is zero at the other classes, as it should be, and wrong at each sample's true class by "
                        "no one factor: there it is -1 / (N p), the derivative of -log p averaged over the batch")


KIND = Kind(
    # a plain "cross-entropy" (`CrossEntropyLoss`, `Cross_Entropy`) too: learners' classes of that name take
    # probabilities as often as logits, and rows of probabilities are a valid input of both, so either is judged
    "categorical_crossentropy", ("categoricalcrossentropy", "cce", "crossentropy"), build, draw_classes, batch_spec,
    loss_functions=("categorical_cross_entropy", "categorical_crossentropy"), is_loss=True, scales=LOSS_SCALES,
    label_encodings=("onehot", "index"), explain=wrong_at_true_class,
)
