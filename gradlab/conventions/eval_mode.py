"""A layer's forward in evaluation mode, where its convention has one: the textbook's `forward(x, train_flg=False)`,
CS231n's settings dict with `"mode": "test"` in place of `"train"`.

A stochastic layer's two modes must agree: dropout's expected output in training is its output at test, whichever
mode does the scaling. A dropout that scales in neither mode has a backward right for its own forward, so no gradient
check can see it; only both modes side by side show it (`Kind.mode_law`, asked by `gradlab.core.check`).
Non-goal: checking gradients in evaluation mode (courses grade the training computation).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.conventions.calling import as_array, call
from gradlab.core.protocol import LayerCrash

__all__ = ["class_forward_eval", "with_test_mode"]


def with_test_mode(args: list[Any]) -> list[Any] | None:
    """`args` with each settings dict whose mode is "train" given "test" instead; None where none has a mode."""
    switched = [{**a, "mode": "test"} if isinstance(a, dict) and a.get("mode") == "train" else a for a in args]
    return None if all(s is a for s, a in zip(switched, args)) else switched


def class_forward_eval(obj: Any, train_kw: str | None, x: np.ndarray) -> np.ndarray:
    """`obj.forward(x, <train_kw>=False)`; LayerCrash for a forward that takes no training flag (no mode to ask)."""
    name = f"{type(obj).__name__}.forward"
    if train_kw is None:
        raise LayerCrash(name, "takes no training flag: it has no evaluation mode to ask")
    out = call(name, obj.forward, x, **{train_kw: False})
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], np.ndarray):  # (out, cache)
        out = out[0]
    return as_array(out, name)
