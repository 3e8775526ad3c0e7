"""A constructor given a shape where the layer's code uses it as a number of values.

A reshape layer documented as `Reshape(output_shape)` ("output_shape: tuple") may reshape with
`x.reshape((N, self.output_shape))`, which takes a number: given gradlab's shape it raises "'tuple' object cannot
be interpreted as an integer" and says nothing about its backward. Its forward is run again with the attribute
that holds the shape set to the number of values the shape stands for: all of them, or those after its first axis
(a batch's); the first that runs is kept for the layer's life.
Non-goal: which shapes gradlab gives a constructor (that is `gradlab.conventions.class_construction`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["NOT_A_COUNT", "forward_counting_shapes"]

#: what numpy says when a shape is used where a number belongs
NOT_A_COUNT = "'tuple' object cannot be interpreted as an integer"


def forward_counting_shapes(obj: Any, run: Callable[[], Any]) -> Any:
    """`run()` (the layer's forward); when it raises NOT_A_COUNT, again with each of `obj`'s attributes that hold a
    shape (a tuple of whole numbers) set to a number of values it stands for, the first that runs kept."""
    held = dict(getattr(obj, "__dict__", {}))  # what the constructor stored, before forward stores more
    try:
        return run()
    except Exception as exc:  # noqa: BLE001 - re-raised below unless a count makes the forward run
        if NOT_A_COUNT not in str(exc):
            raise
        first = exc
    shapes = {k: v for k, v in held.items()
              if isinstance(v, tuple) and v and all(isinstance(n, (int, np.integer)) for n in v)}
    for attribute, shape in shapes.items():
        for count in dict.fromkeys((int(np.prod(shape)), int(np.prod(shape[1:])) if len(shape) > 1 else None)):
            if count is None:
                continue
            setattr(obj, attribute, count)
            try:
                return run()
            except Exception:  # noqa: BLE001 - not this count: the next, then the shape as it was
                continue
        setattr(obj, attribute, shape)
    raise first
