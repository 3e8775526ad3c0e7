"""Locate the code behind a layer: the file, the definitions to rebuild, the functions whose lines may change.

A class-style layer's backward is the `backward` of the class (or of the base class in the same file that
defines it); its other methods (forward, where a forward bug lives) and the module-level helpers they call
(an `im2col`/`col2im`, a `_sigmoid`) are where an edit may go too; so are the helpers it imports from
another module of the user's package (`helper_sites`: each such module is a site of its own). A
function-style layer is its forward/backward pair (or its loss function) and the helpers they call.
Positions are kept as the AST gives them, in the user's own file, so an edit is a replacement of a span
of their text.
Non-goal: proposing edits (that is `gradlab.fixes.candidates`).
"""

from __future__ import annotations

import ast
import functools
import inspect
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gradlab.conventions.activation_strings import Bound
from gradlab.conventions.registry import Entry

__all__ = ["Scope", "Site", "helper_sites", "locate"]

#: how deep helper calls are followed from the layer's own functions
HELPER_DEPTH = 2
_GRADLAB = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Scope:
    """One function whose statements an edit may change; `role` orders the search (backward first)."""

    node: ast.FunctionDef
    role: str  # "backward", "forward", "loss", "method" or "helper"
    in_class: bool


@dataclass(frozen=True)
class Site:
    """Where a layer's code is: its file's text and tree, and how to rebuild the layer from an edited text."""

    path: Path
    text: str
    tree: ast.Module
    #: the top-level definitions to run again from an edited text, in file order (helpers, base, the layer)
    defs: tuple[str, ...]
    scopes: tuple[Scope, ...]
    #: the module's globals, copied before an edited definition runs in them
    namespace: dict[str, Any]
    #: the names the layer's target is taken from after a rebuild: the class, or forward and backward
    target_names: tuple[str, ...]
    #: for a helper module of the user's package (not the layer's own file): the layer's site, rebuilt on
    #: the edited helpers, and (the name the layer's module calls it by, its name here) of each helper
    host: Site | None = None
    exports: tuple[tuple[str, str], ...] = ()

    @functools.cached_property
    def defs_text(self) -> str:
        """`text` with every line outside `defs` (and their decorators) blanked: the same lines and columns, so an
        edit applies to it as to `text`, but a course file of a thousand lines parses in the time of its layer's
        few definitions (parsing the whole file again was half of a search's time)."""
        top = _top_level(self.tree)
        keep: set[int] = set()
        for name in self.defs:
            node = top[name]
            first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", ()))])
            keep.update(range(first, node.end_lineno + 1))  # type: ignore[operator]
        return "".join(line if i in keep else "\n"
                       for i, line in enumerate(self.text.splitlines(keepends=True), 1))


def _top_level(tree: ast.Module) -> dict[str, ast.stmt]:
    return {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def _file_of(obj: Any) -> str:
    """The file `obj` was defined in, from its code: a user's module is gone from sys.modules after its import,
    so `inspect.getsourcefile` cannot find a class of it by its module."""
    if isinstance(obj, type):
        obj = next((f for f in vars(obj).values() if inspect.isfunction(f)), None)
    return obj.__code__.co_filename if inspect.isfunction(obj) else ""


def _source_of(obj: Any) -> tuple[Path, str, ast.Module] | None:
    try:
        path = Path(_file_of(obj))
        text = path.read_text(encoding="utf-8")
        return path, text, ast.parse(text)
    except (TypeError, OSError, SyntaxError, ValueError):
        return None


def locate(entry: Entry) -> Site | None:
    """The site of `entry`'s code, or None when it cannot be edited here (a native layer, a class built at run
    time, a backward in another file than the layer)."""
    if entry.convention == "class" and isinstance(entry.target, type):
        return _class_site(entry.target)
    if entry.convention == "function":
        funcs = entry.target if isinstance(entry.target, tuple) else (entry.target,)
        # a function with its activation string bound by gradlab (`linear_activation[relu]`): the user's is inside
        funcs = tuple(f.fn if isinstance(f, Bound) else f for f in funcs)
        if all(inspect.isfunction(f) for f in funcs):
            return _function_site(tuple(funcs))
    return None


def _class_site(cls: type) -> Site | None:
    owner = next((c for c in cls.__mro__ if "backward" in vars(c)), None)
    backward = vars(owner).get("backward") if owner is not None else None
    if owner is None or not inspect.isfunction(backward):
        return None
    found = _source_of(owner)
    if found is None or _source_of(cls) is None or _source_of(cls)[0] != found[0]:  # type: ignore[index]
        return None
    path, text, tree = found
    top = _top_level(tree)
    classes = [c for c in dict.fromkeys([owner.__name__, cls.__name__]) if isinstance(top.get(c), ast.ClassDef)]
    if len(classes) < len({owner.__name__, cls.__name__}):
        return None
    scopes: list[Scope] = []
    methods = [n for c in classes for n in top[c].body if isinstance(n, ast.FunctionDef)]  # type: ignore[attr-defined]
    # a method backward calls (the textbook's BatchNormalization.__backward) is part of the backward
    called = {n.func.attr for m in methods if m.name == "backward" for n in ast.walk(m)
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and
              isinstance(n.func.value, ast.Name) and n.func.value.id == "self"}
    for node in methods:
        if node.name != "__init__":
            role = "backward" if node.name in called else node.name if node.name in ("backward", "forward") else \
                "method"
            scopes.append(Scope(node, role, True))
    helpers = _helpers([s.node for s in scopes], top)
    scopes += [Scope(top[h], "helper", False) for h in helpers]  # type: ignore[arg-type]
    defs = _in_file_order(top, [*helpers, *classes])
    return Site(path, text, tree, defs, _ordered(scopes), dict(backward.__globals__), (cls.__name__,))


def _function_site(funcs: tuple[Any, ...]) -> Site | None:
    found = _source_of(funcs[-1])
    if found is None:
        return None
    path, text, tree = found
    top = _top_level(tree)
    here = [f.__name__ for f in funcs if isinstance(top.get(f.__name__), ast.FunctionDef)
            and _source_of(f) is not None and _source_of(f)[0] == path]  # type: ignore[index]
    if funcs[-1].__name__ not in here:
        return None
    roles = ("forward", "backward") if len(funcs) == 2 else ("loss",)
    scopes = [Scope(top[f.__name__], role, False) for f, role in zip(funcs, roles, strict=True)  # type: ignore[arg-type]
              if f.__name__ in here]
    helpers = _helpers([s.node for s in scopes], top)
    scopes += [Scope(top[h], "helper", False) for h in helpers]  # type: ignore[arg-type]
    defs = _in_file_order(top, [*helpers, *here])
    names = tuple(f.__name__ for f in funcs)
    return Site(path, text, tree, defs, _ordered(scopes), dict(funcs[-1].__globals__), names)


def helper_sites(site: Site) -> list[Site]:
    """The helper modules of the user's package the layer calls into, one site each (in the order first
    called): CS231n's `layer_utils.py` calling `affine_backward` of `layers.py`, the textbook's
    `common/layers.py` calling `softmax` of `common/functions.py` or `col2im` of `common/util.py`. A helper
    is a function the layer's module imported by name whose file lies in the same project (at most one
    folder above the layer's), outside any installed package."""
    own = _top_level(site.tree)
    called = [n.func.id for sc in site.scopes for n in ast.walk(sc.node)
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id not in own]
    by_file: dict[Path, list[tuple[str, Any]]] = {}
    for alias in dict.fromkeys(called):
        func = site.namespace.get(alias)
        if not inspect.isfunction(func):
            continue
        path = Path(_file_of(func))
        if path != site.path and _in_project(path, site.path):
            by_file.setdefault(path, []).append((alias, func))
    out: list[Site] = []
    for path, funcs in by_file.items():
        found = _source_of(funcs[0][1])
        if found is None:
            continue
        _, text, tree = found
        top = _top_level(tree)
        named = [(alias, f.__name__) for alias, f in funcs if isinstance(top.get(f.__name__), ast.FunctionDef)]
        if not named:
            continue
        roots = list(dict.fromkeys(name for _, name in named))
        scopes = [Scope(top[n], "helper", False) for n in roots]  # type: ignore[arg-type]
        more = _helpers([s.node for s in scopes], top)
        scopes += [Scope(top[h], "helper", False) for h in more]  # type: ignore[arg-type]
        out.append(Site(path, text, tree, _in_file_order(top, [*more, *roots]), _ordered(scopes),
                        dict(funcs[0][1].__globals__), site.target_names, host=site, exports=tuple(named)))
    return out


def _in_project(path: Path, layer_file: Path) -> bool:
    """Whether `path` is a module of the user's own project: below the folder above the layer's file (a sibling
    module, or the textbook's `common/` next to `ch05/`), and not part of an installed package or of Python."""
    try:
        path, root = path.resolve(), layer_file.resolve().parent.parent
    except OSError:
        return False
    if not path.is_relative_to(root) or any(p in ("site-packages", "dist-packages") for p in path.parts):
        return False
    if path.is_relative_to(_GRADLAB):  # gradlab's own code is never the user's to fix
        return False
    return not path.is_relative_to(Path(sysconfig.get_paths()["stdlib"]).resolve())


def _helpers(nodes: list[ast.FunctionDef], top: dict[str, ast.stmt]) -> list[str]:
    """The module-level functions of the same file that `nodes` call, directly or through each other."""
    out: list[str] = []
    frontier = list(nodes)
    for _ in range(HELPER_DEPTH):
        called = [n.func.id for f in frontier for n in ast.walk(f)
                  if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
        new = [c for c in dict.fromkeys(called) if isinstance(top.get(c), ast.FunctionDef) and c not in out
               and all(c != f.name for f in nodes)]
        out += new
        frontier = [top[c] for c in new]  # type: ignore[misc]
    return out


def _in_file_order(top: dict[str, ast.stmt], names: list[str]) -> tuple[str, ...]:
    return tuple(sorted(dict.fromkeys(names), key=lambda n: top[n].lineno))


#: the order scopes are searched in: the backward holds most bugs, a forward bug comes next, helpers last
_ROLE_ORDER = {"backward": 0, "loss": 0, "forward": 1, "method": 2, "helper": 3}


def _ordered(scopes: list[Scope]) -> tuple[Scope, ...]:
    return tuple(sorted(scopes, key=lambda s: (_ROLE_ORDER[s.role], s.node.lineno)))
