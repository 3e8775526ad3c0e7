"""Candidate family "sibling": one of parallel paths left out of a sum, written back as its siblings are.

Where one input feeds several branches of the same form (attention's queries, keys and values: `dx = dq @ Wq.T +
dk @ Wk.T + dv @ Wv.T`; a GRU's or an LSTM's gates), the input's gradient sums one term per branch, each the same
expression of the branch's names. A term left out is a path dropped. The sum shows the form: two terms that differ
only in a suffix of their names (`dq @ Wq.T`, `dv @ Wv.T`: q for v), and the function names a third branch with the
same names (`dk`, `Wk`). Offered for such a sum: the term of each branch the function names and the sum leaves out,
added at its end; one candidate per missing branch, at most MAX_BRANCHES.
Non-goal: branches whose terms are not of one form (a residual `dout + ...`), and a branch the code never computes.
"""

from __future__ import annotations

import ast
import itertools
import os
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import written_value

__all__ = ["MAX_BRANCHES", "sibling_edits"]

#: missing branches offered for one sum, at most
MAX_BRANCHES = 3


def sibling_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    value = written_value(stmt)
    if not isinstance(value, ast.BinOp) or not isinstance(value.op, ast.Add):
        return
    t = ctx.text
    terms = [x for x in _terms(value) if x.lineno == x.end_lineno]
    known = {n.id for n in ast.walk(func) if isinstance(n, ast.Name)} | {a.arg for a in func.args.args}
    for a, b in itertools.combinations(terms, 2):
        form = _form(a, b)
        if form is None:
            continue
        at = [i for i, _ in form[0]]
        prefixes = [p for _, p in form[0]]
        # every term of the sum in this form tells a branch the sum has
        used = {s for term in terms if (f := _form(a, term)) is not None for s in f[1]} | form[1]
        suffixes = sorted({n[len(prefixes[0]):] for n in known if n.startswith(prefixes[0])} - used)
        missing = [s for s in suffixes if s and all(p + s in known for p in prefixes)][:MAX_BRANCHES]
        for s in missing:
            new = _renamed(t.of(a), a, dict(zip(at, prefixes, strict=True)), s)
            yield (Edit(t.end(value), t.end(value), f" + {new}", f"add the path through the {s} branch: + {new}",
                        "sibling"),)
        return


def _terms(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _terms(node.left) + _terms(node.right)
    return [node]


def _names(node: ast.expr) -> list[ast.Name]:
    return sorted((n for n in ast.walk(node) if isinstance(n, ast.Name)), key=lambda n: (n.lineno, n.col_offset))


def _form(a: ast.expr, b: ast.expr) -> tuple[list[tuple[int, str]], set[str]] | None:
    """(the positions and prefixes of the names that differ, the two suffixes) when `a` and `b` are one expression
    whose names differ only in a suffix, the same for every name that differs (`dq @ Wq.T`, `dv @ Wv.T`:
    [(0, "d"), (1, "W")], {q, v})."""
    na, nb = _names(a), _names(b)
    if len(na) != len(nb) or _blank(a) != _blank(b):
        return None
    differ, pairs = [], set()
    for i, (x, y) in enumerate(zip(na, nb, strict=True)):
        if x.id == y.id:
            continue
        p = os.path.commonprefix([x.id, y.id])
        if not p:
            return None
        differ.append((i, p))
        pairs.add((x.id[len(p):], y.id[len(p):]))
    if len(pairs) != 1 or len(differ) < 2 or len({p for _, p in differ}) < 2:
        return None
    (sa, sb), = pairs
    return differ, {sa, sb}


def _blank(node: ast.expr) -> str:
    copy = ast.parse(ast.unparse(node), mode="eval")
    for n in ast.walk(copy):
        if isinstance(n, ast.Name):
            n.id = "_"
    return ast.dump(copy)


def _renamed(text: str, node: ast.expr, prefixes: dict[int, str], suffix: str) -> str:
    """`text` (the one-line term `node`) with the names at the positions of `prefixes` renamed to the branch
    `suffix`'s."""
    names = _names(node)
    for i in sorted(prefixes, reverse=True):
        at = names[i].col_offset - node.col_offset
        text = text[:at] + prefixes[i] + suffix + text[at + len(names[i].id):]
    return text
