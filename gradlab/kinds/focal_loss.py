"""The focal loss: cross-entropy with each sample's term weighted by (1 - p_t)^gamma, so that easy samples count less.

Names: `FocalLoss(gamma=2.0, alpha=None)` (`forward(scores, y_true)`, `backward()` or `backward(dout)`) and
`focal_loss(x, y) -> (loss, dx)`. Courses write it two ways: over classes (a softmax of (N, C) logits, p_t the
true class's probability, labels one-hot or indices) and binary (a sigmoid of each output, p_t = p where the 0/1
target is 1 and 1 - p where it is 0). Each is checked at its own default gamma.

What a case draws fits both, and both on logits or on probabilities: rows of probabilities (the softmax of small
logits, inside (0, 1), as `categorical_crossentropy` draws them) with one-hot labels, which are also 0/1 targets of
the same shape; a layer that refuses one-hot labels is checked with indices. The derivative of the softmax form,
-(1 - p_t)^γ log p_t, with respect to the logits is (1 - p_t)^γ (p - y) + γ (1 - p_t)^(γ-1) p_t log(p_t) (y - p):
dropping the second term, the weight's own derivative, is the usual slip (`dropped-term`).
"""

from __future__ import annotations

from gradlab.core.kind import Kind
from gradlab.kinds.categorical_crossentropy import build
from gradlab.kinds.common import LOSS_SCALES
from gradlab.kinds.softmax_with_loss import batch_spec, draw_classes

KIND = Kind(
    "focal_loss", ("focalloss", "focal"), build, draw_classes, batch_spec, loss_functions=("focal_loss",),
    is_loss=True, scales=LOSS_SCALES, label_encodings=("onehot", "index"),
)
