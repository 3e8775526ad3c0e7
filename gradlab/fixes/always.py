"""Candidate family "always": a value computed once, on the first call only, computed on every call.

`if self.mask is None: self.mask = x <= 0` in a forward keeps the first input's mask for every later input:
the backward then routes the gradient by a stale mask. The edit removes the test and runs its body always (the
body moves out one level). Offered for an `if <attribute> is None:` without `else` whose body, at most two lines,
assigns that attribute.
Non-goal: a lazily sized parameter (`if self.W is None: self.W = init(...)`): made anew on every call it
changes the forward's output, which the check refuses.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["always_edits"]

#: the most lines of the body moved out (with the test's own line, a fix changes at most three)
MAX_BODY = 2


def always_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    if not isinstance(stmt, ast.If) or stmt.orelse or not _is_none_test(stmt.test):
        return
    t = ctx.text
    held = t.of(stmt.test.left)  # type: ignore[attr-defined]
    first, last = stmt.body[0].lineno, stmt.body[-1].end_lineno or stmt.body[-1].lineno
    if last - first + 1 > MAX_BODY or first == stmt.lineno or not any(
            isinstance(st, ast.Assign) and any(t.of(target) == held for target in st.targets) for st in stmt.body):
        return
    step = len(t.indent(first)) - len(t.indent(stmt.lineno))
    why = f"compute {held} on every call, not only while it is None"
    yield (Edit((stmt.lineno, 0), (first, 0), "", why, "always"),
           *(Edit((line, 0), (line, step), "", why, "always") for line in range(first, last + 1)))


def _is_none_test(test: ast.expr) -> bool:
    return isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is) and \
        isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None and \
        isinstance(test.left, (ast.Attribute, ast.Name))
