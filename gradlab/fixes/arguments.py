"""Candidate family "call", for a call given fewer arguments than the file's other calls of the same function give it
(`col2im(dcol, self.x.shape, self.pool_h, self.pool_w)` where the convolution's `col2im(..., self.stride, self.pad)`
passes the stride and padding, whose defaults are then wrong).

A helper with defaults (`stride=1, pad=0`) runs without them and is wrong only where the layer's setting differs
from the default. Where another call of the same function in the file passes more positional arguments, the ones
this call leaves out are most likely due here too: they are appended as that call writes them, where every name
they read is one this function can read (its own names, the attributes of `self` in a method). One candidate for
each longer call, at most MAX_CALLS.
Non-goal: keyword arguments, a function called once in the file.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["MAX_CALLS", "argument_edits"]

#: longer calls of the same function offered, at most
MAX_CALLS = 2


def argument_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Return, ast.Expr)):
        return
    t = ctx.text
    known = {a.arg for a in func.args.args} | {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and
                                               isinstance(n.ctx, ast.Store)}
    for call in (n for n in ast.walk(stmt) if isinstance(n, ast.Call)):
        called = call.func.id if isinstance(call.func, ast.Name) else None
        if called is None or call.keywords or not call.args or any(isinstance(a, ast.Starred) for a in call.args):
            continue
        longer = [extra for name, extra in _calls(t.text) if name == called and len(extra) > len(call.args)]
        for extra in list(dict.fromkeys(e[len(call.args):] for e in longer))[:MAX_CALLS]:
            if all(_readable(arg, known) for arg in extra):
                added = ", ".join(extra)
                yield (Edit(t.end(call.args[-1]), t.end(call.args[-1]), f", {added}",
                            f"pass {added} as the file's other call of {called} does", "call"),)


def _readable(arg: str, known: set[str]) -> bool:
    """Whether every name `arg` reads is one the function has (`self` counts: its attributes are the layer's)."""
    try:
        node = ast.parse(arg, mode="eval")
    except SyntaxError:
        return False
    return all(n.id in known or n.id == "self" for n in ast.walk(node) if isinstance(n, ast.Name))


@functools.lru_cache(maxsize=8)
def _calls(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(function name, the texts of its positional arguments) of each call of a plain name in the file."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return ()
    return tuple((n.func.id, tuple(ast.get_source_segment(text, a) or "" for a in n.args))
                 for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and
                 not n.keywords and not any(isinstance(a, ast.Starred) for a in n.args))
