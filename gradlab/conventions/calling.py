"""How gradlab calls a user's code: one-line crash reports, signatures, arrays, reproducible randomness.

Shared by the class-style and function-style adapters. The readings of a crash that mean the code cannot run here
(Python 2, a missing extension, another layout) are `gradlab.conventions.unrunnable`'s. Non-goal: knowing any
convention.
"""

from __future__ import annotations

import ast
import copy
import functools
import inspect
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.conventions.call_mismatch import called_otherwise
from gradlab.conventions.notebooks import place
from gradlab.conventions.source_reading import own_array_type
from gradlab.conventions.unrunnable import (
    another_rank,
    channels_last,
    fixed_size,
    missing_dependency,
    outside_user_code,
    python_2,
)
from gradlab.core.protocol import LayerCrash, LayerSignatureError

# the readings of `unrunnable` stay importable from here, where they were first written
__all__ = ["ConventionMismatch", "RandomStateKeeper", "accepts", "as_array", "assertion_text", "call",
           "cannot_run_here", "crash_report", "has_required_arg", "labels_as_indices", "required_parameters",
           "missing_dependency", "another_rank", "channels_last", "fixed_size", "python_2", "user_frame", "uses_none"]


class ConventionMismatch(LayerSignatureError):
    """The layer is written in a way gradlab does not adapt (numpy-ml's convolutions are channels-last, W (kh, kw,
    in, out); a forward that requires an argument no course passes): it is not checked, which is not a failure
    of the layer."""


def crash_report(call: str, exc: BaseException) -> LayerCrash:
    """A one-line account of an exception raised by the layer: type, message and the layer's own line
    (the innermost frame outside gradlab and installed packages such as numpy)."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if not outside_user_code(f.filename)]
    frame = mine[-1] if mine else None
    where = f" (at {place(frame.filename, frame.lineno or 0)}: {frame.line})" if frame is not None else ""
    if isinstance(exc, NotImplementedError):
        return LayerCrash(call, f"is not implemented yet: it raises NotImplementedError{where}")
    cannot = cannot_run_here(exc)
    if cannot is not None:
        return LayerCrash(call, f"{cannot}; it raised {type(exc).__name__}: {exc}{where}")
    if uses_none(exc):
        # a template's placeholder (`out = None`, then `out.astype(...)`), or a value never stored: the
        # question mark because the second is a real bug of written code
        return LayerCrash(call, f"raised {type(exc).__name__}: {exc}{where}: not implemented yet? (it uses "
                                "a result that is still None)")
    return LayerCrash(call, f"raised {type(exc).__name__}: {exc}{where}")


def uses_none(exc: BaseException) -> bool:
    """Whether `exc` is code using a value that is still None: a course template's placeholder (`out = None`,
    then `out.astype(...)`), or a value written code never stored."""
    # "cannot unpack non-iterable NoneType object": deeplearning.ai's `(A_prev, hparameters) = None` placeholder
    return isinstance(exc, (AttributeError, TypeError)) and ("'NoneType'" in str(exc) or "NoneType object" in str(exc))


def cannot_run_here(exc: BaseException) -> str | None:
    """Why `exc` (raised by the user's code) means the code cannot run on this machine rather than that it is
    wrong, as one sentence ("could not be run: ..."): a missing module or extension, or numpy API removed
    since the code was written. None for a bug of the code's own."""
    missing = missing_dependency(exc)
    if missing:
        return f"could not be run: {missing} is missing (install or build it)"
    from gradlab.conventions.numpy_eras import numbers_only, older_numpy

    older = older_numpy(exc) or python_2(exc) or another_rank(exc) or fixed_size(exc) or channels_last(exc) or \
        own_array_type(exc, user_frame(exc)) or numbers_only(exc) or called_otherwise(exc, user_frame(exc) is not None)
    return f"could not be run: {older}" if older else None


def user_frame(exc: BaseException) -> Any:
    """The innermost frame of `exc`'s traceback in the user's code, or None."""
    tb, frame = exc.__traceback__, None
    while tb is not None:
        if not outside_user_code(tb.tb_frame.f_code.co_filename):
            frame = tb.tb_frame
        tb = tb.tb_next
    return frame


def assertion_text(exc: BaseException) -> str:
    """`asserts pool_height == pool_width == stride (Invalid pool params)`: what a failed assert required,
    read from the layer's own line; the exception's message alone when the line cannot be read."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not outside_user_code(f.filename)]
    condition = None
    if frames and frames[-1].line:
        try:
            node = ast.parse(frames[-1].line.strip()).body[0]
        except (SyntaxError, IndexError):
            node = None
        if isinstance(node, ast.Assert):
            condition = ast.unparse(node.test)
    message = str(exc)
    if condition is None:
        return f"raises AssertionError{': ' + message if message else ''}"
    return f"asserts {condition}" + (f" ({message})" if message else "")



def call(call: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except (Exception, SystemExit) as exc:  # SystemExit too: a layer must not end the checker
        raise crash_report(call, exc) from exc


def signature(fn: Any) -> inspect.Signature:
    """`inspect.signature(fn)`, computed once per function or class: the adapters ask for the same
    signatures at every case (a fast check is a few milliseconds, a fresh signature ~40 µs). A bound
    method is looked up through its function, without `self`. Raises as inspect.signature does."""
    func = getattr(fn, "__func__", None)
    if func is not None and getattr(fn, "__self__", None) is not None and _hashable(func):
        sig = _signature(func)
        return sig.replace(parameters=list(sig.parameters.values())[1:])
    return _signature(fn) if _hashable(fn) else inspect.signature(fn)


def _hashable(fn: Any) -> bool:
    try:
        hash(fn)
    except TypeError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def _signature(fn: Any) -> inspect.Signature:
    return inspect.signature(_passed_through(fn))


def _passed_through(fn: Any) -> Any:
    """The function a decorator's `wrap(*args, **kwargs)` passes its call on to, when it was written without
    functools.wraps (a library's tracing decorator on every forward and backward): `wrap` names no parameter of its
    own and holds exactly one other function; `fn` itself otherwise."""
    if not inspect.isfunction(fn) or not fn.__closure__:
        return fn
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return fn
    if not params or any(p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        return fn
    inner = []
    for cell in fn.__closure__:
        try:
            value = cell.cell_contents
        except ValueError:  # a cell not filled yet
            continue
        if inspect.isfunction(value) and value is not fn:
            inner.append(value)
    return _passed_through(inner[0]) if len(inner) == 1 else fn


def keyword_it_takes(fn: Callable[..., Any], names: tuple[str, ...]) -> str | None:
    """The first of `names` that `fn` names as a parameter; else the first, when `fn` takes **kwargs; else None. A
    forward wrapped by a decorator (`forward(self, X, training=False, *args, **kwargs)`) passes its keywords on to
    the layer's own forward, which takes only the one the wrapper names."""
    try:
        params = signature(fn).parameters
    except (TypeError, ValueError):
        return None
    named = next((n for n in names if n in params), None)
    if named is not None:
        return named
    return names[0] if names and any(p.kind is p.VAR_KEYWORD for p in params.values()) else None


def accepts(fn: Callable[..., Any], name: str) -> bool:
    try:
        params = signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


#: frameworks whose arrays a course's reference layers return (gradlab checks numpy code)
_OTHER_FRAMEWORKS = ("torch", "tensorflow", "jax", "jaxlib", "cupy")


def as_array(value: Any, what: str) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (np.generic, float, int)):
        return np.asarray(value)
    if value is None:  # a course template's `pass`, or `out = None ... return out`
        raise LayerCrash(what, "returned None: not implemented yet? (it must return a numpy array)")
    if type(value).__module__.split(".", 1)[0] in _OTHER_FRAMEWORKS:
        # a course's framework reference next to the numpy layers (CS231n 2019's conv_forward_pytorch): not a
        # numpy layer, so not checked; not a wrong one
        raise ConventionMismatch(f"{what} returned a {type(value).__module__.split('.', 1)[0]} "
                                 f"{type(value).__name__}: a layer of that framework, not numpy code; not checked")
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


def required_parameters(fn: Callable[..., Any]) -> list[Any]:
    """The positional parameters `fn` requires (none when its signature cannot be read)."""
    try:
        params = list(signature(fn).parameters.values())
    except (TypeError, ValueError):
        return []
    return [p for p in params if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def has_required_arg(fn: Callable[..., Any]) -> bool:
    try:
        params = list(signature(fn).parameters.values())
    except (TypeError, ValueError):
        return True
    return any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
