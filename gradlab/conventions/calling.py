"""How gradlab calls a user's code: one-line crash reports, signatures, arrays, reproducible randomness.

Shared by the class-style and function-style adapters. Non-goal: knowing any convention.
"""

from __future__ import annotations

import copy
import inspect
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.core.protocol import LayerCrash

__all__ = ["RandomStateKeeper", "accepts", "as_array", "call", "crash_report", "has_required_arg",
           "labels_as_indices"]


def crash_report(call: str, exc: BaseException) -> LayerCrash:
    """A one-line account of an exception raised by the layer: type, message and the layer's line."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    for frame in reversed(frames):
        if "gradlab" not in frame.filename.replace("\\", "/").split("/")[-2:-1]:
            where = f" (at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}: {frame.line})"
            break
    return LayerCrash(call, f"raised {type(exc).__name__}: {exc}{where}")


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
