"""Candidate family "subscripts": an einsum whose subscripts name two axes in each other's place
(`np.einsum("ncwk,nfw->cfk", windows, dout)` where the filters' gradient is "fck").

A written einsum is the whole formula in one string: a gradient summed into (in, out, K) where the parameter is
(out, in, K), or an operand read as (N, W, C) where it is (N, C, W), is two letters of one term swapped. Offered for
every einsum (`np.einsum` or a bare `einsum`) whose first argument is one literal string with an output (`->`):
each swap of two different letters of the output first (the order the result is built in), then of each operand's
term, at most MAX_SWAPS for one call. The literal keeps the user's quotes.
Non-goal: implicit outputs (no `->`, the letters sorted by einsum itself), ellipses, subscripts given as lists.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["subscript_edits"]

#: candidates for one einsum call, at most: a 4-letter output and two 4-letter operands give 18 swaps
MAX_SWAPS = 18


def subscript_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func  # the call says it all
    t = ctx.text
    for call in (n for n in ast.walk(stmt) if isinstance(n, ast.Call) and _is_einsum(n, ctx)):
        spec = call.args[0]
        assert isinstance(spec, ast.Constant) and isinstance(spec.value, str)
        written = t.of(spec)
        if spec.lineno != spec.end_lineno or written[1:-1] != spec.value or written[0] not in "'\"":
            continue  # a prefixed or escaped literal: rewriting its text is not safe
        quote = written[0]
        inputs, output = spec.value.replace(" ", "").split("->")
        terms = [output, *inputs.split(",")]
        count = 0
        for i, term in enumerate(terms):
            for a, b in itertools.combinations(range(len(term)), 2):
                if term[a] == term[b] or count >= MAX_SWAPS:
                    continue
                swapped = list(term)
                swapped[a], swapped[b] = swapped[b], swapped[a]
                new = [*terms[:i], "".join(swapped), *terms[i + 1:]]
                text = f"{','.join(new[1:])}->{new[0]}"
                where = "the result" if i == 0 else f"operand {i}"
                count += 1
                yield (Edit(t.start(spec), t.end(spec), f"{quote}{text}{quote}",
                            f"name the axes {term[b]} and {term[a]} of {where} in their own places "
                            f"({term} written, {''.join(swapped)} meant)", "subscripts"),)


def _is_einsum(call: ast.Call, ctx: Context) -> bool:
    name = ctx.text.of(call.func)
    if name not in ("einsum", f"{ctx.numpy}.einsum") or not call.args:
        return False
    spec = call.args[0]
    return isinstance(spec, ast.Constant) and isinstance(spec.value, str) and spec.value.count("->") == 1 and \
        "." not in spec.value and all(c.isalpha() or c in ",-> " for c in spec.value)
