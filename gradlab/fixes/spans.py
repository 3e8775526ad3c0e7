"""Where an AST node sits in the user's text, in characters, and how to put new text in its place.

The AST gives columns in UTF-8 bytes (course code carries Japanese and Chinese comments); edits are
made on characters. A replacement is parenthesised only where Python's precedence needs it, and a
pair of parentheses left around a name by a removed operation goes with it, so an edit reads as
the user would have written it.
Non-goal: choosing what to write (that is `gradlab.fixes.expressions` and `gradlab.fixes.statements`).
"""

from __future__ import annotations

import ast
import functools
import keyword
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from gradlab.fixes.rebuild import Edit

if TYPE_CHECKING:  # expressions.py imports this module: Context is only a type here
    from gradlab.fixes.expressions import Context

__all__ = ["ATOM", "Text", "needed_at", "parents_of", "precedence", "value_family", "written_value"]

#: the precedence of a name, call, attribute, subscript or literal
ATOM = 20
_BINARY = {ast.Add: 10, ast.Sub: 10, ast.Mult: 11, ast.Div: 11, ast.FloorDiv: 11, ast.Mod: 11, ast.MatMult: 11,
           ast.Pow: 13, ast.BitAnd: 7, ast.BitOr: 5, ast.BitXor: 6, ast.LShift: 8, ast.RShift: 8}


def precedence(node: ast.AST) -> int:
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)]
    if isinstance(node, ast.UnaryOp):
        return 3 if isinstance(node.op, ast.Not) else 12
    if isinstance(node, ast.Compare):
        return 4
    if isinstance(node, ast.BoolOp):
        return 2 if isinstance(node.op, ast.And) else 1
    if isinstance(node, (ast.IfExp, ast.Lambda, ast.NamedExpr, ast.Tuple, ast.Starred)):
        return 0
    return ATOM


def written_value(stmt: ast.stmt) -> ast.expr | None:
    """The value an assignment (plain or augmented) or a return writes: what most edits rewrite; None for any
    other statement and for a bare `return`."""
    return stmt.value if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Return)) else None


def value_family(
        family: Callable[[ast.expr, Context, Text], Iterator[tuple[Edit, ...]]],
) -> Callable[[ast.stmt, Context, ast.FunctionDef], Iterator[tuple[Edit, ...]]]:
    """A family that edits only the value a statement writes (`family(value, ctx, text)`), made a generator of the
    shape every family has (statement, context, function): it proposes nothing for a statement that writes no
    value, and never needs the function around it."""

    @functools.wraps(family)
    def generate(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
        del func  # the value alone says it
        value = written_value(stmt)
        if value is not None:
            yield from family(value, ctx, ctx.text)

    return generate


def parents_of(root: ast.AST) -> dict[int, ast.AST]:
    """Each node under `root`, by id, to its parent: what an edit of a sub-expression needs to know whether it
    must be parenthesised there (`needed_at`)."""
    return {id(c): p for p in ast.walk(root) for c in ast.iter_child_nodes(p)}


def needed_at(node: ast.AST, parent: ast.AST | None) -> int:
    """The least precedence an expression put where `node` is needs, without parentheses."""
    if isinstance(parent, ast.BinOp):
        p = precedence(parent)
        # `a - (b - c)`, `a / (b * c)`: the right operand binds tighter; `(a ** b) ** c` the left one
        return p + 1 if (node is parent.right) != isinstance(parent.op, ast.Pow) else p
    if isinstance(parent, ast.UnaryOp):
        return precedence(parent)
    if isinstance(parent, (ast.Compare, ast.BoolOp)):
        return precedence(parent) + 1
    if isinstance(parent, (ast.Attribute, ast.Subscript, ast.Call)) and \
            node is getattr(parent, "value", None) or isinstance(parent, ast.Call) and node is parent.func:
        return ATOM
    if isinstance(parent, ast.Tuple):
        return 1
    return 0


class Text:
    """The user's file, for reading the text of nodes and writing edits of it."""

    def __init__(self, text: str):
        self.text = text
        self.lines = text.splitlines(keepends=True)

    def _char(self, line: int, byte_col: int) -> int:
        return len(self.lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))

    def start(self, node: ast.AST) -> tuple[int, int]:
        return node.lineno, self._char(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> tuple[int, int]:
        return node.end_lineno, self._char(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def between(self, a: tuple[int, int], b: tuple[int, int]) -> str:
        if a == b:  # an insertion, possibly after the text's last line (a family adding a statement at the end)
            return ""
        if a[0] == b[0]:
            return self.lines[a[0] - 1][a[1]:b[1]]
        middle = "".join(self.lines[a[0]:b[0] - 1])
        return self.lines[a[0] - 1][a[1]:] + middle + self.lines[b[0] - 1][:b[1]]

    def of(self, node: ast.AST) -> str:
        return self.between(self.start(node), self.end(node))

    def indent(self, line: int) -> str:
        row = self.lines[line - 1]
        return row[:len(row) - len(row.lstrip())]

    def atom(self, node: ast.AST) -> str:
        """The node's text, parenthesised unless it is an atom (`(a - b)`, `x`)."""
        return self.of(node) if precedence(node) == ATOM else f"({self.of(node)})"

    def replace(self, node: ast.AST, new: str, new_precedence: int, why: str, *, family: str = "",
                need: int | None = None) -> Edit:
        """Put `new` (of `new_precedence`) where `node` is, parenthesised only when its place needs it: `need`
        is the least precedence the place takes (`needed_at`), the node's own when it is not known."""
        start, end = self.start(node), self.end(node)
        if need is not None:  # the place is known: grouping parentheses around the node are rewritten as needed
            start, end = self._unwrapped(start, end)
        needed = precedence(node) if need is None else need
        if new_precedence < needed:
            new = f"({new})"
        elif need is None and new_precedence == ATOM:  # `(x)` left by a removed `/ N`: the parentheses go too
            start, end = self._unwrapped(start, end)
        return Edit(start, end, new, why, family)

    def _unwrapped(self, start: tuple[int, int], end: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
        if start[0] != end[0]:
            return start, end
        row = self.lines[start[0] - 1]
        left, right = row[:start[1]].rstrip(), row[end[1]:].lstrip()
        before = left[:-1].rstrip()[-1:] if left.endswith("(") else None
        word = re.search(r"\w+$", left[:-1].rstrip()) if before else None
        # a call's or a subscript's own parentheses stay: only grouping ones go (`return (a - b)` has no call)
        call = bool(before and (before.isalnum() or before in "_)]")) and not (word and keyword.iskeyword(word[0]))
        if left.endswith("(") and right.startswith(")") and not call:
            return (start[0], len(left) - 1), (end[0], len(row) - len(right) + 1)
        return start, end

    def operator(self, left: ast.AST, right: ast.AST, old: str, new: str, why: str, *,
                 family: str = "operator") -> Edit | None:
        """Replace the operator `old` written between `left` and `right` with `new`, spacing kept."""
        a, b = self.end(left), self.start(right)
        gap = self.between(a, b)
        at = gap.find(old)
        if at < 0 or "#" in gap:
            return None
        return Edit(a, b, gap[:at] + new + gap[at + len(old):], why, family)

    def insert_before(self, node: ast.AST, new: str, why: str, *, family: str = "axis") -> Edit:
        """Insert `new` just before the closing `)` of a call (an extra keyword argument)."""
        line, col = self.end(node)
        return Edit((line, col - 1), (line, col - 1), new, why, family)
