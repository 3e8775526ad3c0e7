"""An edit of the user's text, and the layer rebuilt from the edited text in memory.

The edited definitions (the layer's class or functions, the helpers they call) run again in a copy of
the module's globals: the user's file, their module and every other module stay as they were, module-level
code (a training loop at the bottom of the file) does not run again, and two candidates never see each
other's edits; an edited helper module's functions are run so too, and the layer's own definitions
again on them. An edit is a replacement of a span of the text, so everything it does not touch keeps the
user's spacing and comments.
Non-goal: deciding whether the rebuilt layer is right (that is `gradlab.fixes.verify`).
"""

from __future__ import annotations

import ast
import types
import warnings
from dataclasses import dataclass, replace
from typing import Any

from gradlab.conventions.activation_strings import Bound
from gradlab.conventions.registry import Entry
from gradlab.fixes.source import Site, module_constants

__all__ = ["Edit", "apply", "changed_lines", "overlaps", "rebuild", "rebuilt_classes"]


@dataclass(frozen=True)
class Edit:
    """Replace the text from `start` to `end` ((line, column) in characters, lines from 1) with `new`."""

    start: tuple[int, int]
    end: tuple[int, int]
    new: str
    #: what the edit does, in words ("divide by N", "swap the operands of the product")
    why: str
    #: what sort of edit it is ("factor", "sign", "transpose", "axis", ...): the diagnosis says which come first
    family: str = ""


def _offsets(text: str) -> list[int]:
    out, total = [0], 0
    for line in text.splitlines(keepends=True):
        total += len(line)
        out.append(total)
    return out


def apply(text: str, edits: tuple[Edit, ...]) -> str:
    """`text` with every edit made (they must not overlap)."""
    starts = _offsets(text)
    for e in sorted(edits, key=lambda e: e.start, reverse=True):
        a = starts[e.start[0] - 1] + e.start[1]
        b = starts[e.end[0] - 1] + e.end[1]
        # a line added after the last one, in a file that does not end its last line (an editor's choice): end it
        new = "\n" + e.new if a == len(text) and text and not text.endswith("\n") and e.new.endswith("\n") else e.new
        text = text[:a] + new + text[b:]
    return text


def overlaps(a: Edit, b: Edit) -> bool:
    """Whether two edits touch the same line (two edits of one line are one candidate, never two)."""
    return not (a.end[0] < b.start[0] or b.end[0] < a.start[0])


def changed_lines(old: str, new: str) -> list[int]:
    """The line numbers of `old` that differ in `new` (for a unified diff's `lines`)."""
    import difflib

    out: list[int] = []
    matcher = difflib.SequenceMatcher(a=old.splitlines(), b=new.splitlines(), autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag != "equal":
            out += list(range(i1 + 1, i2 + 1)) or [max(i1, 1)]  # an insertion is shown at the line before it
    return out


def rebuild(site: Site, entry: Entry, text: str) -> Entry | None:
    """`entry` with its target built from `text` (an edited copy of `site.text`), or None when the edited
    definitions do not compile or raise while being defined."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    namespace = _run(site, tree, dict(site.namespace))
    if namespace is None:
        return None
    while site.host is not None:  # a helper module edited: the definitions that call it again, on the new helpers
        host = dict(site.host.namespace)
        for alias, name in site.exports:
            _bind(host, alias, namespace[name])
        namespace = _run(site.host, site.host.tree, host)
        if namespace is None:
            return None
        site = site.host
    return replace(entry, target=_target(entry, namespace, site.target_names))


def rebuilt_classes(site: Site, text: str) -> dict[str, type]:
    """The classes a base-class site exports (its name for each: the layer's base), as `text` defines them."""
    try:
        namespace = _run(site, ast.parse(text), dict(site.namespace))
    except (SyntaxError, ValueError):
        return {}
    return {name: namespace[name] for _, name in site.exports
            if namespace is not None and isinstance(namespace.get(name), type)}


def _bind(namespace: dict[str, Any], alias: str, value: Any) -> None:
    """`namespace[alias] = value`; for `functions.softmax`, a copy of the module `functions` with `softmax` replaced,
    so that the user's module object itself is never changed."""
    if "." not in alias:
        namespace[alias] = value
        return
    head, attr = alias.split(".", 1)
    module = namespace[head]
    if not getattr(module, "__gradlab_copy__", False):
        module = types.ModuleType(module.__name__)
        module.__dict__.update({**vars(namespace[head]), "__gradlab_copy__": True})
        namespace[head] = module
    setattr(module, attr, value)


def _run(site: Site, tree: ast.Module, namespace: dict[str, Any]) -> dict[str, Any] | None:
    """`namespace` after `site`'s definitions, as `tree` has them, ran in it; None when they do not."""
    top = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    if any(name not in top for name in site.defs):
        return None
    # the module's constants the definitions read (`AXIS = 0`), as the edited text has them, first
    body: list[ast.stmt] = [*module_constants(tree, site.defs), *(top[n] for n in site.defs)]
    try:
        code = compile(ast.Module(body=body, type_ignores=[]), str(site.path), "exec")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(code, namespace)  # noqa: S102 - the user's own definitions, edited, as `gradlab check` runs them
    except Exception:  # noqa: BLE001 - a candidate that does not even define the layer is simply not a fix
        return None
    return namespace


def _target(entry: Entry, namespace: dict[str, Any], names: tuple[str, ...]) -> Any:
    if not isinstance(entry.target, tuple):
        return namespace[names[0]]
    return tuple(_bound_like(old, namespace[n]) if n in namespace else old
                 for n, old in zip(names, entry.target, strict=True))


def _bound_like(old: Any, new: Any) -> Any:
    """`new` with the activation string `old` had bound (`linear_activation[relu]`), or `new` itself."""
    return Bound(new, old.argument, old.value) if isinstance(old, Bound) else new
