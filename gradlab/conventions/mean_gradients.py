"""Parameter gradients of the batch *mean*: deeplearning.ai's convention, an option of the adapter.

That course's `linear_backward(dZ, cache)` returns `dW = dZ @ A_prev.T / m` and `db` averaged over
the m samples, because its cost is the mean over the batch and the 1/m is applied there, while
`dA_prev = W.T @ dZ` carries no 1/m. With `param_gradients="mean"` gradlab judges a layer in that
convention: the parameter gradients it returns are multiplied by N before they are compared (so a
layer that forgets the 1/m fails as `missing-batch-mean`, and dx is compared as it is).
Non-goal: any other rescaling.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.protocol import Layer

__all__ = ["MeanGradientsLayer"]


class MeanGradientsLayer(Layer):
    """`inner`, with its parameter gradients scaled from the batch mean back to gradlab's sum."""

    def __init__(self, inner: Layer):
        self.inner = inner
        self.params = inner.params
        self.grad_names = getattr(inner, "grad_names", {})
        self.batch = 1

    def __getattr__(self, name: str) -> Any:  # the inner layer's optional hooks (rebound, user_view, ...)
        return getattr(self.inner, name)

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        self.batch = int(np.shape(x)[0]) if np.ndim(x) else 1
        return self.inner.forward(x, t)

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        dx, grads = self.inner.backward(dout)
        return dx, {k: None if g is None else np.asarray(g) * self.batch for k, g in grads.items()}
