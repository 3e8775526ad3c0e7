"""A layer that adds its own weight penalty's gradient: nnfs's `Layer_Dense(n_inputs, n_neurons,
weight_regularizer_l1=0, weight_regularizer_l2=0, bias_regularizer_l1=0, bias_regularizer_l2=0)`.

Its forward returns `inputs @ weights + biases` alone; the penalty `l1 * sum(|W|) + l2 * sum(W ** 2)` is added to
the loss by the loss class's `regularization_loss(layer)`, and its gradient `l1 * sign(W) + 2 * l2 * W` by the
layer's backward to `dweights` (and likewise for the biases). Built with its default strengths 0, that code never
runs, and a slip in it (the 2 of d(W**2)/dW forgotten) passes. So gradlab builds such a layer with non-zero
strengths, different for each term so that a slip names its term, and judges its parameter gradients with the
penalty's gradient taken away: what is left is the gradient of the forward, compared with finite differences as
any layer's.
Non-goal: a penalty by other names (`reg`, `weight_decay`, `lambd`), whose convention (`reg * W` or `2 * reg * W`)
the layer's own loss decides; a loss class that computes `regularization_loss` is not read.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from gradlab.core.protocol import Layer

__all__ = ["PenaltyLayer", "strengths"]

#: a constructor argument's name: (the index of the parameter it penalises among the kind's, its norm, its strength).
#: The strengths differ, so that a term's slip shows as that term's (no two of l1, 2 * l2 alike on one parameter).
_NNFS = {"weight_regularizer_l1": (0, 1, 0.3), "weight_regularizer_l2": (0, 2, 0.7),
         "bias_regularizer_l1": (1, 1, 0.2), "bias_regularizer_l2": (1, 2, 0.45)}


def strengths(cls: Any, params: tuple[str, ...] | list[str]) -> dict[str, tuple[str, int, float]]:
    """The constructor arguments of `cls` that set a penalty on one of `params` (the kind's parameter names, weights
    first): {argument: (parameter, norm, strength)}; empty for any other class."""
    try:
        names = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return {}
    return {name: (params[i], norm, value) for name, (i, norm, value) in _NNFS.items()
            if name in names and i < len(params)}


class PenaltyLayer(Layer):
    """`inner`, built with `given`'s strengths, its parameter gradients judged without the penalty's gradient."""

    def __init__(self, inner: Layer, given: dict[str, tuple[str, int, float]]):
        self.inner = inner
        self.params = inner.params
        self.grad_names = getattr(inner, "grad_names", {})
        self.given = given

    def __getattr__(self, name: str) -> Any:  # the inner layer's optional hooks (rebound, user_view, ...)
        return getattr(self.inner, name)

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        return self.inner.forward(x, t)

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        # the penalty at the parameters the backward saw: read before it, since a layer may update them in it
        penalty = {name: self._penalty(name) for name in {p for p, _, _ in self.given.values()}}
        dx, grads = self.inner.backward(dout)
        return dx, {k: g if g is None or k not in penalty else np.asarray(g) - penalty[k] for k, g in grads.items()}

    def _penalty(self, name: str) -> np.ndarray:
        value = np.asarray(self.params[name], dtype=float)
        total = np.zeros_like(value)
        for parameter, norm, strength in self.given.values():
            if parameter == name:
                total += strength * np.where(value < 0, -1.0, 1.0) if norm == 1 else 2 * strength * value
        return total

    def explain_gradient(self, case: Any, target: str, analytic: np.ndarray, numeric: np.ndarray,
                         y0: np.ndarray) -> tuple[str, str] | None:
        """A parameter gradient wrong by a multiple of one penalty's gradient: that term dropped, or scaled."""
        if target not in {p for p, _, _ in self.given.values()}:
            return None
        grad = str(self.grad_names.get(target, "d" + target))
        value, residual = np.asarray(self.params[target], dtype=float), analytic - numeric
        scale = max(float(np.abs(numeric).max(initial=0.0)), 1.0)
        for argument, (parameter, norm, strength) in self.given.items():
            if parameter != target:
                continue
            shape = np.where(value < 0, -1.0, 1.0) if norm == 1 else value
            c = float(np.sum(residual * shape) / max(float(np.sum(shape * shape)), 1e-300))
            if abs(c) < 1e-6 * strength or not np.allclose(residual, c * shape, rtol=1e-4, atol=1e-8 * scale):
                continue
            return _read(grad, argument, norm, strength, c)
        return None


def _read(grad: str, argument: str, norm: int, strength: float, c: float) -> tuple[str, str]:
    """The code and words for `grad` holding `c` more than the gradient of `argument`'s penalty."""
    name = grad[1:] if grad.startswith("d") and len(grad) > 1 else "W"
    penalty = f"{argument} * sum(abs({name}))" if norm == 1 else f"{argument} * sum({name} ** 2)"
    wants = f"{argument} * sign({name})" if norm == 1 else f"2 * {argument} * {name}"
    factor = (strength if norm == 1 else 2 * strength) + c
    built = f"(gradlab built the layer with {argument}={strength:g}, since at 0 the term is never added)"
    if abs(factor) < 1e-6 * strength:
        return "dropped-term", f"{grad} lacks the penalty's gradient {wants}: the loss adds {penalty} {built}"
    has = f"{factor / strength:.3g} * {argument} * {'sign(' + name + ')' if norm == 1 else name}"
    return "scaled", f"{grad} adds {has} for the penalty {penalty}, whose gradient is {wants} {built}"
