"""The binary hinge loss on one score per sample, labels -1 or +1: mean(max(0, 1 - y·x)) over the N samples.

Names: a function `hinge_loss(x, y) -> (loss, dx)` written as CS231n's `svm_loss(x, y)` is, `binary_hinge_loss`, a
class `BinaryHingeLoss` (`forward(x, y)`, `backward()` or `backward(dout)`). A `HingeLoss` class or a `hinge_loss`
function is this kind or the multiclass SVM loss (`svm_loss`) by what it accepts: scores (N, C) with class indices,
or one score per sample with signs (`gradlab.conventions.namesakes` probes both). The scores are x of shape (N,) or
(N, 1), the labels (N,) or of x's shape; each is courses' own, a label encoding (`ENCODINGS`): cases are flat, and a
layer that refuses them is checked on what it takes. Its gradient is -y / N where the margin is positive, 0
elsewhere; the kink (a margin of exactly 0) is found by the checker's five-point look and skipped.
Non-goal: the multiclass hinge on (N, C) scores (`svm_loss`), the linear SVM with its weights (`linear_svm`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import LOSS_SCALES, values

#: the shapes of the labels (and the scores), flat first: a layer that reshapes takes each, and is checked on flat
#: ones; a column of scores comes with labels of its shape (y * x) or flat ones (x[:, 0])
ENCODINGS = ("(N,)", "(N, 1)", "(N,) beside (N, 1) scores")


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, encoding = spec["N"], spec.get("labels", ENCODINGS[0])
    x = values(rng, (N,) if encoding == ENCODINGS[0] else (N, 1), spec)
    signs = np.where(rng.integers(0, 2, size=N) == 1, 1.0, -1.0)
    if N > 1:  # both classes present, so that a sign slip on either side shows
        signs[:2] = (1.0, -1.0)
    return Case(x, signs.reshape(x.shape) if encoding == ENCODINGS[1] else signs, {}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    # flat only: a layer written for flat scores may broadcast (N, 1) labels against them without an error, and one
    # that refuses flat ones is given its own (the runner's label-encoding probe)
    return {"labels": ENCODINGS[0]}


def batch_spec(convention: str) -> Spec:
    return {"labels": ENCODINGS[0]}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The mean over the samples of the hinge."""
    assert case.t is not None
    return [np.asarray(np.maximum(0.0, 1.0 - case.t.reshape(-1) * case.x.reshape(-1)).sum() / case.N)]


KIND = Kind(
    "binary_hinge", ("binaryhingeloss", "binaryhinge"), build, draw_shape, batch_spec,
    loss_functions=("hinge_loss", "binary_hinge_loss"), is_loss=True, scales=LOSS_SCALES,
    label_encodings=ENCODINGS, label_fallback_only=True, forward_candidates=forward_candidates,
)
