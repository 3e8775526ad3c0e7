"""How gradlab calls a user's code: one-line crash reports, signatures, arrays, reproducible randomness.

Shared by the class-style and function-style adapters. Non-goal: knowing any convention.
"""

from __future__ import annotations

import ast
import copy
import functools
import inspect
import re
import textwrap
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from gradlab.conventions.call_mismatch import called_otherwise
from gradlab.conventions.source_reading import own_array_type
from gradlab.core.protocol import LayerCrash, LayerSignatureError

#: gradlab's own package folder: its frames are never the layer's line
_GRADLAB = Path(__file__).resolve().parents[1]

__all__ = ["ConventionMismatch", "RandomStateKeeper", "accepts", "as_array", "assertion_text", "call",
           "cannot_run_here", "crash_report", "has_required_arg", "labels_as_indices", "missing_dependency",
           "another_rank", "channels_last", "fixed_size", "python_2", "user_frame", "uses_none"]


class ConventionMismatch(LayerSignatureError):
    """The layer is written in a way gradlab does not adapt (numpy-ml's convolutions are channels-last, W (kh, kw,
    in, out); a forward that requires an argument no course passes): it is not checked, which is not a failure
    of the layer."""


def crash_report(call: str, exc: BaseException) -> LayerCrash:
    """A one-line account of an exception raised by the layer: type, message and the layer's own line
    (the innermost frame outside gradlab and installed packages such as numpy)."""
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if not _outside_user_code(f.filename)]
    frame = mine[-1] if mine else None
    where = f" (at {Path(frame.filename).name}:{frame.lineno}: {frame.line})" if frame is not None else ""
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
    return isinstance(exc, (AttributeError, TypeError)) and "'NoneType'" in str(exc)


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
        if not _outside_user_code(tb.tb_frame.f_code.co_filename):
            frame = tb.tb_frame
        tb = tb.tb_next
    return frame


#: what learners call the channel axis when they unpack an image batch's shape
_CHANNEL_NAMES = ("c", "ch", "chan", "channels", "n_c", "nc", "c_in", "n_channels", "channel", "n_c_prev", "c_prev",
                  "in_channels", "num_channels", "depth", "d")


def channels_last(exc: BaseException) -> str | None:
    """"it is written for channels-last arrays (...)" when `exc` (a ValueError or IndexError) is raised in a function
    that unpacks a 4-D shape with the channels last (`n, h_in, w_in, c = a_prev.shape`, Keras' layout): gradlab gives
    (N, C, H, W), so its sizes come out wrong (a negative output height). None otherwise."""
    if not isinstance(exc, (ValueError, IndexError)):
        return None
    tb, code = exc.__traceback__, None
    while tb is not None:
        if not _outside_user_code(tb.tb_frame.f_code.co_filename):
            code = tb.tb_frame.f_code
        tb = tb.tb_next
    if code is None:
        return None
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(code)))
    except (OSError, TypeError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple) and \
                len(node.targets[0].elts) == 4 and isinstance(node.value, ast.Attribute) and node.value.attr == "shape":
            names = [e.id.lower() if isinstance(e, ast.Name) else "" for e in node.targets[0].elts]
            if names[3] in _CHANNEL_NAMES and names[1] not in _CHANNEL_NAMES:
                return (f"it is written for channels-last arrays (`{ast.unparse(node)}`), where gradlab gives "
                        f"(N, C, H, W) ({exc})")
    return None


def fixed_size(exc: BaseException) -> str | None:
    """"it is written for one input size (...)" when `exc` is numpy refusing a reshape into a shape whose size the
    user's own line writes as a number (`a = a.reshape(-1, 784)`, a network for MNIST only): gradlab draws small
    sizes of its own, which such code cannot take. None otherwise (a reshape computed from the data is the code's)."""
    text = str(exc)
    if not isinstance(exc, ValueError) or not text.startswith("cannot reshape array of size"):
        return None
    target = re.search(r"into shape \(([^)]*)\)", text)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _outside_user_code(f.filename)]
    line = (frames[-1].line or "").strip() if frames else ""
    sizes = [int(d) for d in re.findall(r"\d+", target.group(1))] if target else []
    # the number must be written in the reshape's own arguments: `.transpose(0, 3, 1, 2)` after it writes axes
    arguments = " ".join(_call_arguments(line, "reshape("))
    written = [n for n in sizes if n > 1 and re.search(rf"(?<![\w.]){n}(?![\w.])", arguments)]
    if not written:
        return None
    return (f"it is written for one input size ({text} at `{line}`, where {written[0]} is written in the code): "
            "gradlab checks on small sizes of its own; make the size follow the input's shape")


def _call_arguments(line: str, opening: str) -> list[str]:
    """The text between the parentheses of each `opening` call in `line` (`reshape(` -> `N, H, W, C`)."""
    found = []
    start = line.find(opening)
    while start >= 0:
        depth, i = 1, start + len(opening)
        while i < len(line) and depth:
            depth += {"(": 1, ")": -1}.get(line[i], 0)
            i += 1
        found.append(line[start + len(opening):i - 1])
        start = line.find(opening, i)
    return found


def another_rank(exc: BaseException) -> str | None:
    """"it is written for arrays of another number of axes (...)" when `exc` is the user's line unpacking an array's
    shape into more or fewer sizes than gradlab's array has: a learner's CNN layer taking one image,
    `H, W, C = input.shape`, where gradlab gives a batch (N, C, H, W). None otherwise."""
    if not isinstance(exc, ValueError) or not ("values to unpack" in str(exc) or str(exc) == "axes don't match array"):
        return None
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _outside_user_code(f.filename)]
    line = (frames[-1].line or "").strip() if frames else ""
    target = line.split("=", 1)[0] if "=" in line else ""
    transposes = str(exc) == "axes don't match array" and "transpose(" in line  # (H, W, C) -> (C, H, W), say
    if not transposes and (".shape" not in line.split("=", 1)[-1] or "," not in target):
        return None
    return (f"it is written for arrays of another number of axes ({exc} at `{line}`): gradlab gives a batch, "
            "(N, features) or (N, C, H, W), and this layer takes another layout (one image (H, W, C)?)")


#: what Python 2 had and Python 3 has not, as CS231n's 2016 solutions use it (in a NameError or AttributeError)
_PYTHON_2_NAMES = {"xrange": "range", "iteritems": "items", "itervalues": "values", "iterkeys": "keys",
                   "has_key": "the in operator", "raw_input": "input", "unicode": "str", "basestring": "str",
                   "cPickle": "pickle"}


#: what numpy says when an integer-only argument gets the float that Python 3's `/` makes of two integers
_FLOAT_WHERE_INT = ("'float' object cannot be interpreted as an integer", "slice indices must be integers")


def python_2(exc: BaseException) -> str | None:
    """"it was written for Python 2 (...)" when `exc` is a name only Python 2 had: `xrange` (a NameError for
    a name its module never defines) or `dict.iteritems` (an AttributeError of a dict); or a float where an integer
    belongs (`Hout = 1 + (H - HH) / stride`, then `np.zeros((N, F, Hout, Wout))`) in a file that uses Python 2's
    names without importing them, so it runs under Python 2 only, where `/` of two integers is an integer; None
    otherwise (the same float in Python 3 code is the code's own bug)."""
    if isinstance(exc, NameError) and not isinstance(exc, UnboundLocalError) and exc.name in _PYTHON_2_NAMES:
        name = exc.name
    elif isinstance(exc, AttributeError) and exc.name in _PYTHON_2_NAMES and isinstance(exc.obj, dict):
        name = exc.name
    elif isinstance(exc, TypeError) and str(exc).startswith(_FLOAT_WHERE_INT):
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _outside_user_code(f.filename)]
        used = _python_2_names_used(frames[-1].filename) if frames else []
        if not used:
            return None
        return (f"it was written for Python 2 ({exc}; it uses {used[0]}, so `/` of two integers was an integer "
                "when it was written: in Python 3 write //)")
    else:
        return None
    return f"it was written for Python 2 ({exc}; in Python 3 write {_PYTHON_2_NAMES[name]})"


def _python_2_names_used(filename: str) -> list[str]:
    """The names only Python 2 had (`xrange`, `.iteritems()`) that the file uses and never imports or defines."""
    try:
        tree = ast.parse(Path(filename).read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return []
    bound = _imported_names(filename) | {n.name for n in ast.walk(tree)
                                         if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    bound |= {t.id for n in ast.walk(tree) if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    used = [n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id in _PYTHON_2_NAMES]
    used += [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr in ("iteritems", "has_key")]
    return [n for n in dict.fromkeys(used) if n not in bound]


def missing_dependency(exc: BaseException) -> str | None:
    """What the layer needs and this machine lacks, when `exc` says so; None for a bug of the layer's own.

    An ImportError (ModuleNotFoundError too) raised at call time names a missing module. A NameError
    counts only for a name its module tries to import (CS231n's `fast_layers.py` imports its Cython
    extension in a try/except, so an extension never built leaves `im2col_cython` undefined): a name
    imported nowhere in the module's source is a typo, a real crash.
    """
    if isinstance(exc, ImportError):
        return exc.name or str(exc)
    if not isinstance(exc, NameError) or isinstance(exc, UnboundLocalError) or not exc.name:
        return None
    tb = exc.__traceback__
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    frame = tb.tb_frame  # where the name was looked up: its module's globals and source file
    if exc.name in frame.f_globals:
        return None
    if exc.name in _imported_names(frame.f_code.co_filename):
        return exc.name
    # a name the file expects from a star import that does not provide it: CS231n's fast_layers.py calls im2col,
    # which `from .im2col import *` does not define; an assignment 3 layer_utils.py calls layernorm_forward, which
    # that year's layers.py lacks. The package's pieces do not fit: not a gradient to judge
    star = _star_imports(frame.f_code.co_filename)
    return f"{exc.name} (its `{star[0]}` does not provide it)" if star else None


def _star_imports(filename: str) -> list[str]:
    """The star imports of the file, as written (`from .im2col import *`)."""
    try:
        tree = ast.parse(Path(filename).read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return []
    return [f"from {'.' * node.level}{node.module or ''} import *" for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)]


def _imported_names(filename: str) -> set[str]:
    """Every name an import statement anywhere in the file binds (also inside try/except and functions)."""
    try:
        tree = ast.parse(Path(filename).read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return set()
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add(alias.asname or alias.name.split(".")[0])
    return names


def assertion_text(exc: BaseException) -> str:
    """`asserts pool_height == pool_width == stride (Invalid pool params)`: what a failed assert required,
    read from the layer's own line; the exception's message alone when the line cannot be read."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not _outside_user_code(f.filename)]
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


def _outside_user_code(filename: str) -> bool:
    path = Path(filename)
    return filename.startswith("<") or path.resolve().is_relative_to(_GRADLAB) or "site-packages" in path.parts


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


def has_required_arg(fn: Callable[..., Any]) -> bool:
    try:
        params = list(signature(fn).parameters.values())
    except (TypeError, ValueError):
        return True
    return any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)
