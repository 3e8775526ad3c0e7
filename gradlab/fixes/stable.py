"""Candidate family "stable": a formula written with `exp` of its input that overflows where the input is large,
rewritten as numpy's own function of it that stays finite.

tanh as `(e^a - e^-a) / (e^a + e^-a)` (or `(e^2a - 1) / (e^2a + 1)`, `(1 - e^-2a) / (1 + e^-2a)`) is inf / inf, NaN,
beyond 709: `np.tanh(a)`. softplus as `log(1 + e^a)` is inf there: `np.logaddexp(0, a)`. The logistic function as
`e^a / (1 + e^a)` is NaN there: `np.exp(-np.logaddexp(0, -a))`. Each rewrite is the same function where the formula
is finite, so it is verified as any fix of a forward bug is: every gradient passes and the forward matches the kind's
reference (the check's extreme case, inputs beyond exp's overflow, included).
Non-goal: a softmax without its maximum subtracted (the shift of `gradlab.fixes.expressions`), and formulas whose
stable form is not one numpy function of the same argument.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM, Text, needed_at, parents_of

__all__ = ["stable_edits"]


def stable_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    if not isinstance(stmt, (ast.Assign, ast.Return)) or stmt.value is None:
        return
    t, np_ = ctx.text, ctx.numpy
    parents = parents_of(stmt.value)
    for node in ast.walk(stmt.value):
        found = _tanh(node, t, np_) or _softplus(node, t, np_) or _logistic(node, t, np_)
        if found is not None:
            new, what = found
            yield (t.replace(node, new, ATOM, f"write {what} as {new}, which stays finite where exp overflows",
                             family="stable", need=needed_at(node, parents.get(id(node)))),)


def _exp_of(node: ast.AST, t: Text, np_: str) -> str | None:
    """The text of `a` in `np.exp(a)`."""
    if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords and \
            t.of(node.func) == f"{np_}.exp":
        return _bare(t, node.args[0])
    return None


def _bare(t: Text, node: ast.expr) -> str:
    """`node`'s text without the parentheses around it."""
    text = t.of(node).strip()
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
    return text


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _negated(a: str, b: str) -> bool:
    """Whether the text `b` is minus the text `a`."""
    return b.replace(" ", "") in (f"-{a}".replace(" ", ""), f"-({a})".replace(" ", ""))


def _one(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value in (1, 1.0)


def _sum_with_one(node: ast.AST, op: type) -> ast.expr | None:
    """`x` of `1 + x` / `x + 1` (op Add), of `1 - x` (op Sub, the 1 first)."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, op):
        if _one(node.left):
            return node.right
        if op is ast.Add and _one(node.right):
            return node.left
    return None


def _doubled(text: str) -> str | None:
    """`a` of `2 * a` / `a * 2` / `2.0 * a`."""
    for two in ("2 * ", "2.0 * "):
        if text.startswith(two):
            return text[len(two):]
    for two in (" * 2", " * 2.0"):
        if text.endswith(two):
            return text[:-len(two)]
    return None


def _tanh(node: ast.AST, t: Text, np_: str) -> tuple[str, str] | None:
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)):
        return None
    top, bottom = node.left, node.right
    # (e^a - e^-a) / (e^a + e^-a)
    if isinstance(top, ast.BinOp) and isinstance(top.op, ast.Sub) and isinstance(bottom, ast.BinOp) and \
            isinstance(bottom.op, ast.Add):
        a, b = _exp_of(top.left, t, np_), _exp_of(top.right, t, np_)
        c, d = _exp_of(bottom.left, t, np_), _exp_of(bottom.right, t, np_)
        if a is not None and a == c and b is not None and b == d and _negated(a, b):
            return f"{np_}.tanh({a})", "the hyperbolic tangent"
    # (e^2a - 1) / (e^2a + 1) and (1 - e^-2a) / (1 + e^-2a)
    if isinstance(top, ast.BinOp) and isinstance(top.op, ast.Sub) and _one(top.right):
        a, c = _exp_of(top.left, t, np_), _exp_plus_one(bottom, t, np_)
        half = _doubled(a) if a is not None and a == c else None
        if half is not None:
            return f"{np_}.tanh({half})", "the hyperbolic tangent"
    rest = _sum_with_one(top, ast.Sub)
    if rest is not None:
        a, c = _exp_of(rest, t, np_), _exp_plus_one(bottom, t, np_)
        if a is not None and a == c and a.startswith("-"):
            half = _doubled(a[1:].strip())
            if half is not None:
                return f"{np_}.tanh({half})", "the hyperbolic tangent"
    return None


def _exp_plus_one(node: ast.AST, t: Text, np_: str) -> str | None:
    """`a` of `1 + e^a` / `e^a + 1`."""
    rest = _sum_with_one(node, ast.Add)
    return _exp_of(rest, t, np_) if rest is not None else None


def _softplus(node: ast.AST, t: Text, np_: str) -> tuple[str, str] | None:
    """`log(1 + e^a)` and `log1p(e^a)`."""
    if not (isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords):
        return None
    name = t.of(node.func)
    inner = node.args[0]
    if name == f"{np_}.log":
        inner = _sum_with_one(inner, ast.Add)  # type: ignore[assignment]
    elif name != f"{np_}.log1p":
        return None
    a = _exp_of(inner, t, np_) if inner is not None else None
    return (f"{np_}.logaddexp(0, {a})", "log(1 + e^a)") if a is not None else None


def _logistic(node: ast.AST, t: Text, np_: str) -> tuple[str, str] | None:
    """`e^a / (1 + e^a)`."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)):
        return None
    a = _exp_of(node.left, t, np_)
    rest = _sum_with_one(node.right, ast.Add)
    if a is not None and rest is not None and _exp_of(rest, t, np_) == a:
        minus = f"-{a}" if a.replace("_", "").replace(".", "").isalnum() else f"-({a})"
        return f"{np_}.exp(-{np_}.logaddexp(0, {minus}))", "the logistic function"
    return None
