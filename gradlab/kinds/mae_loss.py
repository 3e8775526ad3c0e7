"""The mean absolute error (L1) loss: `Loss_MeanAbsoluteError`/`MAELoss` (`forward(y_pred, y_true)`) or
`mae_loss(x, y) -> (loss, dx)`.

Its derivative is sign(x - t) divided by the number of terms averaged: the "Neural Networks from Scratch"
book's `backward(dvalues, y_true)` stores `self.dinputs`, divided by outputs and by samples. Predictions and
targets are drawn independently, so no element sits on the kink at x = t. Courses scale it by 1/(N·D), 1/N or
not at all; the grader accepts each.
"""

from __future__ import annotations

import numpy as np

from gradlab.core.kind import Case, Kind, Spec
from gradlab.kinds.binary_crossentropy import mean_over_elements
from gradlab.kinds.common import LOSS_SCALES, draw_elementwise_shape, elementwise_batch_spec, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    shape = (spec["N"], *spec["shape"])
    return Case(values(rng, shape, spec), rng.standard_normal(shape), {}, {}, spec)


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The loss under each usual constant, the reference's (the mean over every element) first."""
    assert case.t is not None
    s = float(np.sum(np.abs(case.x - case.t)))
    return [np.asarray(s * c) for c in (1.0 / case.x.size, 1.0 / case.N, 1.0)]


KIND = Kind(
    "mae_loss", ("maeloss", "meanabsoluteerror", "meanabsoluteloss", "mae", "l1loss", "absoluteloss"), build,
    draw_elementwise_shape, elementwise_batch_spec, loss_functions=("mae_loss",), is_loss=True,
    scales=LOSS_SCALES, forward_candidates=forward_candidates, explain=mean_over_elements,
)
