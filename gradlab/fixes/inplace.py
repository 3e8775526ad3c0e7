"""Candidate family "target": `dW[...] = value` where `dW = value` rebinds a local name bound to a held array.

The textbook's layers keep their gradients in arrays the optimizer holds (`self.grads = [np.zeros_like(W)]`)
and unpack them (`dW, db = self.grads`, `dW = self.grads[0]`): assigning the name then writes nothing into the
array, which stays zero. Offered for an assignment to a name bound earlier from a value that reads `grads`.
Non-goal: names bound from anything else (a rebinding of a fresh local is no bug).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.reads import statements_of
from gradlab.fixes.rebuild import Edit

__all__ = ["inplace_edits"]


def inplace_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
        return
    name = stmt.targets[0].id
    t = ctx.text
    if name in _held(func, ctx, before=stmt.lineno):
        target = stmt.targets[0]
        yield (Edit(t.start(target), t.end(target), f"{name}[...]",
                    f"write into the array {name} names, not a new binding of the name", "target"),)


def _held(func: ast.FunctionDef, ctx: Context, before: int) -> set[str]:
    """Names bound, before line `before`, to (items of) a held gradient list: `dW, db = self.grads`."""
    out: set[str] = set()
    for st in statements_of(func):
        if st.lineno >= before or not isinstance(st, ast.Assign) or "grads" not in ctx.text.of(st.value):
            continue
        for target in st.targets:
            elts = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
            out |= {e.id for e in elts if isinstance(e, ast.Name)}
    return out
