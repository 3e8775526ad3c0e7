"""Softmax followed by the cross-entropy loss, averaged over the batch.

Names: `SoftmaxWithLoss` (class, `forward(x, t)` with one-hot or index labels `t`) and
`softmax_loss(x, y) -> (loss, dx)` (function style, index labels). Logits are drawn with a small
spread because the textbook's `log(y + 1e-7)` is inexact by about 1e-7/p; logits of magnitude 1000
are an extreme case of their own, checked for finiteness only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import LOSS_SCALES, class_label_extremes, labels, probability_underflow_cautions, values

#: logits spread of loss cases: the textbook's log(y + 1e-7) is inexact by 1e-7/p, so keep p >~ 1e-2
LOGIT_STD = 0.5


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C = spec["N"], spec["C"]
    x = values(rng, (N, C), spec) * LOGIT_STD + float(spec.get("offset", 0.0))
    return Case(x, labels(rng, N, C, spec.get("labels", "onehot")), {}, {}, spec)


def draw_classes(draw: Draw, *, convention: str = "class", **_: Any) -> Spec:
    """C classes and the label encoding: function-style losses take indices, classes either."""
    C = draw(st.integers(2, 6))
    encoding = "index" if convention == "function" else draw(st.sampled_from(("onehot", "index")))
    return {"C": C, "labels": encoding}


def batch_spec(convention: str) -> Spec:
    return {"C": 4, "labels": "index" if convention == "function" else "onehot"}


KIND = Kind(
    "softmax_with_loss", ("softmaxwithloss", "softmaxcrossentropy", "softmaxloss"), build, draw_classes, batch_spec,
    loss_functions=("softmax_loss",), is_loss=True, scales=LOSS_SCALES, extreme_specs=class_label_extremes,
    caution_specs=probability_underflow_cautions, label_encodings=("onehot", "index"), training_role="loss",
)
