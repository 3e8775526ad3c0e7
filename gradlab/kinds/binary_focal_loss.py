"""The binary focal loss on logits: each output's sigmoid cross-entropy with its 0/1 target, weighted by
(1 - p_t)^gamma, where p_t = sigmoid(x) for a target of 1 and 1 - sigmoid(x) for a target of 0.

Names: a `focal_loss(x, y) -> (loss, dx)` function (or `binary_focal_loss`, `sigmoid_focal_loss`) written for 0/1
targets shaped like its logits, and a FocalLoss or BinaryFocalLoss class that refuses class indices. A function
named focal_loss cannot say which focal loss it is, and the function style hands a loss class indices, which a
binary one breaks on: `gradlab.conventions.namesakes` runs the layer on each focal kind's probe, and this kind's
(N, D) logits with 0/1 targets are the only arrays a binary one takes. A class that takes both kinds' arrays stays
`focal_loss`, whose one-hot rows fit the binary form as well.

Logits are (N, D), D from 1 (a detector's one output) to 3 (multi-label). The forward may average over N or over
every output. Dropping the focusing weight's own derivative is `dropped-term`, read as `focal_loss` reads it.
Non-goal: the focal loss over classes (softmax rows, index or one-hot labels: `focal_loss`), a binary focal loss
on probabilities (the drawn logits leave (0, 1)).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Kind, Spec
from gradlab.kinds import focal_loss
from gradlab.kinds.bce_with_logits import build, draw_shape
from gradlab.kinds.common import LOSS_SCALES
from gradlab.kinds.focal_loss import one_term_alone

#: the names this kind shares with the focal loss over classes: a layer under one of them is run on both kinds' probe
#: arrays, and checked as the one whose arrays alone it takes (`gradlab.conventions.namesakes`)
ALSO_NAMED = (*focal_loss.KIND.class_names, *focal_loss.KIND.loss_functions)


def batch_spec(convention: str) -> Spec:
    # D = 2: no size of the multiclass focal probe's (N = 3, C = 4), so its class indices never broadcast here
    return {"D": 2}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """At gamma 2: the mean over every output, then the sum over a sample's outputs averaged over N."""
    assert case.t is not None
    p = 0.5 * (1.0 + np.tanh(0.5 * case.x))
    pt = np.where(case.t == 1, p, 1.0 - p)
    losses = -(1.0 - pt) ** 2 * np.log(pt)
    return [np.asarray(losses.mean()), np.asarray(losses.sum() / case.N)]


def explain(case: Case, name: str, analytic: np.ndarray, numeric: np.ndarray, output: Any,
            **more: Any) -> tuple[str, str] | None:
    """The focal loss's reading (one product-rule term alone), on 0/1 targets shaped like the logits."""
    return one_term_alone(case, name, analytic, numeric, output, **more)


KIND = Kind(
    "binary_focal_loss", (), build, draw_shape, batch_spec,
    loss_functions=("binary_focal_loss", "sigmoid_focal_loss"),
    is_loss=True, scales=LOSS_SCALES, forward_candidates=forward_candidates, explain=explain,
)
