"""Diagnosis of an activation applied again in backward to an array that already holds its output.

A backward that takes tanh's derivative as 1 - np.tanh(h)**2, with h the cached tanh output (a GRU's candidate n, an
RNN's next_h), evaluates the derivative at tanh(h), one tanh too many: the formula is right, its array is not. A
hypothesis tested on the layer: after the case's forward, backward run with np.tanh reading its argument unchanged
returns the true gradient. A backward that needs tanh of a cached pre-activation (an LSTM's tanh(c)) gives no such
agreement, so only the extra call is named. `wrong-input`, as bugs.py has the derivative evaluated at the wrong
array. Non-goal: activations a user writes as their own function (sigmoid(z) = 1 / (1 + np.exp(-z))): np.exp is no
activation to take away.
"""

from __future__ import annotations

__all__ = ["activation_of_its_output"]

from typing import Any

import numpy as np

from gradlab.core.diagnose_routes import quietly
from gradlab.core.diagnose_where import Found, agrees, norm
from gradlab.core.evidence import Evidence


def _unchanged(v: Any, *args: Any, **kwargs: Any) -> np.ndarray:
    return np.array(v, dtype=np.float64)


def _backward_without_tanh(ev: Evidence) -> np.ndarray | None:
    """The target's gradient (user's orientation) from a backward, after the case's forward, in which np.tanh
    returns its argument; np.tanh is put back after."""
    assert ev.G is not None
    G = ev.G

    def ask() -> np.ndarray | None:
        ev.layer.forward(ev.x, ev.t)
        tanh = np.tanh
        np.tanh = _unchanged  # type: ignore[assignment]
        try:
            dx, grads = ev.layer.backward(G.copy())
        finally:
            np.tanh = tanh
        g = dx if ev.target == "x" else grads.get(ev.target)
        if g is None or np.shape(g) != ev.arr.shape:
            return None
        return np.asarray(ev.show(np.asarray(g, dtype=np.float64)), dtype=np.float64)

    return quietly(ev, ask)


def activation_of_its_output(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """`name` is computed with np.tanh applied in backward to an array that already is tanh's output (see the
    module docstring)."""
    if ev is None or ev.G is None or a.shape != n.shape:
        return None
    if agrees(_backward_without_tanh(ev), n, norm(a - n)):
        return Found("wrong-input", f"{name} takes tanh's derivative at tanh of an array that already holds tanh's "
                     "output: with np.tanh reading its argument unchanged in backward, backward returns the true "
                     f"{name} (1 - np.tanh(h)**2 where 1 - h**2 belongs, h the cached output)")
    return None
