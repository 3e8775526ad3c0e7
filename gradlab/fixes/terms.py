"""Candidate family "term-factor": one term of a sum scaled by the factor the check measured on that term alone (a
GELU's `x * (1 - t ** 2) * du` written without the `0.5` its other term has: the term is 2 times what it should be).

Where the diagnosis of a failing gradient measured one term of its formula off by a constant ("the term x * g'(x) is
2 times what it should be", the product rule's second term; a softmax's coupling term), the slip is a constant left
out of, or added to, that term alone: no factor of the whole value repairs it. Offered for each term of each sum in a
statement's value (at most MAX_TERMS a statement): the term divided by the factor measured, written as the constant a
sibling term carries where one does (`0.5 * x * ...` beside `0.5 * (1.0 + t)`), else as the measured constant.
Non-goal: a term dropped whole (the product-rule and coupling families), a factor of the whole value (the factor
edits of `gradlab.fixes.statements`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from fractions import Fraction

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import Text, needed_at, parents_of, precedence, written_value
from gradlab.fixes.statements import measured_constant

__all__ = ["MAX_TERMS", "term_factor_edits"]

FAMILY = "term-factor"
#: terms of one statement offered a factor, at most
MAX_TERMS = 8
#: how a diagnosis says one term is off by a constant
_TERM = re.compile(r"the term .*? is (-?\d+(?:\.\d+)?(?:e[-+]?\d+)?) times what it should")


def term_factor_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func  # the statement's value and the diagnosis say it
    value = written_value(stmt)
    factors = [float(m) for d in ctx.diagnoses for m in _TERM.findall(d)]
    if value is None or not factors:
        return
    t = ctx.text
    parents = parents_of(value)
    terms = [term for chain in _sums(value, parents) for term in _terms(chain)][:MAX_TERMS]
    for factor in dict.fromkeys(factors):
        form = measured_constant(factor)
        if form is None:
            continue
        for term in terms:
            why = f"scale this term by 1 / {factor:g}, the factor measured on it"
            lead = _leading(term)
            if lead is not None:  # `0.5 * y * s` of a term 0.5 times too small: its number changed, or gone at 1
                node, number = lead
                kept = Fraction(number / factor).limit_denominator(8)
                product = parents.get(id(node))
                if abs(float(kept) - number / factor) < 1e-9 and isinstance(product, ast.BinOp):
                    gone = (t.start(node), t.start(product.right)) if node is product.left else \
                        (t.end(product.left), t.end(node))  # `0.5 * ` or ` * 0.5`
                    yield (Edit(*gone, "", why, FAMILY) if kept == 1 else
                           Edit(t.start(node), t.end(node), _number(kept), why, FAMILY),)
                    continue
            literal = _sibling_literal(terms, term, factor, t)
            new = f"{literal} * {_at_least(t, term, 11)}" if literal else form.format(_at_least(t, term, 11))
            yield (t.replace(term, new, 11, why, family=FAMILY, need=needed_at(term, parents.get(id(term)))),)


def _leading(term: ast.expr) -> tuple[ast.Constant, float] | None:
    """The one number among a product's factors (`0.5` of `0.5 * y * s`, `0.25` of `x * 0.25 * (1 - t ** 2)`), and
    its value: None where the term is no product, or has no number or several."""
    factors: list[ast.expr] = []
    node: ast.expr = term
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        factors.append(node.right)
        node = node.left
    factors.append(node)
    numbers = [f for f in factors if isinstance(f, ast.Constant) and isinstance(f.value, (int, float)) and
               not isinstance(f.value, bool)]
    if node is term or len(numbers) != 1:
        return None
    return numbers[0], float(numbers[0].value)  # type: ignore[arg-type]


def _number(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else repr(float(value))


def _sums(value: ast.expr, parents: dict[int, ast.AST]) -> list[ast.BinOp]:
    """The sums of `value` (`a + b - c` once, at its outermost `+`/`-`)."""
    def is_sum(n: ast.AST | None) -> bool:
        return isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub))
    return [n for n in ast.walk(value) if isinstance(n, ast.BinOp) and is_sum(n) and not is_sum(parents.get(id(n)))]


def _terms(chain: ast.expr) -> list[ast.expr]:
    if isinstance(chain, ast.BinOp) and isinstance(chain.op, (ast.Add, ast.Sub)):
        return [*_terms(chain.left), *_terms(chain.right)]
    return [chain]


def _sibling_literal(terms: list[ast.expr], term: ast.expr, factor: float, t: Text) -> str | None:
    """The number 1 / factor as a sibling term writes it as its leading factor (`0.5` of `0.5 * (1.0 + t)`)."""
    wanted = Fraction(1 / factor).limit_denominator(8)
    for other in terms:
        lead = _leading(other)
        if other is not term and lead is not None and abs(lead[1] - float(wanted)) < 1e-9:
            return t.of(lead[0])
    return None


def _at_least(t: Text, node: ast.AST, needed: int) -> str:
    return t.of(node) if precedence(node) >= needed else f"({t.of(node)})"
