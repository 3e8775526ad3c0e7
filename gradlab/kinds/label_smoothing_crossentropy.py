"""Softmax cross-entropy against labels smoothed by epsilon, averaged over the batch.

Names: `LabelSmoothingCrossEntropy(smoothing=0.1)` (also `LabelSmoothingLoss`, `LabelSmoothingCE`,
`SmoothedCrossEntropy`, `CrossEntropyWithLabelSmoothing`; `forward(x, t)` with one-hot or index labels, `backward()`
or `backward(dout)`) and `label_smoothing_cross_entropy(x, y) -> (loss, dx)` (index labels, as CS231n's losses).
The target of sample n is (1 - eps)·onehot + eps / C (or eps / (C - 1) off the true class, as some write it); dx is
(softmax(x) - target) / N. A constructor is handed eps = 0.1 under its own word for it (`smoothing`, `eps`,
`epsilon`, `label_smoothing`); one that takes none is checked at its own default, as its gradient check needs no eps.
The usual slip, backward subtracting the hard labels forward smoothed, is `wrong-input`.
Non-goal: smoothing inside a plain softmax loss with no word for it in its name (that is `softmax_with_loss`, and its
gradient check still holds it to its own forward).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Kind, Spec
from gradlab.kinds import softmax_with_loss
from gradlab.kinds.common import LOSS_SCALES, class_label_extremes, probability_underflow_cautions

#: the smoothing a constructor is handed, under each word courses use for it
EPS = 0.1
HYPER_WORDS = ("smoothing", "label_smoothing", "eps", "epsilon")


def build(spec: Spec, rng: np.random.Generator) -> Case:
    case = softmax_with_loss.build(spec, rng)
    return Case(case.x, case.t, {}, {word: EPS for word in HYPER_WORDS}, spec)


def _one_hot(case: Case) -> np.ndarray:
    assert case.t is not None
    C = case.x.shape[1]
    return np.eye(C)[np.asarray(case.t, dtype=int)] if case.t.ndim == 1 else np.asarray(case.t, dtype=float)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The mean over N of the cross-entropy with eps / C everywhere, then with eps / (C - 1) off the true class."""
    y, C = _one_hot(case), case.x.shape[1]
    z = case.x - case.x.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    targets = [(1 - EPS) * y + EPS / C, (1 - EPS) * y + EPS / max(C - 1, 1) * (1 - y)]
    return [np.asarray(-np.sum(t * log_p) / case.N) for t in targets]


def hard_labels(case: Case, name: str, analytic: np.ndarray, numeric: np.ndarray, output: Any,
                **_: Any) -> tuple[str, str] | None:
    """dx = c·(softmax(x) - onehot) where the forward smoothed its targets: the hard labels are the wrong array."""
    if name != "x" or case.t is None or analytic.shape != numeric.shape or analytic.ndim != 2:
        return None
    hard = _softmax(case.x) - _one_hot(case)
    norm = float(np.linalg.norm(analytic))
    if norm == 0.0:
        return None
    c = float(np.sum(analytic * hard) / max(float(np.sum(hard * hard)), 1e-300))
    if np.linalg.norm(c * hard - analytic) <= 1e-6 * norm and np.linalg.norm(analytic - numeric) > 1e-3 * norm:
        return "wrong-input", ("dx is (softmax(x) - the hard labels): backward subtracts the one-hot labels where "
                               "forward used the smoothed targets, (1 - eps)·onehot + eps / C")
    return None


KIND = Kind(
    "label_smoothing_crossentropy",
    ("labelsmoothingcrossentropy", "labelsmoothingce", "labelsmoothingloss", "labelsmoothing",
     "smoothedcrossentropy", "crossentropywithlabelsmoothing", "labelsmoothedcrossentropy"),
    build, softmax_with_loss.draw_classes, softmax_with_loss.batch_spec,
    loss_functions=("label_smoothing_cross_entropy", "label_smoothing_loss", "label_smoothing_ce",
                    "smoothed_cross_entropy", "label_smoothed_cross_entropy"),
    is_loss=True, scales=LOSS_SCALES, extreme_specs=class_label_extremes, caution_specs=probability_underflow_cautions,
    label_encodings=("onehot", "index"), hyper_args=("smoothing", "label_smoothing"),
    forward_candidates=forward_candidates, explain=hard_labels,
)
