"""Candidate family "target", for a gradient computed and never stored: a backward of the textbook's second volume
that computes `dW` into a local name and never writes it into the array the optimizer holds (`self.grads[0]`), which
stays zero.

Offered for an assignment to a local name that reads as a gradient (`dW`, `dWx`), that nothing after it in the
function reads, in a class that keeps its gradients in a list (`self.grads = [np.zeros_like(W), ...]`): a new line
after it writing the value into each slot of that list in turn (`self.grads[0][...] = dW`), the slot of the
parameter of the same name (`W` of `W, b = self.params`) first.
Non-goal: gradients kept as attributes (`self.dW`: the statement family's target edit), lists built otherwise.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.reads import statements_of
from gradlab.fixes.rebuild import Edit

__all__ = ["store_edits"]


def store_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not ctx.in_class or not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or \
            not isinstance(stmt.targets[0], ast.Name) or not is_gradient(stmt.targets[0].id):
        return
    name = stmt.targets[0].id
    body = statements_of(func)
    if any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
           for st in body if st.lineno > stmt.end_lineno for n in ast.walk(st)):  # type: ignore[operator]
        return
    slots = _slots(ctx.text.text, func.lineno)
    if not slots:
        return
    params = _params_order(func)
    first = params.index(name[1:]) if name[1:] in params and params.index(name[1:]) < slots else None
    order = ([first] if first is not None else []) + [i for i in range(slots) if i != first]
    t = ctx.text
    line = stmt.end_lineno + 1  # type: ignore[operator]
    for i in order:
        yield (Edit((line, 0), (line, 0), f"{t.indent(stmt.lineno)}self.grads[{i}][...] = {name}\n",
                    f"write {name} into self.grads[{i}], the array the optimizer holds", "target"),)


def _params_order(func: ast.FunctionDef) -> list[str]:
    """The names `W, b = self.params` (or `W, = self.params`) binds, in order."""
    for st in statements_of(func):
        if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], (ast.Tuple, ast.List)) \
                and ast.unparse(st.value) == "self.params":
            return [e.id if isinstance(e, ast.Name) else "" for e in st.targets[0].elts]
    return []


def _slots(text: str, line: int) -> int:
    """The number of arrays in the `self.grads = [...]` list of the class around `line`; 0 without one."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return 0
    for cls in (c for c in tree.body if isinstance(c, ast.ClassDef) and c.lineno <= line <= (c.end_lineno or 0)):
        for n in ast.walk(cls):
            if isinstance(n, ast.Assign) and len(n.targets) == 1 and ast.unparse(n.targets[0]) == "self.grads" and \
                    isinstance(n.value, ast.List):
                return min(len(n.value.elts), 4)
    return 0
