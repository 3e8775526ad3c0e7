"""Readings of a crash that say the user's code cannot run here, as gradlab calls it, rather than that it is wrong.

A missing module or extension, a name only Python 2 had, arrays of another number of axes or channels-last, a
reshape into a size written as a number: each reading is one sentence for `gradlab.conventions.calling.cannot_run_here`,
or None when the crash is the code's own bug. They are kept out of `calling`, which calls the layer and reports its
crash, because each reads the user's source (its line, its file) to tell an environment apart from a bug. Where the
user's code ends (`outside_user_code`) is here too: these readings need it, and `calling` imports it from here, so
the import goes one way. Non-goal: numpy API since removed (that is `gradlab.conventions.numpy_eras`).
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import traceback
from contextvars import ContextVar
from pathlib import Path

#: gradlab's own package folder: its frames are never the layer's line
_GRADLAB = Path(__file__).resolve().parents[1]

__all__ = ["ANOTHER_RANK", "another_rank", "channels_last", "fixed_size", "missing_dependency", "outside_user_code",
           "python_2"]


def outside_user_code(filename: str) -> bool:
    """Whether a frame of `filename` is not the user's: gradlab's own, an installed package's (numpy), or no file."""
    path = Path(filename)
    return filename.startswith("<") or path.resolve().is_relative_to(_GRADLAB) or "site-packages" in path.parts


#: what learners call the channel axis when they unpack an image batch's shape
#: the attribute `gradlab.conventions.channels_last` sets on what a layer raised while given its images channels last,
#: and the flag it sets while the layer runs: a crash there is the layer's own, not the layout's
GIVEN_CHANNELS_LAST = "gradlab_given_channels_last"
RUNNING_CHANNELS_LAST: ContextVar[bool] = ContextVar(GIVEN_CHANNELS_LAST, default=False)
_CHANNEL_NAMES = ("c", "ch", "chan", "channels", "n_c", "nc", "c_in", "n_channels", "channel", "n_c_prev", "c_prev",
                  "in_channels", "num_channels", "depth", "d")


def channels_last(exc: BaseException) -> str | None:
    """"it is written for channels-last arrays (...)" when `exc` (a ValueError or IndexError) is raised in a function
    that unpacks a 4-D shape with the channels last (`n, h_in, w_in, c = a_prev.shape`, Keras' layout): gradlab gives
    (N, C, H, W), so its sizes come out wrong (a negative output height). None otherwise."""
    if not isinstance(exc, (ValueError, IndexError)) or getattr(exc, GIVEN_CHANNELS_LAST, False) or \
            RUNNING_CHANNELS_LAST.get():
        return None
    tb, code = exc.__traceback__, None
    while tb is not None:
        if not outside_user_code(tb.tb_frame.f_code.co_filename):
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
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not outside_user_code(f.filename)]
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


#: how the reason for a layer written for arrays of another rank begins
ANOTHER_RANK = "it is written for arrays of another number of axes"


def another_rank(exc: BaseException) -> str | None:
    """"it is written for arrays of another number of axes (...)" when `exc` is the user's line unpacking an array's
    shape into more or fewer sizes than gradlab's array has: a learner's CNN layer taking one image,
    `H, W, C = input.shape`, where gradlab gives a batch (N, C, H, W). None otherwise."""
    if not isinstance(exc, ValueError) or not ("values to unpack" in str(exc) or str(exc) == "axes don't match array"):
        return None
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not outside_user_code(f.filename)]
    line = (frames[-1].line or "").strip() if frames else ""
    target = line.split("=", 1)[0] if "=" in line else ""
    transposes = str(exc) == "axes don't match array" and "transpose(" in line  # (H, W, C) -> (C, H, W), say
    if not transposes and (".shape" not in line.split("=", 1)[-1] or "," not in target):
        return None
    return (f"{ANOTHER_RANK} ({exc} at `{line}`): gradlab gives a batch, "
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
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if not outside_user_code(f.filename)]
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
