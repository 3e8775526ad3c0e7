"""Candidate family "product-rule": the derivative of a product of the input and a function of it taken as that
function alone, the product rule's other branch missing (a swish's `dout * s` where `dout * (s + x * s * (1 - s))`
belongs, `x * tanh(x)`'s `dout * t`).

A forward that multiplies a sigmoid's or a tanh's output by something (`x * self.s`, `z * sig`) has a derivative of
two branches; a backward whose product keeps that output as a bare factor and reads no derivative of it has one.
Offered for each such factor of a backward product (a name or attribute a sigmoid or tanh of the layer's file is
bound to, when the file multiplies it by something): the factor `s` replaced by `(s + x * s * (1 - s))` (or
`(t + x * (1 - t ** 2))`), `x` each array the backward may read as the layer's input (what forward kept, at most
three), verified like every candidate.
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
                term = f"({name} + {x} * {FORMS[outputs[name]](name)})"
                yield (t.replace(factor, term, ATOM, f"add the product rule's other branch, {x} times the "
                                 f"derivative of {name}", family=FAMILY),)
