"""Softmax and categorical cross-entropy in one class whose backward starts from the softmax's output.

Names: the "Neural Networks from Scratch" book's `Activation_Softmax_Loss_CategoricalCrossentropy`:
`forward(inputs, y_true)` stores the softmax in `self.output` and returns the mean loss; `backward(dvalues,
y_true)` is given that output (the probabilities, not an upstream gradient) and stores `self.dinputs =
(dvalues - onehot) / samples`. Labels are class indices or one-hot rows.

How it is checked: the loss is the function of the logits that forward returns, and its gradient is compared
with what backward stores when it is fed what it is fed in the book's training loop, the `self.output` of the
same forward (`Kind.backward_takes_output`). So a backward right only for some other dvalues, or a forward whose
output is not the softmax its loss was computed from, fails. The upstream gradient of a loss is 1; backward's
result is scaled by it. The book's later chapters keep only backward in this class (their Model runs the
forward): with no forward there is no function to differentiate, and such a class is not a layer gradlab checks.
Non-goal: a softmax-with-loss whose backward takes `dout=1` (that is `softmax_with_loss`).
"""

from __future__ import annotations

from gradlab.core.kind import Kind
from gradlab.kinds.common import LOSS_SCALES, class_label_extremes
from gradlab.kinds.softmax_with_loss import batch_spec, build, draw_classes

KIND = Kind(
    "softmax_crossentropy_combined", ("activationsoftmaxlosscategoricalcrossentropy",
                                      "softmaxlosscategoricalcrossentropy", "softmaxcategoricalcrossentropy"),
    build, draw_classes, batch_spec, is_loss=True, scales=LOSS_SCALES, extreme_specs=class_label_extremes,
    label_encodings=("onehot", "index"), backward_takes_output=True,
)
