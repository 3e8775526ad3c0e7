"""Layers written for sequences `(N, T, D)`: a transformer's LayerNorm, Linear or activation that acts on each token.

A numpy transformer's `LayerNorm.backward` sums its parameter gradients over the batch and time axes,
`dgamma = (dout * xhat).sum(axis=(0, 1))`; given gradlab's `(N, D)` rows it sums over both axes to one number and
fails wrong-reduction, although it is right on the sequences it is written for. For a layer that acts on each row
alone, gradlab's rows are tokens: `SequenceLayer` hands the layer its rows as sequences, `(a, b, D)` with `a * b = N`
(both above one where N allows it, so that a sum over either axis alone shows), and gives its output and input
gradient gradlab's `(N, ...)` back. The runner tries it for a layer that failed on rows only by a crash or a
gradient of the wrong shape, and keeps it only where the layer then passes (`gradlab.cases.other_layouts.as_sequences`).
Non-goal: layers that mix tokens (attention, recurrences: kinds of their own take (N, T, D)).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.protocol import BATCHED_HOOKS, Layer

__all__ = ["SEQUENCE_LAYOUT", "SEQUENCES", "SequenceLayer", "sequence_shape"]

#: the entry option's value (`options["samples"]`) for a layer given its rows as sequences
SEQUENCES = "sequences"
#: how a report says it was detected
SEQUENCE_LAYOUT = "sequences (N, T, D), each token as a row"


def sequence_shape(n: int) -> tuple[int, int]:
    """(batch, time) for n rows: the smallest factor above one as the batch, else one sequence of n tokens."""
    factor = next((f for f in range(2, int(n ** 0.5) + 1) if n % f == 0), None)
    return (factor, n // factor) if factor is not None else (1, n)


class SequenceLayer(Layer):
    """`inner`, given gradlab's rows as sequences of tokens, its output and input gradient given back as rows."""

    def __init__(self, inner: Layer):
        self.inner = inner
        self.params = inner.params
        self.grad_names = getattr(inner, "grad_names", {})
        self._shape: tuple[int, int] = (1, 1)

    def __getattr__(self, name: str) -> Any:  # the inner layer's optional hooks (install_param, notes, ...)
        if name in BATCHED_HOOKS:  # batched by contract: not passed on
            raise AttributeError(name)
        return getattr(self.inner, name)

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        self._shape = sequence_shape(int(np.shape(x)[0]))
        out = np.asarray(self.inner.forward(np.reshape(x, (*self._shape, *np.shape(x)[1:])), t))
        return out.reshape(np.shape(x)[0], *out.shape[2:]) if out.ndim >= 2 else out

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        dx, grads = self.inner.backward(np.reshape(dout, (*self._shape, *np.shape(dout)[1:])))
        if dx is None or np.ndim(dx) < 2:
            return dx, grads
        dx = np.asarray(dx)
        if dx.shape[:2] != self._shape:  # not the sequences it was given: its shape shows as it is
            return dx, grads
        return dx.reshape(dx.shape[0] * dx.shape[1], *dx.shape[2:]), grads
