"""Candidate family "reshape-order": a reshape undone in another memory order than the one it undoes
(`np.reshape(grad, self.input_shape, order="F")` where forward reshaped in numpy's default C order): the elements
come back in the wrong places, a transpose in disguise.

Offered for each reshape of a statement (`np.reshape(a, shape, ...)`, `a.reshape(...)`): one that names an order is
offered without it (numpy's C order) and with each other order the file's reshapes name; one that names none, with
each order the file's other reshapes name.
Non-goal: `ravel`/`flatten` orders (the flatten family's), and transposes written out (the transpose family's).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["reshape_order_edits"]


def reshape_order_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    t = ctx.text
    named = _orders(t.text)
    for call in (n for n in ast.walk(stmt) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and
                 n.func.attr == "reshape" and n.args):
        order = next((k for k in call.keywords if k.arg == "order"), None)
        if order is None:
            for other in sorted(named - {"C"}):
                yield (Edit(t.end(call.args[-1]), t.end(call.args[-1]), f', order="{other}"',
                            f"reshape in the order {other}, as the other reshape does", "reshape-order"),)
            continue
        if not isinstance(order.value, ast.Constant):
            continue
        before = [*call.args, *call.keywords[:call.keywords.index(order)]][-1]
        if order.value.value != "C":  # numpy's default: the keyword goes, with the comma before it
            yield (Edit(t.end(before), t.end(order), "", "reshape in numpy's C order, as the other reshape does",
                        "reshape-order"),)
        for other in sorted(named - {order.value.value, "C"}):
            yield (Edit(t.start(order.value), t.end(order.value), f'"{other}"',
                        f"reshape in the order {other}, as the other reshape does", "reshape-order"),)


@functools.lru_cache(maxsize=8)
def _orders(text: str) -> frozenset[str]:
    """The orders the file's reshapes name (`order="F"`), and "C" for a reshape that names none."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return frozenset()
    out: set[str] = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "reshape":
            order = next((k for k in n.keywords if k.arg == "order"), None)
            out.add(order.value.value if order is not None and isinstance(order.value, ast.Constant) and
                    isinstance(order.value.value, str) else "C")
    return frozenset(out)
