"""Binary logistic loss: the sigmoid of a score and its cross-entropy with a 0/1 label, averaged over N.

Names: the second volume's `SigmoidWithLoss()` with `forward(x, t) -> loss` and `backward(dout=1) ->
dx`: x (N,) scores, t (N,) integer labels 0 or 1 (the book indexes its two-column probabilities with
them). The loss is the mean over the N samples, so dx = (sigmoid(x) - t) / N.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import LOSS_SCALES, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N = spec["N"]
    # integer labels: the book's cross entropy indexes its (N, 2) probabilities with them
    return Case(values(rng, (N,), spec), rng.integers(0, 2, size=(N,)), {}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return {}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run (N only)."""
    return {}


KIND = Kind(
    "sigmoid_with_loss", ("sigmoidwithloss",), build, draw_shape, batch_spec,
    is_loss=True, scales=LOSS_SCALES,
)
