"""Candidate family "lost-path": the path a kind's reading says a gradient lacks ("dprev_h holds only the path(s) ...
and lacks dh_next * z"), added back to the statement that builds that gradient, in the user's own names.

A recurrent cell's reading (`gradlab.kinds.rnn_shares.some_paths_alone`) names each path of dh_prev and dx by the
cell's arrays; the user calls them otherwise (`delta` for dh_next, `self.z` for z, `self.Wnh` for Whn). Each name of
the lost path is read as the user's: the upstream gradient the backward receives, else an array the layer keeps whose
own name is the reading's (or has its letters in another order); a path with a name found so in no way is not
offered. Offered for a statement that assigns the failing gradient's name (`dh_prev_t = ...`), the path added in front.
Non-goal: a path through an array the backward computes under a name of its own choosing (`dnh`): the accumulate
family's `+=` covers the overwrite that usually loses it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, same_letters
from gradlab.fixes.reads import gradient_params
from gradlab.fixes.rebuild import Edit

__all__ = ["lost_path_edits"]

FAMILY = "lost-path"
_LACKS = re.compile(r"d(\w+) holds only the path\(s\) .*? and lacks (.+?): a sum over")
_UPSTREAM = ("dh_next", "dnext_h", "dout")


def lost_path_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
        return
    name = stmt.targets[0].id
    t = ctx.text
    for target, lost in (m for d in ctx.diagnoses for m in _LACKS.findall(d)):
        if not name.startswith(f"d{target.split('_')[-1][0]}") and name != f"d{target}":
            continue  # dprev_h is written dh_prev_t or dprev_h: the same first letter after d
        for path in lost.split(", "):
            user = _in_user_names(path, ctx, func)
            if user is not None:
                yield (t.replace(stmt.value, f"{user} + {t.of(stmt.value)}", 11,
                                 f"add the path {user} the reading says d{target} lacks", family=FAMILY, need=0),)


def _in_user_names(path: str, ctx: Context, func: ast.FunctionDef) -> str | None:
    """`path` with each of its names replaced by the user's for it; None if one has none."""
    upstream = gradient_params(func)
    out = path
    for word in sorted(set(re.findall(r"[A-Za-z_]\w*", path)), key=len, reverse=True):
        if word in ("np", "T"):
            continue
        mine = upstream[0] if word in _UPSTREAM and upstream else _kept(word, ctx.refs)
        if mine is None:
            return None
        out = re.sub(rf"\b{word}\b", mine, out)
    return out


def _kept(word: str, refs: list[str]) -> str | None:
    same = [r for r in refs if r.split(".")[-1] == word] or [r for r in refs if same_letters(r, word)]
    return same[0] if len(same) == 1 else None
