"""Candidate family "product-rule": the derivative of a product of the input and a function of it taken as that
function alone, the product rule's other branch missing (a swish's `dout * s` where `dout * (s + x * s * (1 - s))`
belongs, `x * tanh(x)`'s `dout * t`).

A forward that multiplies a sigmoid's or a tanh's output by something (`x * self.s`, `z * sig`) has a derivative of
two branches; a backward whose product keeps that output as a bare factor and reads no derivative of it has one.
Offered for each such factor of a backward product (a name or attribute a sigmoid or tanh of the layer's file is
bound to, when the file multiplies it by something): the factor `s` replaced by `(s + x * s * (1 - s))` (or
`(t + x * (1 - t ** 2))`), `x` each array the backward may read as the layer's input (what forward kept, at most
three), verified like every candidate. A tanh of the input's softplus (a mish's `np.tanh(np.logaddexp(0, x))`) is
chained through the softplus too: its derivative is the sigmoid of the input, `/ (1 + np.exp(-x))` after the tanh's.
Non-goal: a function written out in exponentials (no sigmoid or tanh the code names), a product of two functions
of the input (both branches to write).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.derivatives import FORMS, function_outputs
from gradlab.fixes.expressions import Context
from gradlab.fixes.literals import forward_functions
from gradlab.fixes.reads import inputs, names_read
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM, written_value

__all__ = ["product_rule_edits"]

FAMILY = "product-rule"


def product_rule_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    value = written_value(stmt)
    if value is None:
        return
    t = ctx.text
    multiplied = {t.of(side) for f in forward_functions(t.text, func) for n in ast.walk(f)
                  if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult)
                  for side in (n.left, n.right) if isinstance(side, (ast.Name, ast.Attribute))}
    outputs = {name: kind for kind, names in function_outputs(t.text).items() for name in names if name in multiplied}
    if not outputs:
        return
    softplus = _of_softplus(t.text)
    for node in ast.walk(value):
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
            continue
        for factor in (node.left, node.right):
            name = t.of(factor)
            if not isinstance(factor, (ast.Name, ast.Attribute)) or name not in outputs:
                continue
            # its derivative is written already (`s * (1 - s)`): not this slip
            if sum(name == t.of(n) for n in ast.walk(value) if isinstance(n, (ast.Name, ast.Attribute))) > 1:
                continue
            for x in (r for r in inputs(ctx) if r != name and r not in outputs and r not in names_read(value, ctx)):
                chained = f" / (1 + {ctx.numpy}.exp(-{x}))" if name in softplus else ""
                term = f"({name} + {x} * {FORMS[outputs[name]](name)}{chained})"
                yield (t.replace(factor, term, ATOM, f"add the product rule's other branch, {x} times the "
                                 f"derivative of {name}", family=FAMILY),)


def _of_softplus(text: str) -> set[str]:
    """The names and attributes the file binds to a function of a softplus (`np.tanh(np.logaddexp(0, x))`,
    `np.tanh(np.log1p(np.exp(x)))`, `np.tanh(np.log(1 + np.exp(x)))`, or of a name bound to one: `np.tanh(sp)`)."""
    binds = [(ast.unparse(n.targets[0]), n.value) for n in ast.walk(ast.parse(text))
             if isinstance(n, ast.Assign) and len(n.targets) == 1]
    softplus = {name for name, value in binds if _is_softplus(value)}
    return {name for name, value in binds if isinstance(value, ast.Call) and len(value.args) == 1 and
            (_is_softplus(value.args[0]) or ast.unparse(value.args[0]) in softplus)}


def _is_softplus(node: ast.expr) -> bool:
    if not isinstance(node, ast.Call) or not node.args:
        return False
    called = ast.unparse(node.func).split(".")[-1]
    inner = ast.unparse(node.args[-1])
    if called == "logaddexp":
        return len(node.args) == 2 and isinstance(node.args[0], ast.Constant) and node.args[0].value == 0
    return called == "log1p" and "exp(" in inner or called == "log" and inner.replace(" ", "").startswith("1+") \
        and "exp(" in inner
