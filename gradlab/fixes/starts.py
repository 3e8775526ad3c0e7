"""Candidate family "zeros-start": a gradient started from ones (or from uninitialised memory) and then written into
by index, where it must start from zeros (`dLdA = np.ones(self.in_shape)`, then `dLdA[:, :, ::k, ::k] = dLdZ`: the
positions the forward dropped keep a gradient of 1).

An array a backward fills by index or accumulates into holds, wherever it is not written, what it started as: the
gradient of an input the output does not depend on is zero. Offered for an assignment of `np.ones`, `np.ones_like`,
`np.empty` or `np.empty_like` to a name or attribute that a later statement of the function writes into by index or
with `+=`: the call made its zeros counterpart, one candidate a statement.
Non-goal: a gradient started from zeros that should start from the upstream gradient (a skip path's term).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.reads import statements_of
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import Text

__all__ = ["zeros_start_edits"]

_ZEROS = {"ones": "zeros", "ones_like": "zeros_like", "empty": "zeros", "empty_like": "zeros_like"}


def zeros_start_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.value, ast.Call) or \
            not isinstance(stmt.value.func, ast.Attribute) or stmt.value.func.attr not in _ZEROS:
        return
    t = ctx.text
    name = t.of(stmt.targets[0])
    later = [s for s in statements_of(func) if s.lineno > stmt.lineno]
    if not any(_fills(s, name, t) for s in later):
        return
    f = stmt.value.func
    yield (Edit(t.end(f.value), t.end(f), f".{_ZEROS[f.attr]}",
                f"start {name} from zeros: what is never written into has no gradient", "zeros-start"),)


def _fills(stmt: ast.stmt, name: str, t: Text) -> bool:
    """Whether `stmt` writes into an element of `name` (`a[i] = ...`, `a[i] += ...`) or adds to it (`a += ...`)."""
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AugAssign) else []
    for target in targets:
        if isinstance(target, ast.Subscript) and t.of(target.value) == name:
            return True
        if isinstance(stmt, ast.AugAssign) and t.of(target) == name:
            return True
    return False
