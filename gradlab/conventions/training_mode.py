"""A layer put in training mode the way its library does it, before any case: a method, not a forward argument.

Some libraries keep a layer's mode in the layer and switch it by a call (PyTorch's `layer.train()`, a library's
`layer.is_training(True)` that is both getter and setter). A batch norm left in its default evaluation mode
normalises with its running statistics while its backward differentiates the batch's: a right layer read as wrong.
Forward's own training flag (`forward(x, train_flg=True)`) is `gradlab.conventions.class_style`'s.
Non-goal: evaluation mode (gradlab checks the training computation, as courses grade it).
"""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["MODE_METHODS", "enter_training_mode"]

#: methods that put a layer in training mode when called with no argument, or with True
MODE_METHODS = ("train", "is_training", "set_training", "training_mode", "set_train")


#: a mode switch's optional argument that is not the mode
_NOT_THE_MODE = ("verbose", "recurse", "recursive", "deep", "log", "quiet", "silent", "debug")


def enter_training_mode(obj: Any) -> str | None:
    """Calls the first of MODE_METHODS `obj` has that takes nothing (`train()`) or one value (`is_training(True)`);
    the call made, or None. A method that needs more (a model's `train(X, y)`) is not a mode switch."""
    for name in MODE_METHODS:
        method = getattr(obj, name, None)
        if not callable(method) or not inspect.ismethod(method):
            continue
        try:
            params = [p for p in inspect.signature(method).parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            continue
        required = [p for p in params if p.default is p.empty]
        if required or len(params) > 1:
            continue
        # the one argument is the mode (`train(mode=True)`, `is_training(value=None)` both getter and setter) unless
        # it is named as something else, which keeps its default: `train(verbose=False)` would print
        flag = bool(params) and (bool(required) or params[0].name.lower() not in _NOT_THE_MODE)
        try:
            method(True) if flag else method()
        except Exception:  # noqa: BLE001 - not a mode switch after all: the layer is checked as it is
            continue
        return f"{name}({'True' if flag else ''})"
    return None
