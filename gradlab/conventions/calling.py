"""How gradlab calls a user's code: one-line crash reports, signatures, arrays, reproducible randomness.

Shared by the class-style and function-style adapters. Non-goal: knowing any convention.
"""

from __future__ import annotations

import copy
import inspect
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from gradlab.core.protocol import LayerCrash

#: gradlab's own package folder: its frames are never the layer's line
_GRADLAB = Path(__file__).resolve().parents[1]

__all__ = ["RandomStateKeeper", "accepts", "as_array", "call", "crash_report", "has_required_arg",
           "labels_as_indices"]


def crash_report(call: str, exc: BaseException) -> LayerCrash:
    """A one-line account of an exception raised by the layer: type, message and the layer's own line
    (the innermost frame outside gradlab and installed packages such as numpy)."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if not _outside_user_code(f.filename)]
    frame = mine[-1] if mine else None
    where = f" (at {Path(frame.filename).name}:{frame.lineno}: {frame.line})" if frame is not None else ""
    if isinstance(exc, NotImplementedError):
        return LayerCrash(call, f"is not implemented yet: it raises NotImplementedError{where}")
    return LayerCrash(call, f"raised {type(exc).__name__}: {exc}{where}")


def _outside_user_code(filename: str) -> bool:
    path = Path(filename)
    return filename.startswith("<") or path.resolve().is_relative_to(_GRADLAB) or "site-packages" in path.parts


def call(call: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except (Exception, SystemExit) as exc:  # SystemExit too: a layer must not end the checker
        raise crash_report(call, exc) from exc


def accepts(fn: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def as_array(value: Any, what: str) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (np.generic, float, int)):
        return np.asarray(value)
    if value is None:  # a course template's `pass`, or `out = None ... return out`
        raise LayerCrash(what, "returned None: not implemented yet? (it must return a numpy array)")
    raise LayerCrash(what, f"returned {type(value).__name__}, not a numpy array")


def labels_as_indices(t: np.ndarray | None) -> np.ndarray | None:
    if t is not None and t.ndim == 2:
        return t.argmax(axis=1)
    return t


class RandomStateKeeper:
    """Makes a stochastic layer draw the same random numbers at every call (dropout masks)."""

    def __init__(self, seed: int, holder: Any = None):
        self.seed = seed
        self.holder = holder
        self.saved: dict[str, Any] = {}
        if holder is not None:
            for name, value in vars(holder).items():
                if isinstance(value, (np.random.RandomState, np.random.Generator)):
                    self.saved[name] = copy.deepcopy(value)

    def reset(self) -> None:
        np.random.seed(self.seed)
        for name, value in self.saved.items():
            setattr(self.holder, name, copy.deepcopy(value))


def has_required_arg(fn: Callable[..., Any]) -> bool:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return True
    return any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
