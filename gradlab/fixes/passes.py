"""Candidate family "unread", for a sandwich layer's gradient copied past one of its layers where its cache names
that layer only by its role (`dZ = dA` where `relu_backward(dA, activation_cache)` belongs, in the branch whose `if`
tests the activation's name; `da = dout` where the module's backward is a private `_relu_backward`).

`gradlab.fixes.unread` passes a copied gradient through `<layer>_backward(g, <layer>_cache)` when the names say which
layer the cache was kept for; here they do not, and the cache may be read on another branch. Offered for a statement
that copies a gradient (`da = dout`), for each cache the function unpacks (at most MAX_CACHES) and each backward
function of the module other than the function itself (at most MAX_BACKWARDS): the copy passed through it, the
functions whose name the enclosing `if` tests or the cache's name holds first.
Non-goal: a layer whose backward the module does not define or import.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.rebuild import Edit

__all__ = ["MAX_BACKWARDS", "MAX_CACHES", "passed_through_edits"]

#: caches offered for one copy, at most
MAX_CACHES = 2
#: backward functions offered for one cache, at most
MAX_BACKWARDS = 3


def passed_through_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, ast.Assign) or not isinstance(stmt.value, ast.Name) or not is_gradient(stmt.value.id):
        return
    t = ctx.text
    caches = list(dict.fromkeys(n.id for n in ast.walk(func) if isinstance(n, ast.Name) and
                                isinstance(n.ctx, ast.Store) and n.id.lower().endswith("cache")))[:MAX_CACHES]
    backwards = [b for b in _backwards(t.text) if b != func.name]
    if not caches or not backwards:
        return
    tested = " ".join(t.of(n.test) for n in ast.walk(func) if isinstance(n, ast.If) and
                      any(s is stmt for s in ast.walk(n)))
    g = stmt.value.id
    for cache in caches:
        def rank(b: str, cache: str = cache) -> tuple[bool, bool]:
            stem = b.strip("_").removesuffix("_backward")
            return stem not in tested, stem not in cache
        for backward in sorted(backwards, key=rank)[:MAX_BACKWARDS]:
            new = f"{backward}({g}, {cache})"
            yield (Edit(t.start(stmt.value), t.end(stmt.value), new,
                        f"pass {g} back through the layer {cache} was kept for: {new}", "unread"),)


@functools.lru_cache(maxsize=8)
def _backwards(text: str) -> tuple[str, ...]:
    """The backward functions the module defines or imports by name (`relu_backward`, `_relu_backward`)."""
    defined = re.findall(r"^def (\w+_backward)\(", text, re.M)
    imported = [n for line in re.findall(r"^from .* import (.*)$", text, re.M)
                for n in re.findall(r"\b(\w+_backward)\b", line)]
    return tuple(dict.fromkeys([*defined, *imported]))
