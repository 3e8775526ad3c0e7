"""A layer that hands its gradients to an optimizer object inside backward, and keeps none itself.

Numpy libraries give every layer an optimizer (`self.optimizer`, Adam by default) that backward calls with the
gradients it has just computed: `self.optimizer.update([self.weight, self.bias], [dW, db])`, or one array at a time
(`self.W = self.opt.update(self.W, dW)`). The update cannot be read back from an adaptive step, and the layer keeps
no gradient: gradlab gives the layer an optimizer of its own, which records what it is handed and changes nothing,
so the gradient of each parameter is what backward passed for that very array.
Non-goal: the library's optimizers (never run), layers told a learning rate (`gradlab.conventions.class_style`).
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import numpy as np

__all__ = ["OPTIMIZER_ATTRIBUTES", "GradientRecorder", "record_gradients"]

#: where a layer keeps its optimizer object
OPTIMIZER_ATTRIBUTES = ("optimizer", "optim", "opt", "_optimizer")


class GradientRecorder:
    """An optimizer that keeps what it is given: `update(params, grads)` with two lists, or one parameter and its
    gradient (returned unchanged, for `w = opt.update(w, g)`)."""

    def __init__(self) -> None:
        self.given: list[tuple[Any, np.ndarray]] = []

    def update(self, params: Any, grads: Any, *_: Any, **__: Any) -> Any:
        pairs = zip(params, grads) if isinstance(params, (list, tuple)) and isinstance(grads, (list, tuple)) \
            else [(params, grads)]
        self.given += [(p, np.array(g, dtype=float, copy=True)) for p, g in pairs if isinstance(p, np.ndarray)]
        return params

    step = update

    def clear(self) -> None:
        self.given = []

    def gradient_of(self, array: Any) -> np.ndarray | None:
        """The gradient backward handed over for `array` itself (the last, if several), or None."""
        return next((g for p, g in reversed(self.given) if p is array), None)


def record_gradients(obj: Any) -> GradientRecorder | None:
    """Gives `obj` a GradientRecorder in place of the optimizer object it keeps (one with a callable `update`), and
    returns it; None when it keeps none (or will not take another)."""
    for name in OPTIMIZER_ATTRIBUTES:
        try:
            current = getattr(obj, name, None)
        except Exception:  # noqa: BLE001 - a property that cannot build its default optimizer: none to replace
            continue
        if current is None and not _called_on(obj, name):
            continue
        if current is not None and (isinstance(current, type) or not callable(getattr(current, "update", None))):
            continue
        recorder = GradientRecorder()
        try:
            setattr(obj, name, recorder)
        except (AttributeError, TypeError):  # a read-only property
            return None
        return recorder
    return None


def _called_on(obj: Any, name: str) -> bool:
    """Whether the layer's class calls `self.<name>.update(` or `.step(`: an optimizer left at None until a model
    gives it one."""
    try:
        source = inspect.getsource(type(obj))
    except (OSError, TypeError):
        return False
    return re.search(rf"self\.{re.escape(name)}\.(update|step)\(", source) is not None
