"""A class-style layer's own update method, and what it says of how the layer keeps its gradients.

A from-scratch layer may apply its gradients itself (`update(learning_rate)`, `update_parameters(lr, batch_size)`)
and, where its backward adds each sample's gradient into an accumulator (`self.delta_weights += ...`), set that
accumulator back to zeros there, after each mini-batch. Such accumulation is the layer's convention, not a bug:
`zeroed_by_update` names the accumulators, and the layer's check zeroes them before each backward
(`gradlab.conventions.class_style`), as the update would between steps.
Non-goal: calling the update (`gradlab.conventions.sample_updates` does, to ask whether it takes a batch).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from gradlab.conventions.class_slots import WRAPPED_GRADIENT, Slot, gradient_names

__all__ = ["UPDATE_METHODS", "accumulators", "zeroed_by_update"]

#: what a layer calls the method that applies its stored gradients
UPDATE_METHODS = ("update", "update_params", "update_parameters", "update_weights", "step", "apply_gradients",
                  "gradient_descent", "optimize")


def zeroed_by_update(cls: type, spellings: list[str]) -> list[str]:
    """The gradient attributes (`delta_weights`, `dW`) of parameters spelled `spellings` that `cls`'s own update
    method sets back to zeros: a layer whose backward adds each sample's gradient into them (`+=`) and whose update
    applies the sum, then zeroes it, as a network looping over a mini-batch's samples does. The layer's check
    zeroes them before each backward, as the update would between steps."""
    sources = []
    for method in (getattr(cls, m, None) for m in (*UPDATE_METHODS, "zero_grad", "zero_gradients", "reset")):
        try:
            sources.append(inspect.getsource(method)) if callable(method) else None
        except (OSError, TypeError):
            continue
    lines = [line.strip() for source in sources for line in source.splitlines()]
    found = []
    for spelling in spellings:
        for name in gradient_names(spelling):
            if any(line.startswith((f"self.{name} =", f"self.{name}[...] =", f"self.{name}.fill(0"))
                   and ("zeros" in line or line.endswith(("= 0", "= 0.0", "fill(0)", "fill(0.0)"))) for line in lines):
                found.append(name)
    return found


def accumulators(obj: Any, slots: list[Slot]) -> list[tuple[Any, str]]:
    """(holder, attribute) of each gradient the layer adds into and something else zeroes between steps, which the
    layer's check zeroes before each backward: those its own update zeroes (`zeroed_by_update`), and the `.grad` of a
    parameter object (`self.W = Parameter(w)`, `self.W.grad += dW`), which a torch-like optimizer zeroes."""
    found = [(obj, name) for name in zeroed_by_update(type(obj), [s.spelling for s in slots])]
    for slot in slots:
        holder_name, _, inner = slot.spelling.partition(".")
        holder = getattr(obj, holder_name, None) if inner and not holder_name.startswith("params") else None
        found += [(holder, g) for g in WRAPPED_GRADIENT
                  if holder is not None and isinstance(getattr(holder, g, None), np.ndarray)]
    return found
