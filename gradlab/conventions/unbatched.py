"""Layers written for one sample with no batch axis at all: an image `(C, H, W)` in, `(F, H', W')` out.

The "neural network from scratch" videos and their many forks train one sample at a time and never give a layer a
batch axis: `Convolutional.forward(input)` loops over `input[j]`, the channels, and a single image's `Flatten`
returns `x.reshape(-1)`. The column layout's "one sample at a time" covers 2-D data; for any kind, `UnbatchedLayer`
runs such a layer on batches of one, handing it the sample itself and giving its output and gradients the batch
axis back. The runner tries it for a layer that crashed on batches (`gradlab.cases.runner`), as it tries the
column layout, and says it was detected.
Non-goal: batches of more than one (the layer takes none; a case with N > 1 is refused with a clear message).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.protocol import BATCHED_HOOKS, Layer, LayerCrash

__all__ = ["ONE_ROW_LAYOUT", "UNBATCHED", "UNBATCHED_LAYOUT", "UnbatchedLayer"]

#: the entry option's value (`options["samples"]`) for a layer that takes one sample with no batch axis
UNBATCHED = "unbatched"
#: how a report says it was detected ("detected: samples as single arrays, no batch axis")
UNBATCHED_LAYOUT = "single arrays, no batch axis"
#: how a report says a layer runs on one sample as a row, (1, features), and on no larger batch (the article's
#: `FCLayer`, whose `bias -= learning_rate * output_error` takes one row): checked on batches of one
ONE_ROW_LAYOUT = "rows, one sample at a time"


class UnbatchedLayer(Layer):
    """`inner`, given `x[0]` and `dout[0]` of a batch of one, its output and input gradient given the axis back."""

    def __init__(self, inner: Layer):
        self.inner = inner
        self.params = inner.params
        self.grad_names = getattr(inner, "grad_names", {})
        self.x_shape: tuple[int, ...] | None = None  # the batch of one the last forward was given

    def __getattr__(self, name: str) -> Any:  # the inner layer's optional hooks (install_param, notes, ...)
        if name in BATCHED_HOOKS:  # batched by contract: not passed on
            raise AttributeError(name)
        return getattr(self.inner, name)

    def user_view(self, target: str, array: np.ndarray) -> np.ndarray:
        """x, the output and their gradients as the layer holds them, without the batch axis of one gradlab gives
        them (messages then say (C, H, W), the user's shape); anything else, and a shape not seen, unchanged."""
        if target in ("x", "out") and np.ndim(array) >= 1 and np.shape(array)[0] == 1:
            return np.asarray(array)[0]
        return array

    def gradlab_view(self, target: str, array: np.ndarray) -> np.ndarray:
        """`user_view`'s inverse: x's gradient with the batch axis of one back, as a kind's reading takes it beside
        the case (a GRU cell's dx read against the cell's own backward)."""
        if target in ("x", "out") and self.x_shape is not None and np.shape(array) == self.x_shape[1:]:
            return np.asarray(array)[np.newaxis]
        return array

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        if np.ndim(x) == 0 or np.shape(x)[0] != 1:
            raise LayerCrash("forward", f"a layer that takes one sample with no batch axis is checked on batches of "
                             f"one, got x of shape {np.shape(x)}")
        # a recurrent step's states go in with x (`Kind.forward_inputs`): the sample's own, without the axis too (a
        # view, so that gradlab's perturbations in place still reach them)
        self.x_shape = np.shape(x)
        states = getattr(self.inner, "inputs", None)
        held = dict(states) if isinstance(states, dict) else {}
        for name, value in held.items():
            if np.ndim(value) >= 1 and np.shape(value)[0] == 1:
                states[name] = value[0]  # type: ignore[index]
        try:
            return np.asarray(self.inner.forward(x[0], None if t is None else t[0]))[np.newaxis]
        finally:
            if held:
                states.update(held)  # type: ignore[union-attr]

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        dx, grads = self.inner.backward(dout[0])
        states = getattr(self.inner, "inputs", None)
        for name in states if isinstance(states, dict) else ():
            g = grads.get(name)
            if g is not None and np.ndim(g) == np.ndim(self.params[name]) - 1:
                grads[name] = np.asarray(g)[np.newaxis]
        return (None if dx is None else _with_batch_axis(np.asarray(dx), self.x_shape)), grads


def _with_batch_axis(dx: np.ndarray, batched: tuple[int, ...] | None) -> np.ndarray:
    """dx given the batch axis of one back; one returned already in x's batched shape (CMU's GRU cell returns dx as
    (1, d)) kept as it is."""
    return dx if batched is not None and len(batched) > 1 and dx.shape == batched else dx[np.newaxis]
