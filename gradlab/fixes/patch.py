"""Show a verified fix, and write it into the user's file on request (`gradlab check --fix`, as `ruff --fix`).

Nothing is written without the request. A file that changed since it was checked is not touched (its
digest is compared with the one the fix was computed from); several fixes of one file are merged when
they change different lines, and a fix that would overlap another one already taken is left out, said so.
Non-goal: finding fixes (`gradlab.fixes.search`).
"""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path

from gradlab.core.results import FixResult

__all__ = ["apply_fixes", "describe"]


def describe(fix: FixResult | None, name: str, apply_hint: str | None = None) -> list[str]:
    """The lines printed under a failing layer: the verified diff, or that none was found."""
    if fix is None or fix.status == "not-searched":
        return []
    if fix.status != "verified" and fix.tried == 0 and fix.explanation:  # the search stopped before a candidate
        return [f"  {fix.explanation}"]
    if fix.status != "verified" and fix.tried == 0:  # nothing of the user's to edit was found
        return ["  no fix searched: the code that computes this gradient is not in a file gradlab can edit (a "
                "class built at run time, a backward inherited from another module); the diagnosis above still "
                "stands"]
    if fix.status != "verified":
        # why a backward-only edit was not shown, when the forward itself is off the reference
        why = [f"  {fix.explanation}"] if fix.explanation else []
        return [f"  no single edit found ({fix.tried} candidates tried); the diagnosis above still stands", *why]
    head, _, outcome = fix.explanation.partition(": with it, ")
    out = [f"  suggested fix ({head}; verified: with it, {outcome}):"]
    out += [f"    {line}" for line in fix.diff.rstrip("\n").splitlines()]
    if apply_hint:
        out.append(f"  apply it: {apply_hint}")
    return out


def apply_fixes(fixes: list[tuple[str, FixResult]]) -> list[str]:
    """Write the verified fixes (layer name, fix) into their files; one line per file or fix left out."""
    by_file: dict[str, list[tuple[str, FixResult]]] = {}
    for name, fix in fixes:
        if fix.status == "verified" and fix.path:
            by_file.setdefault(fix.path, []).append((name, fix))
    said: list[str] = []
    for path, these in by_file.items():
        file = Path(path)
        text = file.read_text(encoding="utf-8")
        if any(hashlib.sha256(text.encode("utf-8")).hexdigest() != f.old_digest for _, f in these):
            said.append(f"not fixed: {these[0][1].file} changed since it was checked; run gradlab check again")
            continue
        merged, taken, left = _merge(text, [f.new_text for _, f in these])
        file.write_text(merged, encoding="utf-8")
        lines = sorted({n for i in taken for n in these[i][1].lines})
        names = ", ".join(these[i][0] for i in taken)
        said.append(f"fixed {these[0][1].file}: line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))} "
                    f"({names})")
        said += [f"not fixed: {these[i][0]} (its fix overlaps another fix of {these[i][1].file}; run gradlab "
                 f"check --fix again)" for i in left]
    return said


def _merge(old: str, news: list[str]) -> tuple[str, list[int], list[int]]:
    """`old` with the changes of every text in `news` that touches lines no earlier one touched."""
    old_lines = old.splitlines(keepends=True)
    changes: list[tuple[int, int, list[str]]] = []
    taken: list[int] = []
    left: list[int] = []
    for i, new in enumerate(news):
        new_lines = new.splitlines(keepends=True)
        ops = [(i1, i2, new_lines[j1:j2]) for tag, i1, i2, j1, j2 in
               difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False).get_opcodes() if tag != "equal"]
        if any(a1 <= b2 and b1 <= a2 for a1, a2, _ in ops for b1, b2, _ in changes):
            left.append(i)
            continue
        changes += ops
        taken.append(i)
    out = list(old_lines)
    for i1, i2, replacement in sorted(changes, key=lambda c: c[0], reverse=True):
        out[i1:i2] = replacement
    return "".join(out), taken, left
