"""Candidate family "leftover": a gradient path the backward computes and then never uses.

A normalisation's backward writes the gradient of its mean (`dLdM = -np.sum(dLdNZ, ...) * ...`), then forgets it in
the input's gradient (`dLdZ = ... + dLdV * 2 / N * (Z - M)`, where `+ dLdM / N` belongs): a path dropped, and the
code shows which, as a gradient name bound and never read. Offered for the statement that binds a name the
function returns (its last binding before the return): each gradient name bound before it and read nowhere in the
function, added to its value as it is and divided by a count (the one the statement already divides by, else the
batch size as the layer names it: the mean's path spreads over the batch); at most MAX_NAMES names.
Non-goal: a value thrown away where a call of another backward hands it over (`gradlab.fixes.unread`), a path never
computed at all.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.reads import statements_of
from gradlab.fixes.rebuild import Edit

__all__ = ["MAX_NAMES", "leftover_edits"]

#: names read nowhere that are offered to one statement, at most
MAX_NAMES = 2


def leftover_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
        return
    body = statements_of(func)
    returned = {n.id for s in body if isinstance(s, ast.Return) and s.value is not None for n in ast.walk(s.value)
                if isinstance(n, ast.Name)}
    name = stmt.targets[0].id
    later = [s for s in body if s.lineno > stmt.lineno and isinstance(s, ast.Assign) and
             any(isinstance(t, ast.Name) and t.id == name for t in s.targets)]
    if name not in returned or later:
        return
    read = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    unread = [n.id for s in body if isinstance(s, ast.Assign) and s.lineno < stmt.lineno for t in s.targets
              for n in ast.walk(t) if isinstance(n, ast.Name) and is_gradient(n.id) and n.id not in read]
    t = ctx.text
    # the count the statement already divides by (`2.0 / self.N`), then the batch size as the layer names it
    counts = [t.of(n.right) for n in ast.walk(stmt.value) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div)
              and isinstance(n.right, (ast.Name, ast.Attribute))]
    counts = list(dict.fromkeys([*counts, *ctx.batch]))[:2]
    for g in list(dict.fromkeys(unread))[:MAX_NAMES]:
        for term in (g, *(f"{g} / {n}" for n in counts)):
            yield (Edit(t.end(stmt.value), t.end(stmt.value), f" + {term}",
                        f"add {term}: {g} is computed and never used", "leftover"),)
