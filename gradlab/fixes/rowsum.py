"""Candidate family "coupling" (a log-softmax's): the derivative of a normalisation over a row taken for an upstream
gradient whose rows sum to one (`dout - np.exp(out)`, `dout - softmax`), where every output of the row depends on
every input: `dout - np.exp(out) * dout.sum(axis=-1, keepdims=True)`.

A log-softmax's Jacobian is `I - 1 y^T`: dx is the upstream gradient less the softmax times the upstream gradient's
sum over the row. The slip keeps the sum out, which is right only for the gradient of a cross-entropy with one-hot
targets. Offered for a difference in a backward whose left side is an upstream gradient the function receives, as it
is, and whose right side reads no gradient: the right side times the upstream gradient's sum over the axis the file
keeps its reductions' dimensions over (`keepdims=True`), then the last axis and axis 1; at most MAX_AXES
candidates a difference.
Non-goal: a softmax's coupling term (`gradlab.fixes.coupling`), a sum kept on a line of its own and never read.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.keepshape import class_of
from gradlab.fixes.reads import gradient_params, names_read
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import Text, precedence, written_value

__all__ = ["MAX_AXES", "row_sum_edits"]

#: axes offered for one difference, at most
MAX_AXES = 3


def row_sum_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    value = written_value(stmt)
    upstream = gradient_params(func)
    if value is None or not upstream:
        return
    t = ctx.text
    for node in ast.walk(value):
        if not isinstance(node, ast.BinOp) or not isinstance(node.op, ast.Sub) or \
                not isinstance(node.left, ast.Name) or node.left.id not in upstream or \
                any(is_gradient(x) for x in names_read(node.right, ctx)):
            continue
        u, right = node.left.id, node.right
        written = t.of(right) if precedence(right) >= 11 else f"({t.of(right)})"
        for axis in _axes(t, func, ctx.in_class):
            yield (Edit(t.start(right), t.end(right), f"{written} * {u}.sum(axis={axis}, keepdims=True)",
                        f"times the upstream gradient's sum over axis {axis}: every output of the row depends on "
                        "every input", "coupling"),)


def _axes(t: Text, func: ast.FunctionDef, in_class: bool) -> list[str]:
    """The axes the layer's reductions keep their dimensions over (`x.max(axis=-1, keepdims=True)`: its class's, or
    the file's for functions), then -1 and 1; at most MAX_AXES."""
    scope = class_of(t.text, func.lineno) if in_class else None
    try:
        tree = scope if scope is not None else ast.parse(t.text)
    except SyntaxError:
        return ["-1", "1"]
    found = [t.of(kw.value) for n in ast.walk(tree) if isinstance(n, ast.Call)
             if any(k.arg == "keepdims" for k in n.keywords) for kw in n.keywords if kw.arg == "axis"]
    return list(dict.fromkeys([*found[:MAX_AXES - 1], "-1", "1"]))[:MAX_AXES]
