"""The negative log-likelihood loss on log-probabilities, averaged over the batch: −mean over samples of x[n, y[n]]
(PyTorch's `NLLLoss`, the loss a `LogSoftmax` layer is followed by in numpy frameworks written from scratch).

Names: `NLLLoss`, `NegativeLogLikelihood`, `NLL`, with `forward(x, t)` and `backward(dout=1)`, and the function
`nll_loss(x, y) -> (loss, dx)`. Labels are class indices (PyTorch's), or one-hot rows for a layer that refuses
indices. Its gradient is −1/N at each sample's class and 0 elsewhere, whatever x is; x is drawn as log-probabilities
(the log-softmax of small logits).
Non-goal: the log-softmax before it (kind log_softmax; together they are softmax_with_loss).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import LOSS_SCALES, labels, values
from gradlab.kinds.softmax_with_loss import LOGIT_STD


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C = spec["N"], spec["C"]
    z = values(rng, (N, C), spec) * LOGIT_STD
    log_p = z - z.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    return Case(log_p, labels(rng, N, C, spec.get("labels", "index")), {}, {}, spec)


def draw_classes(draw: Draw, **_: Any) -> Spec:
    """C classes; the labels are indices (the runner gives one-hot rows to a layer that refuses them)."""
    return {"C": draw(st.integers(2, 6)), "labels": "index"}


def batch_spec(convention: str) -> Spec:
    return {"C": 4, "labels": "index"}


KIND = Kind(
    "nll_loss", ("nllloss", "nll", "negativeloglikelihood", "negativeloglikelihoodloss", "negloglikelihood"),
    build, draw_classes, batch_spec, loss_functions=("nll_loss", "negative_log_likelihood", "nllloss"), is_loss=True,
    # PyTorch's NLLLoss takes indices: a layer taking them is not told it refuses one-hot rows
    scales=LOSS_SCALES, label_encodings=("index", "onehot"), label_fallback_only=True,
)
