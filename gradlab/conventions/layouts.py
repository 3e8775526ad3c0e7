"""The column layout some courses use: samples as columns, an option of the adapter, not a second harness.

With `layout="columns"` a layer receives `x` as `(features, N)` and returns `(outputs, N)`; one-hot
labels are `(C, N)` (class indices stay `(N,)`); a bias is a column `(M, 1)`. Weights are `(in,
out)` as in the rest of gradlab, or `(out, in)` with `weights="out_in"` (`Z = W @ X + b`, the
best-known column-style course). The checker keeps working in gradlab's own row layout: this
wrapper transposes on the way in and out, and hands the layer *views* of the checker's parameter
arrays, so perturbing a parameter in place still reaches the layer.
Non-goal: layouts for 4-D inputs (convolutions are batch-first in every course).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from gradlab.core.protocol import Layer
from gradlab.kinds import Case, Kind

LAYOUTS = ("rows", "columns")
WEIGHT_LAYOUTS = ("in_out", "out_in")


def _views(weights: str) -> dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]]:
    """parameter -> (view the layer gets, map of its gradient back to gradlab's shape)."""
    out: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {
        "b": (lambda b: b.reshape(-1, 1), lambda g: g.reshape(-1) if g.size == g.shape[0] else g),
        "gamma": (lambda g: g.reshape(-1, 1), lambda g: g.reshape(-1) if g.size == g.shape[0] else g),
        "beta": (lambda g: g.reshape(-1, 1), lambda g: g.reshape(-1) if g.size == g.shape[0] else g),
    }
    if weights == "out_in":
        out["W"] = (lambda W: W.T, lambda g: g.T if g.ndim == 2 else g)
    return out


def _t(a: Any) -> Any:
    """The transpose of a 2-D array; anything else (None, a scalar, index labels) as it is."""
    return a if a is None or np.ndim(a) < 2 else np.ascontiguousarray(np.asarray(a).T)


class ColumnsLayer(Layer):
    """Runs a layer written for `(features, N)` data through gradlab's `(N, features)` checker."""

    def __init__(self, make_inner: Callable[[Case], Layer], kind: Kind, case: Case, *, weights: str = "in_out"):
        if case.x.ndim != 2:
            raise ValueError("the column layout is for 2-D inputs (features, N)")
        self.views = _views(weights)
        inner_params = {k: (self.views[k][0](v) if k in self.views else v) for k, v in case.params.items()}
        self.inner = make_inner(replace(case, x=_t(case.x), t=_t(case.t) if case.t is not None and case.t.ndim == 2
                                        else case.t, params=inner_params))
        self.params = dict(case.params)  # gradlab's arrays; the inner layer holds views of them
        self.grad_names = getattr(self.inner, "grad_names", {})
        self.kind = kind

    @property
    def rebound(self) -> set[str]:
        return getattr(self.inner, "rebound", set())

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        out = self.inner.forward(_t(x), _t(t) if t is not None and np.ndim(t) == 2 else t)
        return out if self.kind.is_loss or np.ndim(out) < 2 else np.asarray(out).T

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        dx, grads = self.inner.backward(dout if np.ndim(dout) < 2 else _t(dout))
        back = {k: (None if g is None else (self.views[k][1](np.asarray(g)) if k in self.views else g))
                for k, g in grads.items()}
        return (None if dx is None else (np.asarray(dx).T if np.ndim(dx) == 2 else dx)), back
