"""Candidate family "unpack": a cache tuple unpacked into other names, or another number of them, than forward packed
(`x, x_norm, inv_std, gamma = cache` where forward made `cache = (x_norm, inv_std, gamma)`: a ValueError; or the
same names in another order: each read as its neighbour).

Offered for an assignment in a backward whose targets are a tuple of names and whose value is the cache argument
(or an item of it, a name bound to it), where a forward of the layer builds a tuple of names as its cache (`cache =
(...)`, or the last item it returns): the targets written as forward's names, in forward's order; one candidate for
each such tuple of forward, at most two; with, where a name forward packed is left out of the unpacking and
computed again on a line of its own below it, that line removed.
Non-goal: caches holding expressions (`(x, w.T)`), dicts (`gradlab.fixes.keys`).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.source import forwards_around

__all__ = ["unpack_edits"]


def unpack_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if "backward" not in func.name or not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
        return
    target = stmt.targets[0]
    if not isinstance(target, (ast.Tuple, ast.List)) or not all(isinstance(e, ast.Name) for e in target.elts) or \
            "cache" not in ctx.text.of(stmt.value).lower():
        return
    t = ctx.text
    written = [e.id for e in target.elts if isinstance(e, ast.Name)]
    for packed in _packed(t.text, func.lineno)[:2]:
        if list(packed) != written:
            new = ", ".join(packed)
            unpacked = Edit(t.start(target), t.end(target), new if t.of(target)[0] not in "([" else f"({new})",
                            f"unpack the cache as forward packed it: {new}", "unpack")
            yield (unpacked,)
            # a name the cache holds, left out of the unpacking and computed again below it (`h_next =
            # np.tanh(h_prev)`): its one-line recomputation goes, the cached value is read
            again = [st for st in func.body if isinstance(st, ast.Assign) and st.lineno > stmt.lineno and
                     len(st.targets) == 1 and isinstance(st.targets[0], ast.Name) and
                     st.targets[0].id in set(packed) - set(written) and st.lineno == st.end_lineno]
            if again:
                yield (unpacked, Edit((again[0].lineno, 0), (again[0].lineno + 1, 0), "",
                                      f"read {again[0].targets[0].id} from the cache, not computed again",  # type: ignore[attr-defined]
                                      "unpack"))


@functools.lru_cache(maxsize=8)
def _packed(text: str, line: int) -> tuple[tuple[str, ...], ...]:
    """The tuples of names the forwards of the module (or of the class around `line`) pack as a cache: assigned to a
    name with "cache" in it, or returned last."""
    forwards = forwards_around(text, line)
    if forwards is None:
        return ()
    out: list[tuple[str, ...]] = []
    for n in (n for f in forwards for n in ast.walk(f)):
        value = None
        if isinstance(n, ast.Assign) and any("cache" in ast.unparse(tg).lower() for tg in n.targets):
            value = n.value
        elif isinstance(n, ast.Return) and isinstance(n.value, ast.Tuple) and n.value.elts:
            value = n.value.elts[-1]
        if isinstance(value, ast.Tuple) and len(value.elts) >= 2 and all(isinstance(e, ast.Name) for e in value.elts):
            out.append(tuple(e.id for e in value.elts if isinstance(e, ast.Name)))
    return tuple(dict.fromkeys(out))
