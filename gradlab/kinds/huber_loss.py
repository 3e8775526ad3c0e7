"""The Huber loss, also called smooth L1: quadratic near the target, linear beyond `delta`.

Names: `HuberLoss(delta=1.0)` / `SmoothL1Loss` (`forward(y_pred, y_true)`, `backward()` or `backward(dout)`) and
`huber_loss(x, y) -> (loss, dx)`. Each element contributes d² / 2 where |d| = |x - t| <= delta and
delta·(|d| - delta / 2) beyond; its derivative is d inside and delta·sign(d) outside, divided by what the loss
averages over. Checked at each layer's own default delta: predictions and targets are both standard normal, so
|d| lands on both sides of delta = 1 (about half of each). The derivative is continuous where the pieces meet,
so a finite difference across that point is still right to the step's order; only a wrong piece fails.
Courses average over every element (PyTorch), over the batch, or sum; the grader accepts each at delta = 1.
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
    """The loss at delta = 1 under each usual constant, the reference's (the mean over every element) first."""
    assert case.t is not None
    d = np.abs(case.x - case.t)
    s = float(np.sum(np.where(d <= 1.0, 0.5 * d ** 2, d - 0.5)))
    return [np.asarray(s * c) for c in (1.0 / case.x.size, 1.0 / case.N, 1.0)]


KIND = Kind(
    "huber_loss", ("huberloss", "huber", "smoothl1loss", "smoothl1"), build, draw_elementwise_shape,
    elementwise_batch_spec, loss_functions=("huber_loss", "smooth_l1_loss"), is_loss=True, scales=LOSS_SCALES,
    forward_candidates=forward_candidates, explain=mean_over_elements,
)
