"""A sigmoid and binary cross-entropy in one class whose backward starts from the sigmoid's output: the last layer
of a binary classifier with one output.

Names: `Activation_Sigmoid_Loss_BinaryCrossentropy`, learners' sigmoid counterpart of the "Neural Networks from
Scratch" book's combined softmax class: `forward(logits, y_true)` stores the sigmoid in `self.output` and returns the
mean loss; `backward(dvalues, y_true)` is given that output (`Kind.backward_takes_output`) and stores
`self.dinputs = (dvalues - y_true) / samples`. Logits are (N, 1); labels (N, 1) 0/1 integers, which the book's
`y.reshape(-1, 1)` makes of (N,) labels and which these classes often make themselves inside forward and backward.
A class written for one output is right, so cases have one; several outputs are `bce_with_logits`'s.
"""

from __future__ import annotations

from typing import Any

from gradlab.core.kind import Draw, Kind, Spec
from gradlab.kinds.bce_with_logits import build, forward_candidates
from gradlab.kinds.common import LOSS_SCALES


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return {"D": 1}


def batch_spec(convention: str) -> Spec:
    return {"D": 1}


KIND = Kind(
    "sigmoid_crossentropy_combined", ("activationsigmoidlossbinarycrossentropy", "sigmoidlossbinarycrossentropy",
                                      "activationsigmoidlossbce"),
    build, draw_shape, batch_spec, is_loss=True, scales=LOSS_SCALES, forward_candidates=forward_candidates,
    backward_takes_output=True,
)
