"""Candidate family "key": a cache item read under another key than the one that holds the value backward needs
(`cache['prev_h']` where the tanh's derivative needs `cache['h']`; `c['ai'] * (1 - c['ai'])`, the sigmoid's
derivative taken at the pre-activation where the gate `c['gi']` belongs).

A function-style layer hands backward a dict of what forward computed; reading the neighbouring entry is the
`self.x` for `self.out` slip of a class, spelled with a key. Offered in a backward, for each item of a cache read with
a string key (the cache argument, or a name bound to it: `c = cache`), where a forward of the layer fills that dict
(`{'h': h}`, `dict(h=h)`, `cache['h'] = h`): each of the other keys forward stores, the MAX_KEYS most alike in
spelling first, in place of every read of that key in the statement at once (a derivative reads its point twice).
Non-goal: caches that are tuples (`gradlab.fixes.unpack`), keys built at run time.
"""

from __future__ import annotations

import ast
import difflib
import functools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.source import forwards_around

__all__ = ["key_edits"]

#: other keys tried for one key read, at most
MAX_KEYS = 3


def key_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if "backward" not in func.name:
        return
    t = ctx.text
    stored = _stored_keys(t.text, func.lineno)
    holders = _holders(func)
    if not stored or not holders:
        return
    reads: dict[tuple[str, str], list[ast.Subscript]] = {}
    for n in ast.walk(stmt):
        if isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Load) and isinstance(n.value, ast.Name) and \
                n.value.id in holders and isinstance(n.slice, ast.Constant) and isinstance(n.slice.value, str):
            reads.setdefault((n.value.id, n.slice.value), []).append(n)
    for (holder, key), nodes in reads.items():
        quote = t.of(nodes[0].slice)[0]
        others = sorted((k for k in stored if k != key),
                        key=lambda k: -difflib.SequenceMatcher(a=key, b=k).ratio())[:MAX_KEYS]
        for other in others:
            new = f"{holder}[{quote}{other}{quote}]"
            yield tuple(Edit(t.start(n), t.end(n), new, f"read {new}, where {t.of(n)} is", "key") for n in nodes)


def _holders(func: ast.FunctionDef) -> set[str]:
    """The cache as backward names it: an argument named so, and the names bound to it (`c = cache`)."""
    out = {a.arg for a in func.args.args if "cache" in a.arg.lower()}
    for n in ast.walk(func):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) and \
                isinstance(n.value, ast.Name) and n.value.id in out:
            out.add(n.targets[0].id)
    return out


@functools.lru_cache(maxsize=8)
def _stored_keys(text: str, line: int) -> tuple[str, ...]:
    """The string keys the forwards of the module (or of the class around `line`) give a dict: `{'h': h}`,
    `dict(h=h)`, `cache['h'] = h`."""
    forwards = forwards_around(text, line)
    if forwards is None:
        return ()
    keys: list[str] = []
    for n in (n for f in forwards for n in ast.walk(f)):
        if isinstance(n, ast.Dict):
            keys += [k.value for k in n.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "dict":
            keys += [kw.arg for kw in n.keywords if kw.arg is not None]
        elif isinstance(n, ast.Subscript) and isinstance(n.ctx, ast.Store) and isinstance(n.slice, ast.Constant) and \
                isinstance(n.slice.value, str):
            keys.append(n.slice.value)
    return tuple(dict.fromkeys(keys))
