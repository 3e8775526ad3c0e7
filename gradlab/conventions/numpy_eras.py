"""Code written for another numpy, or for single numbers, read from the line it failed at: not a layer's bug.

Published course code ran on the numpy of its day: the aliases np.int and np.float (removed in numpy 1.24), names
numpy 2.0 removed (np.float_, np.NaN), np.reshape's newshape= keyword, float() of a one-element array with axes
(deeplearning.ai's float(b) of a (1, 1, 1) bias) and a one-element matrix stored into one element (numpy 1 took
their single value; numpy 2 raises). And a learner's function written for one number at a time (math.exp) is no
layer's bug when handed an array. Each reading says why and what to write; `gradlab.conventions.calling` lists a
layer that raises so as skipped, with that sentence, instead of failing it as crashed.
Non-goal: running the code (the line is read, and its arguments evaluated again in the frame it failed in).
"""

from __future__ import annotations

import ast
import inspect
import math
import textwrap
from typing import Any

import numpy as np

from gradlab.conventions.calling import user_frame

__all__ = ["numbers_only", "older_numpy"]

#: names numpy had when published course code was written, and removed since (1.20-1.25, 2.0)
_REMOVED_NUMPY_NAMES = {"int", "float", "bool", "object", "complex", "str", "long", "unicode", "asscalar", "alen",
                        "rank", "typeDict", "loads", "msort", "float_", "complex_", "string_", "unicode_", "NaN",
                        "Inf", "NINF", "PINF", "infty", "Infinity", "product", "cumproduct", "sometrue", "alltrue",
                        "round_", "in1d", "row_stack", "trapz", "mat"}
#: keywords numpy functions took when published course code was written, and no longer take
_REMOVED_KEYWORDS = {"newshape": "np.reshape(a, newshape=s): pass the shape by position, np.reshape(a, s)"}


def older_numpy(exc: BaseException) -> str | None:
    """"it was written for an older numpy (...)" when `exc` is numpy API the code uses and this numpy removed:
    the aliases np.int, np.float (numpy 1.24), names numpy 2.0 removed (np.float_, np.NaN), np.reshape's
    newshape= keyword (CS231n solutions write np.reshape(dx, newshape=x.shape)); None otherwise."""
    text = str(exc).split("\n", 1)[0]
    # only names numpy had and removed: `np.asnumpy` (cupy's, called on the numpy path) is the code's own bug
    if isinstance(exc, AttributeError) and text.startswith("module 'numpy' has no attribute") and \
            (getattr(exc, "name", None) in _REMOVED_NUMPY_NAMES or "deprecated alias" in str(exc)):
        return (f"it was written for an older numpy ({text}; numpy 1.24 removed the aliases np.int, np.float, "
                "np.bool, np.object: write int, float, bool, object)")
    if isinstance(exc, AttributeError) and "was removed in the NumPy 2.0 release" in text:
        return f"it was written for an older numpy ({text})"
    if isinstance(exc, TypeError) and text.startswith("only 0-dimensional arrays can be converted to Python "
                                                      "scalars") and _size_one_array_converted(exc):
        # deeplearning.ai's conv_single_step writes float(b) of its (1, 1, 1) bias: numpy 1.25 warned, numpy 2 raises
        return (f"it was written for an older numpy ({text}; numpy {np.__version__} no longer takes float() of an "
                "array with axes of length 1: write b.item() or np.squeeze(b))")
    stored = _size_one_array_stored(exc) if isinstance(exc, ValueError) and \
        text == "setting an array element with a sequence." else None
    if stored == "column bias":
        return ("it was written for an older numpy (it stores a number plus one row of a bias kept as a column, "
                "b[f] of shape (1,) from b of shape (F, 1), into one element: numpy 1 took its single value, numpy "
                f"{np.__version__} raises; write b[f, 0], or keep the bias as (F,))")
    if stored is not None:
        return ("it was written for an older numpy (it stores a one-element array into one element, "
                "out[i, j] = a.dot(w) + b with a of shape (1, K): numpy 1 took its single value, numpy "
                f"{np.__version__} raises; write (a.dot(w) + b).item(), or a.ravel() @ w.ravel() + b)")
    if isinstance(exc, TypeError) and text == "Use () not None as shape arguments":
        # a layer base class building np.zeros(shape_w) with shape_w = None for its parameter-free subclasses
        return (f"it was written for an older numpy ({text}: np.zeros(None) gave a 0-d array until numpy 1.20 "
                f"deprecated it, numpy {np.__version__} raises; write np.zeros(()))")
    if isinstance(exc, TypeError) and "got an unexpected keyword argument" in text:
        keyword = text.rsplit("'", 2)[-2] if text.count("'") >= 2 else ""
        if keyword in _REMOVED_KEYWORDS:
            return (f"it was written for an older numpy ({text}; numpy {np.__version__} no longer takes "
                    f"{_REMOVED_KEYWORDS[keyword]})")
    return None


def _failing_statement(exc: BaseException) -> tuple[Any, ast.stmt] | None:
    """The user's frame `exc` was raised in and the statement of its line, parsed; None when out of reach."""
    frame = user_frame(exc)
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame is not frame:
        tb = tb.tb_next
    if frame is None or tb is None:
        return None
    try:
        lines, first = inspect.getsourcelines(frame.f_code)
        return frame, ast.parse(textwrap.dedent(lines[tb.tb_lineno - first])).body[0]
    except (OSError, TypeError, IndexError, SyntaxError):
        return None


def numbers_only(exc: BaseException) -> str | None:
    """"it is written for single numbers ..." when the user's line hands a whole array to a function of Python's
    `math` module (`1 / (1 + math.exp(-x))`, a learner's sigmoid(x, derivative=False) for one number at a time):
    code for numbers, not a layer's bug; None otherwise."""
    found = _failing_statement(exc) if isinstance(exc, TypeError) and "arrays can be converted to Python scalars" \
        in str(exc) else None
    if found is None:
        return None
    frame, statement = found
    for call in (n for n in ast.walk(statement) if isinstance(n, ast.Call) and n.args):
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and \
                frame.f_globals.get(func.value.id) is math:
            try:
                value = eval(compile(ast.Expression(call.args[0]), "<math argument>", "eval"),  # noqa: S307
                             frame.f_globals, dict(frame.f_locals))
            except Exception:  # noqa: BLE001 - an argument the line cannot compute again says nothing
                continue
            if isinstance(value, np.ndarray) and value.size > 1:
                return (f"it is written for single numbers, not numpy arrays (math.{func.attr} of an array of shape "
                        f"{value.shape}); write np.{func.attr} to check it as a layer")
    return None


def _size_one_array_converted(exc: BaseException) -> bool:
    """Whether the user's line converts a one-element array with axes to a number (`float(b)` of a (1, 1, 1) bias,
    as numpy 1 allowed), read from its frame: an argument of float(), int() or a math function there that is such an
    array. A function written for numbers called on a whole array (`math.exp(-x)`) never ran on arrays: not so."""
    found = _failing_statement(exc)
    if found is None:
        return False
    frame, statement = found
    converting = [n for n in ast.walk(statement) if isinstance(n, ast.Call) and n.args and (
        isinstance(n.func, ast.Name) and n.func.id in ("float", "int", "complex") or
        isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name) and
        frame.f_globals.get(n.func.value.id) is math)]
    for call in converting:
        try:
            value = eval(compile(ast.Expression(call.args[0]), "<converted value>", "eval"),  # noqa: S307
                         frame.f_globals, dict(frame.f_locals))
        except Exception:  # noqa: BLE001 - any argument the line cannot compute again says nothing
            continue
        if isinstance(value, np.ndarray) and value.ndim >= 1 and value.size > 1:
            return False
        if isinstance(value, np.ndarray) and value.ndim >= 1 and value.size == 1:
            return True
    return False


def _size_one_array_stored(exc: BaseException) -> str | None:
    """What one-element array the user's line `exc` was raised at stores into one element of an array, as numpy 1
    allowed: "matrix" for a one-element matrix (`out[n, f, i, j] = x_row.dot(w_col) + b[f]`, a (1, 1) result),
    "column bias" for a number plus a column bias's row (`_number_plus_column_bias`), None for anything else. Read
    again from that line's own frame, by evaluating its right-hand side there (the line's own arithmetic once more,
    as the failed store just did)."""
    found = _failing_statement(exc)
    if found is None:
        return None
    frame, statement = found
    if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1 and
            isinstance(statement.targets[0], ast.Subscript)):
        return None
    try:
        value = eval(compile(ast.Expression(statement.value), "<stored value>", "eval"),  # noqa: S307
                     frame.f_globals, dict(frame.f_locals))
    except Exception:
        return None
    # a (1, 1) matrix product, as numpy 1 took it; a (1,) can be an elementwise product that is one element only
    # because the case is that small (x[i] * w[:, j] with D = 1: a real bug for any other D)
    if isinstance(value, np.ndarray) and value.size == 1 and value.ndim >= 2:
        return "matrix"
    if isinstance(value, np.ndarray) and value.shape == (1,) and _number_plus_column_bias(statement.value, frame):
        return "column bias"
    return None


def _number_plus_column_bias(expression: ast.expr, frame: Any) -> bool:
    """Whether `expression` is a number plus (or minus) one row of a bias kept as a column, `np.sum(x[i] * w[f]) +
    self.biases[f]` with biases (F, 1) (pybernetics' Conv1D): one element at any case size, since the 1 is the
    bias's own axis, not a drawn size, so numpy 1 took its value."""
    if not (isinstance(expression, ast.BinOp) and isinstance(expression.op, (ast.Add, ast.Sub))):
        return False
    try:
        left, right = (eval(compile(ast.Expression(side), "<term>", "eval"),  # noqa: S307
                            frame.f_globals, dict(frame.f_locals)) for side in (expression.left, expression.right))
    except Exception:  # noqa: BLE001 - a term the line cannot compute again says nothing
        return False
    for number, (side, term) in ((left, (expression.right, right)), (right, (expression.left, left))):
        if np.ndim(number) == 0 and isinstance(side, ast.Subscript) and isinstance(term, np.ndarray) and \
                term.shape == (1,):
            try:
                held = eval(compile(ast.Expression(side.value), "<held>", "eval"),  # noqa: S307
                            frame.f_globals, dict(frame.f_locals))
            except Exception:  # noqa: BLE001
                continue
            if isinstance(held, np.ndarray) and held.ndim == 2 and held.shape[1] == 1 and held.shape[0] > 1:
                return True
    return False
