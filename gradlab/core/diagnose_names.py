"""How the user's own code names the layer's arrays, so that a diagnosis speaks in them.

A class-style layer keeps its input and output as attributes (the textbook's `self.x`, `self.out`); CS231n's
functions keep them in a cache whose names only the source knows, so their sentences say `x` and `out`.
The same holds for the mask a forward keeps (the textbook's `self.mask`, CS231n's cache).
Non-goal: reading the source (the fix search does, `gradlab.fixes`); this asks the live object only.
"""

from __future__ import annotations

__all__ = ["input_and_output_names", "mask_name"]

import numpy as np

from gradlab.core.evidence import Evidence


def input_and_output_names(ev: Evidence) -> tuple[str, str]:
    """(input, output) as the user's code holds them after the case's forward: a class-style layer's attributes
    whose values are x and the output (the adapter keeps the user's object as `obj`), else `x` and `out`."""
    obj = getattr(ev.layer, "obj", None)
    said = {"x": "x", "y": "out"}
    if obj is None or not hasattr(obj, "__dict__"):
        return said["x"], said["y"]
    for key, array in (("x", ev.show(ev.x)), ("y", ev.output())):
        for attribute, value in vars(obj).items():
            if isinstance(value, np.ndarray) and value.shape == array.shape and np.array_equal(value, array):
                said[key] = f"self.{attribute}"
                break
    return said["x"], said["y"]


def mask_name(ev: Evidence | None) -> tuple[str, str]:
    """(where the forward's mask is kept, how backward applies it) in the user's code: a class-style layer's
    attribute of x's shape that is non-zero exactly where the output is (`dx = dout * self.mask`) or exactly where
    it is zero (the textbook ReLU's `self.mask = x <= 0`: `dx[self.mask] = 0`); else CS231n's cache."""
    obj = getattr(ev.layer, "obj", None) if ev is not None else None
    if ev is not None and obj is not None and hasattr(obj, "__dict__"):
        live = np.asarray(ev.output()) != 0
        for attribute, value in vars(obj).items():
            if not isinstance(value, np.ndarray) or value.shape != live.shape or value.dtype == object:
                continue
            if np.array_equal(value != 0, live):
                return f"kept as self.{attribute}", f"dx = dout * self.{attribute}"
            if np.array_equal(value != 0, ~live):
                return f"kept as self.{attribute}", f"dx = dout.copy(); dx[self.{attribute}] = 0"
    return "stored in the cache", "dx = dout * mask"
