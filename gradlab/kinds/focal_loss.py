"""The focal loss: cross-entropy with each sample's term weighted by (1 - p_t)^gamma, so that easy samples count less.

Names: `FocalLoss(gamma=2.0, alpha=None)`, `BinaryFocalLoss` (`forward(scores, y_true)`, `backward()` or
`backward(dout)`) and `focal_loss(x, y) -> (loss, dx)`. Courses write it two ways: over classes (a softmax of (N, C)
logits, p_t the true class's probability, labels one-hot or indices) and binary (a sigmoid of each output, p_t = p
where the 0/1 target is 1 and 1 - p where it is 0). Each is checked at its own default gamma.

What a case draws fits both, and both on logits or on probabilities: rows of probabilities (the softmax of small
logits, inside (0, 1), as `categorical_crossentropy` draws them) with one-hot labels, which are also 0/1 targets of
the same shape; a layer that refuses one-hot labels is checked with indices. The derivative of the softmax form,
-(1 - p_t)^γ log p_t, with respect to the logits is (1 - p_t)^γ (p - y) + γ (1 - p_t)^(γ-1) p_t log(p_t) (y - p):
dropping the second term, the weight's own derivative, is the usual slip: `one_term_alone` reads it as
`dropped-term` under whichever of the four forms, and of the usual exponents, explains the true gradient.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Kind
from gradlab.kinds.categorical_crossentropy import build, true_class
from gradlab.kinds.common import LOSS_SCALES
from gradlab.kinds.softmax_with_loss import batch_spec, draw_classes

#: the focusing exponents tried when reading a failing gradient: the layer's own default is not known here
GAMMAS = (2.0, 1.0, 3.0, 0.5, 5.0)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def product_rule_terms(x: np.ndarray, y: np.ndarray, gamma: float) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each way courses write the loss, its gradient's two product-rule terms before any mean: the
    cross-entropy's derivative weighted by (1 - p_t)^γ, and the weight's own derivative times the cross-entropy."""
    out = {}
    e = np.exp(x - x.max(axis=1, keepdims=True))
    # each form: (p, whether p_t is over the classes, whether p is computed from logits)
    forms = {"over classes, from logits": (e / e.sum(axis=1, keepdims=True), True, True),
             "binary, from logits": (_sigmoid(x), False, True),
             "over classes, on probabilities": (x, True, False), "binary, on probabilities": (x, False, False)}
    for form, (p, over_classes, from_logits) in forms.items():
        if over_classes:
            pt = np.sum(p * y, axis=1, keepdims=True)
            dpt = pt * (y - p) if from_logits else y
        else:
            pt = np.where(y == 1, p, 1 - p)
            s = np.where(y == 1, 1.0, -1.0)
            dpt = s * pt * (1 - pt) if from_logits else s
        if np.any(pt <= 0) or np.any(pt >= 1):
            continue
        out[form] = (-(1 - pt) ** gamma / pt * dpt, gamma * (1 - pt) ** (gamma - 1) * np.log(pt) * dpt)
    return out


def one_term_alone(case: Case, name: str, analytic: np.ndarray, numeric: np.ndarray, output: Any,
                   **_: Any) -> tuple[str, str] | None:
    """dx that is one of the product rule's two terms alone, under the form and exponent that explain the true
    gradient: the focusing weight's own derivative left out (the usual slip), or the cross-entropy's. The general
    diagnosis sees no pattern in a smooth term gone missing and says mismatch."""
    at = true_class(case, numeric.shape)
    if name != "x" or at is None or analytic.shape != numeric.shape:
        return None
    y = at.astype(float)
    norm = float(np.linalg.norm(numeric))
    if norm == 0.0:
        return None
    with np.errstate(all="ignore"):
        for gamma in GAMMAS:
            for form, (weighted, weight_slope) in product_rule_terms(case.x, y, gamma).items():
                total = weighted + weight_slope
                c = float(np.sum(numeric * total) / max(float(np.sum(total * total)), 1e-300))
                if np.linalg.norm(c * total - numeric) > 1e-6 * norm:
                    continue
                for kept, lost in ((weighted, "the focusing weight's own derivative, γ (1 - p_t)^(γ-1) log(p_t) "
                                             "times dp_t"),
                                   (weight_slope, "the cross-entropy's derivative weighted by (1 - p_t)^γ")):
                    if np.linalg.norm(c * kept - analytic) <= 1e-6 * norm and \
                            np.linalg.norm(c * kept - numeric) > 1e-3 * norm:
                        return "dropped-term", (f"dx is one term of the product rule alone (focal loss {form}, γ = "
                                                f"{gamma:g}): {lost} is missing; d/dz of -(1 - p_t)^γ log p_t has both")
                return None
    return None

KIND = Kind(
    "focal_loss", ("focalloss", "focal", "binaryfocal", "sigmoidfocal", "softmaxfocal"), build, draw_classes,
    batch_spec, loss_functions=("focal_loss",),
    is_loss=True, scales=LOSS_SCALES, label_encodings=("onehot", "index"), explain=one_term_alone,
)
