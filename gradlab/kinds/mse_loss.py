"""The mean squared error loss: `MeanSquaredError`/`MSELoss` (`forward(y, t)`) or `mse_loss(x, y)`.

Courses scale it differently (1/2, 1/N, 1/(N·D), or none); each is a correct loss with its own
gradient, so the grader accepts any of those constants in the forward.
"""

from __future__ import annotations

import numpy as np

from gradlab.core.kind import Case, Kind, Spec
from gradlab.kinds.common import LOSS_SCALES, draw_elementwise_shape, elementwise_batch_spec, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    shape = (spec["N"], *spec["shape"])
    return Case(values(rng, shape, spec), rng.standard_normal(shape), {}, {}, spec)


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The loss under each usual constant, the reference's first."""
    assert case.t is not None
    s = float(np.sum((case.x - case.t) ** 2))
    N, size = case.N, case.x.size
    return [np.asarray(s * c) for c in (0.5 / N, 1.0 / N, 1.0 / size, 0.5 / size, 0.5, 1.0)]


KIND = Kind(
    "mse_loss", ("mseloss", "meansquarederror", "meansquaredloss", "mse", "squareloss", "squaredloss",
                 "l2loss", "sumsquarederror", "sumofsquarederror", "sumsquaredloss", "sse"),
    build, draw_elementwise_shape,
    elementwise_batch_spec, loss_functions=("mse_loss",), is_loss=True, scales=LOSS_SCALES,
    forward_candidates=forward_candidates,
)
