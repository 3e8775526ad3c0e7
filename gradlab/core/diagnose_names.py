"""How the user's own code names the layer's arrays, so that a diagnosis speaks in them.

A class-style layer keeps its input and output as attributes (the textbook's `self.x`, `self.out`); CS231n's
functions keep them in a cache whose names only the source knows, so their sentences say `x` and `out`.
Non-goal: reading the source (the fix search does, `gradlab.fixes`); this asks the live object only.
"""

from __future__ import annotations

__all__ = ["input_and_output_names"]

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
