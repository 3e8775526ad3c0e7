"""The pooling windows a class-style layer's own constructor can be built with, and cases drawn to fit them.

A pooling class whose constructor stores one window size (`MaxPooling(kernel_size, stride)`, `AvgPool(pool_size)`)
pools over square windows only: its code has no width to use (`col.reshape(-1, k * k)`). Given a case whose window
is 2 x 1 it can only crash, and that crash says nothing about its backward. Such a layer's cases are drawn with
square windows: the window's width is set to its height, and the image's width changed so that the case keeps its
number of output columns (still another number than its rows, so H != W). A constructor that also takes a width,
or whose one size defaults to a pair (`pool_size=(2, 2)`: it is given the pair), keeps the kind's own cases.
Non-goal: which windows a kind draws (that is the kind's module), building the layer
(`gradlab.conventions.class_construction`).
"""

from __future__ import annotations

import inspect
from typing import Any

from gradlab.conventions.registry import Entry
from gradlab.kinds import Kind

__all__ = ["one_window_size", "square_window"]

#: constructor arguments holding a window's height, or its one size, and those holding its width; the names
#: `gradlab.conventions.class_construction` gives the case's pool_h and pool_w to
WINDOW_SIZE_NAMES = ("pool_h", "pool_height", "pool_size", "ph", "kernel_size", "size", "window_size", "window",
                     "kernel")
WINDOW_WIDTH_NAMES = ("pool_w", "pool_width", "pw")


def one_window_size(entry: Entry, kind: Kind) -> bool:
    """Whether `entry` is a class whose constructor takes one window size, for a kind whose cases draw a window's
    height and width (pool_h, pool_w) apart."""
    # a function pair's forward may take one size too, `max_pool2d_forward(x, kernel_size=2, stride=2)`
    # (`gradlab.conventions.function_inputs.settings_in_place_of_dict` gives it the window's height)
    target = entry.target[0] if entry.convention == "function" and isinstance(entry.target, tuple) else entry.target
    if not (entry.convention == "class" and isinstance(target, type) or
            entry.convention == "function" and inspect.isfunction(target)) or \
            not {"pool_h", "pool_w"} <= set(kind.hyper_args):
        return False
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):  # a constructor written in C: nothing to read
        return False
    if kind.param_dict is not None and kind.param_dict in (p.name for p in parameters):
        return _reads_one_size(entry)
    if any(p.kind is p.VAR_KEYWORD or p.name in WINDOW_WIDTH_NAMES for p in parameters):
        return False  # it can be told a width, or anything
    sizes = [p for p in parameters if p.name in WINDOW_SIZE_NAMES]
    return bool(sizes) and not any(isinstance(p.default, (tuple, list)) for p in sizes)


def _reads_one_size(entry: Entry) -> bool:
    """Whether a function pair taking the settings dict reads one window size out of it (`pool_param["pool_size"]`)
    and no width: it pools over square windows only, as a constructor taking one size does."""
    try:
        source = "".join(inspect.getsource(f) for f in entry.target if inspect.isfunction(f))
    except (OSError, TypeError):
        return False
    return any(f"{q}{name}{q}" in source for name in ("pool_size", "size", "kernel_size") for q in "'\"") and \
        not any(f"{q}{name}{q}" in source for name in WINDOW_WIDTH_NAMES for q in "'\"")


def square_window(spec: dict[str, Any]) -> dict[str, Any]:
    """`spec` with a square window (pool_w = pool_h) and the width that keeps its number of output columns."""
    height, width = spec.get("pool_h"), spec.get("pool_w")
    if height is None or width is None or height == width or "W" not in spec:
        return spec
    stride, pad = spec.get("stride", 1), spec.get("pad", 0)
    columns = (spec["W"] + 2 * pad - width) // stride + 1
    return {**spec, "pool_w": height, "W": (columns - 1) * stride + height - 2 * pad}
