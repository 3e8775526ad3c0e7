"""Candidate family "mirror": a reshape layer's backward that hands the upstream gradient back in the output's shape
(`return dout`), given forward's reshape mirrored: `x.reshape((len(x),) + self.output_shape)` in forward makes
`dout.reshape((len(dout),) + self.input_shape)` in backward.

Offered for a class's backward whose returned value is one of its arguments, when the class's forward returns a
reshape of its input: the same call, forward's input renamed to the returned gradient and each shape named for the
output (`output_shape`, `out_shape`) renamed for the input (`input_shape`, `in_shape`); one candidate.
Non-goal: reshapes forward does not return directly (a flatten kept in a name first: the shape family's).
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM

__all__ = ["mirror_edits"]

_SWAPS = (("output", "input"), ("out", "in"))


def mirror_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if func.name != "backward" or not isinstance(stmt, ast.Return) or not isinstance(stmt.value, ast.Name) or \
            stmt.value.id not in {a.arg for a in func.args.args}:
        return
    t = ctx.text
    forward = _forward_reshape(t.text, func.lineno)
    if forward is None:
        return
    source, call = forward
    mirrored = re.sub(rf"\b{re.escape(source)}\b", stmt.value.id, call)
    for out_word, in_word in _SWAPS:
        mirrored = re.sub(rf"\b(\w*?){out_word}_shape\b", rf"\g<1>{in_word}_shape", mirrored)
    if mirrored != call:
        yield (t.replace(stmt.value, mirrored, ATOM, "reshape it back as forward reshaped its input", family="mirror",
                         need=0),)


@functools.lru_cache(maxsize=8)
def _forward_reshape_all(text: str) -> dict[int, tuple[str, str]]:
    """For each class of `text` (by the lines it spans) whose forward returns a reshape of its input: that input's
    name and the reshape's text."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return {}
    out: dict[int, tuple[str, str]] = {}
    lines = text.splitlines()
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        forward = next((f for f in cls.body if isinstance(f, ast.FunctionDef) and f.name == "forward"), None)
        if forward is None or len(forward.args.args) < 2 or not isinstance(forward.body[-1], ast.Return):
            continue
        value, source = forward.body[-1].value, forward.args.args[1].arg
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "reshape" and \
                value.lineno == value.end_lineno and lines[value.lineno - 1].isascii():
            for line in range(cls.lineno, cls.end_lineno + 1):  # type: ignore[operator]
                out[line] = (source, lines[value.lineno - 1][value.col_offset:value.end_col_offset])
    return out


def _forward_reshape(text: str, line: int) -> tuple[str, str] | None:
    return _forward_reshape_all(text).get(line)
