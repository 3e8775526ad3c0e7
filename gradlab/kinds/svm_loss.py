"""The multiclass SVM (hinge) loss, averaged over the batch: `SVMLoss`/`HingeLoss` or `svm_loss(x, y)`.

Labels are class indices unless a spec says otherwise; the hinge's kink (a margin of exactly 0) is
found by the checker's five-point look and skipped.
"""

from __future__ import annotations

import numpy as np

from gradlab.core.kind import Case, Kind, Spec
from gradlab.kinds import softmax_with_loss
from gradlab.kinds.common import LOSS_SCALES, class_label_extremes


def build(spec: Spec, rng: np.random.Generator) -> Case:
    # the same logits and labels as a softmax loss, index labels by default
    return softmax_with_loss.build({**spec, "labels": spec.get("labels", "index")}, rng)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 4, "labels": "index"}


KIND = Kind(
    "svm_loss", ("svmloss", "multiclasssvmloss", "hingeloss"), build, softmax_with_loss.draw_classes,
    batch_spec,
    loss_functions=("svm_loss",), is_loss=True, scales=LOSS_SCALES, extreme_specs=class_label_extremes,
    label_encodings=("onehot", "index"),
)
