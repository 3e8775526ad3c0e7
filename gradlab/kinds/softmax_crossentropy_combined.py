"""Softmax and categorical cross-entropy in one class whose backward starts from the softmax's output.

Names: the "Neural Networks from Scratch" book's `Activation_Softmax_Loss_CategoricalCrossentropy`:
`forward(inputs, y_true)` stores the softmax in `self.output` and returns the mean loss; `backward(dvalues,
y_true)` is given that output (the probabilities, not an upstream gradient) and stores `self.dinputs =
(dvalues - onehot) / samples`. Labels are class indices or one-hot rows.

How it is checked: the loss is the function of the logits that forward returns, and its gradient is compared
with what backward stores when it is fed what it is fed in the book's training loop, the `self.output` of the
same forward (`Kind.backward_takes_output`). So a backward right only for some other dvalues, or a forward whose
output is not the softmax its loss was computed from, fails. The upstream gradient of a loss is 1; backward's
result is scaled by it. The book's later chapters keep only backward in this class (their Model runs the
forward): with no forward there is no function to differentiate, and such a class is listed as skipped, saying
why.
Non-goal: a softmax-with-loss whose backward takes `dout=1` (that is `softmax_with_loss`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Kind
from gradlab.kinds.categorical_crossentropy import true_class
from gradlab.kinds.common import LOSS_SCALES, class_label_extremes, probability_underflow_cautions
from gradlab.kinds.softmax_with_loss import batch_spec, build, draw_classes


def _one_taken_elsewhere(k: np.ndarray, at: np.ndarray) -> bool:
    """Whether every wrong row of k = N (analytic - true) is +1 at the true class and -1 at one other: the one
    subtracted at the wrong class. With two classes this is also a constant factor, which says less."""
    def near(v: float) -> np.ndarray:
        return np.isclose(k, v, atol=1e-6)

    wrong = ~np.all(near(0.0), axis=1)
    plus, minus = near(1.0) & at, near(-1.0) & ~at
    return bool(wrong.any() and np.all((plus | minus | near(0.0))[wrong]) and
                np.all(plus[wrong].sum(axis=1) == 1) and np.all(minus[wrong].sum(axis=1) == 1))


def true_class_term_off(case: Case, name: str, analytic: np.ndarray, numeric: np.ndarray, output: Any,
                        **_: Any) -> tuple[str, str] | None:
    """dx right at every class but the true one, where every sample is off by the same multiple of 1/N: the one
    subtracted there is another number (`-= 2`). The general diagnosis reads it as a dropped path; none was.
    Off by +2/N (`+= 1`: the labels' term negated) and by +1/N (nothing subtracted: the term dropped) keep it."""
    at = true_class(case, numeric.shape)
    if name != "x" or at is None or not at.any():
        return None
    d = analytic - numeric
    if _one_taken_elsewhere(d * case.N, at):
        return "misrouted", ("dx subtracts its one from another class than each sample's true one (labels read along "
                             "the wrong axis, or indexed wrong): the right values at the wrong positions")
    if np.abs(d[~at]).max(initial=0.0) > 1e-9 * max(1.0, float(np.abs(numeric).max(initial=0.0))):
        return None
    k = d[at] * case.N
    if not np.allclose(k, k[0], rtol=1e-6, atol=1e-9) or any(np.isclose(k[0], v, atol=1e-6) for v in (0.0, 1.0, 2.0)):
        return None
    return "mismatch", (f"dx is right at every class but each sample's true one, where it is off by {k[0]:+.3g} / N: "
                        "the true class's term subtracts exactly one from its probability, (p - 1) / N")


KIND = Kind(
    "softmax_crossentropy_combined", ("activationsoftmaxlosscategoricalcrossentropy",
                                      "softmaxlosscategoricalcrossentropy", "softmaxcategoricalcrossentropy"),
    build, draw_classes, batch_spec, is_loss=True, scales=LOSS_SCALES, extreme_specs=class_label_extremes,
    caution_specs=probability_underflow_cautions, label_encodings=("onehot", "index"), backward_takes_output=True,
    explain=true_class_term_off,
)
