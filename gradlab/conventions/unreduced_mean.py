"""A loss whose forward returns its losses unreduced and whose backward is the gradient of their mean.

A loss class may leave the reduction to its training loop: `forward(y, t)` returns one loss per sample (or per
element), and the loop takes their mean. gradlab checks such a loss as the gradient of their sum, which `backward()`
with no upstream gradient means (`ClassLayer._summed_if_unreduced`). A backward that divides by N, as a loop taking
the mean needs, is then N times too small, read as extra-batch-mean, though it is right for that loop. Where the
sum fails by the factor N alone, the runner asks again with the mean (`cases.other_layouts.as_mean_of_unreduced`):
`MeanOfUnreducedLayer` divides the summed loss by the batch size N, and the warning says which reduction its backward
is the gradient of.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.conventions.gradient_shapes import ShapeNote
from gradlab.core.protocol import BATCHED_HOOKS, Layer

__all__ = ["UNREDUCED", "MeanOfUnreducedLayer"]

#: how the adapter's warning for such a loss begins after the class's name
UNREDUCED = ".forward returns its losses unreduced"


class MeanOfUnreducedLayer(Layer):
    """`inner` (a class-style loss whose forward returns its losses unreduced), its loss their mean."""

    def __init__(self, inner: Layer):
        self.inner = inner
        self.params = inner.params
        self.grad_names = getattr(inner, "grad_names", {})

    def __getattr__(self, name: str) -> Any:  # the inner layer's optional hooks, but those that batch its forward
        if name in BATCHED_HOOKS:  # batched by contract: not passed on
            raise AttributeError(name)
        return getattr(self.inner, name)

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        y = np.asarray(self.inner.forward(x, t))
        # the batch's mean: the 1/N a backward written for that loop divides by (a loss per element of a sample
        # is still summed within the sample, as the sum's check does)
        losses = getattr(self.inner, "unreduced", None)
        return y / int(losses[0]) if losses else y

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        out = self.inner.backward(dout)
        notes = getattr(self.inner, "shape_notes", None)
        if isinstance(notes, list):
            notes[:] = [_as_mean(n) for n in notes]
        return out


def _as_mean(note: ShapeNote) -> ShapeNote:
    if UNREDUCED not in note.message:
        return note
    name = note.message.split(UNREDUCED, 1)[0]
    return note._replace(message=f"{name}{UNREDUCED}, not one number, and its backward is the gradient of their "
                         "mean over the batch (it divides by N): checked so, right for a training loop that takes "
                         "their mean; the gradient of their sum, which backward() with no upstream gradient usually "
                         "means, would be N times larger")
