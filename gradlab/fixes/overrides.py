"""Candidate family "override": what a subclass's constructor changes of what its base built, undone (the word2vec
loss whose EmbeddingDot layers are made to share one gradient array, which each of their backwards zeroes).

A subclass that changes only `__init__` inherits a forward and a backward written for what the base's constructor
builds; statements after its `super().__init__(...)` that rewrite attributes (`self.grads = ...`,
`dot.grads[0] = dW` in a loop over the base's layers) can break that contract. Offered where the code shows it, on
the call to the base's constructor: each such statement removed, then all of them at once (at most three lines).
Non-goal: writing a new constructor (a subclass that does more than rebind attributes is the user's design).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["override_edits"]

#: the most lines the statements removed together may span
_MAX_LINES = 3


def override_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del ctx  # the statements alone say it
    if func.name != "__init__" or not _calls_base_init(stmt) or stmt not in func.body:
        return
    after = [st for st in func.body[func.body.index(stmt) + 1:] if _rebinds(st)]
    removals = [Edit((st.lineno, 0), (st.end_lineno + 1, 0), "",  # type: ignore[operator]
                     "keep what the base's constructor built", "override") for st in after]
    for e in removals:
        yield (e,)
    if len(removals) > 1 and sum(e.end[0] - e.start[0] for e in removals) <= _MAX_LINES:
        yield tuple(removals)


def _calls_base_init(stmt: ast.stmt) -> bool:
    """`super().__init__(...)` or `Base.__init__(self, ...)`."""
    call = stmt.value if isinstance(stmt, ast.Expr) else None
    return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == "__init__"


def _rebinds(stmt: ast.stmt) -> bool:
    """Whether `stmt` writes attributes (of `self` or of the objects the base made), itself or in a loop's body."""
    if isinstance(stmt, ast.For):
        return all(_rebinds(s) for s in stmt.body)
    targets = stmt.targets if isinstance(stmt, ast.Assign) else []
    return bool(targets) and all(isinstance(n, (ast.Attribute, ast.Subscript))
                                 for t in targets for n in (t.elts if isinstance(t, ast.Tuple) else [t]))
