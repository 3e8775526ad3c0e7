"""Locate the code behind a layer: the file, the definitions to rebuild, the functions whose lines may change.

A class-style layer's backward is the `backward` the class resolves to, in its own file (its own, or a base
class's there); its other methods (forward, where a forward bug lives) and the module-level helpers they call
(an `im2col`/`col2im`, a `_sigmoid`) are where an edit may go too; so are a base class in another module of
the user's package (a backward inherited from the course's `time_layers.py`) and the helpers the code calls
from other modules of the package, imported by name or through their module, one import away or two
(`helper_sites`: each such module is a site of its own). A function-style layer is its forward/backward pair
(or its loss function) and the helpers they call.
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
from types import FunctionType
from typing import Any

from gradlab.conventions.activation_strings import Bound
from gradlab.conventions.registry import Entry
from gradlab.fixes.parts import composed

__all__ = ["Scope", "Site", "helper_sites", "locate", "module_constants"]

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
        keep.update(n.lineno for n in module_constants(self.tree, self.defs))
        return "".join(line if i in keep else "\n"
                       for i, line in enumerate(self.text.splitlines(keepends=True), 1))


def module_constants(tree: ast.Module, defs: tuple[str, ...]) -> list[ast.Assign]:
    """The module's one-line assignments of a literal to a name that the definitions `defs` read (`AXIS = 0`): an
    edit may change them, and a rebuild runs them again before the definitions (they define, they do not act)."""
    top = _top_level(tree)
    read = {n.id for name in defs if name in top for n in ast.walk(top[name])
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    out: list[ast.Assign] = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) and \
                node.targets[0].id in read and node.lineno == node.end_lineno:
            try:
                ast.literal_eval(node.value)
            except ValueError:
                continue
            out.append(node)
    return out


def _top_level(tree: ast.Module) -> dict[str, ast.stmt]:
    return {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def _file_of(obj: Any) -> str:
    """The file `obj` was defined in, from its code: a user's module is gone from sys.modules after its import,
    so `inspect.getsourcefile` cannot find a class of it by its module."""
    if isinstance(obj, type):
        obj = next(iter(_methods(obj)), None)
    return obj.__code__.co_filename if inspect.isfunction(obj) else ""


def _methods(cls: type) -> list[FunctionType]:
    """The functions `cls` defines, a static or class method's own function among them (a class written as PyTorch's
    custom autograd function has nothing but static methods, and is the user's code all the same)."""
    return [f for v in vars(cls).values()
            if inspect.isfunction(f := v.__func__ if isinstance(v, (staticmethod, classmethod)) else v)]


def _source_of(obj: Any) -> tuple[Path, str, ast.Module] | None:
    try:
        path = Path(_file_of(obj))
        text = path.read_text(encoding="utf-8")
        return path, text, ast.parse(text)
    except (TypeError, OSError, SyntaxError, ValueError):
        return None


def locate(entry: Entry) -> Site | None:
    """The site of `entry`'s code in its own file, or None when it cannot be edited here (a native layer, a class
    built at run time)."""
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
    """The site of a class-style layer in its own file: the class and the base classes it inherits from there (a
    forward or a backward written once for several layers), each method as the class resolves it. A method
    inherited from another file is not here: that file is a site of its own (`helper_sites`)."""
    found = _source_of(cls)
    if found is None:
        return None
    path, text, tree = found
    classes = _classes_in(cls, path, tree)
    if not classes:
        return None
    # no method of its own but `__init__` is still a site: the one its inherited methods' file is searched from
    scopes = _method_scopes(cls, classes)
    top = _top_level(tree)
    helpers = _class_helpers(classes, scopes, top)
    scopes += [Scope(top[h], "helper", False) for h in helpers]  # type: ignore[arg-type]
    parts = composed(classes, top)
    scopes += [Scope(m, "helper", True) for p in parts for m in top[p].body  # type: ignore[attr-defined]
               if isinstance(m, ast.FunctionDef) and m.name != "__init__"]
    defs = _in_file_order(top, [*helpers, *parts, *(c.__name__ for c, _ in classes)])
    namespace = next((f.__globals__ for c, _ in classes for f in _methods(c)), {})
    return Site(path, text, tree, defs, _ordered(scopes), dict(namespace), (cls.__name__,))


def _classes_in(cls: type, path: Path, tree: ast.Module) -> list[tuple[type, ast.ClassDef]]:
    """The classes of `cls`'s method resolution order defined at the top of the file `path`, from `cls` on, up to
    the first one defined elsewhere (rebuilt here, a base defined in between would not see the edit)."""
    top = _top_level(tree)
    out: list[tuple[type, ast.ClassDef]] = []
    for c in cls.__mro__:
        node = top.get(c.__name__)
        if c is object or not isinstance(node, ast.ClassDef) or _file_of(c) not in ("", str(path)) or \
                not _file_of(c) and c is not cls:
            break
        out.append((c, node))
    return out if out and _file_of(out[0][0]) == str(path) else []


def _method_scopes(cls: type, classes: list[tuple[type, ast.ClassDef]]) -> list[Scope]:
    """A scope for each method of `classes` that `cls` resolves to (an overridden forward of a base is not the
    layer's); a method backward calls (the textbook's BatchNormalization.__backward) is part of the backward."""
    resolved = [node for c, cnode in classes for node in cnode.body
                if isinstance(node, ast.FunctionDef) and node.name != "__init__" and _resolves_to(cls, c, node.name)]
    called = {n.func.attr for node in resolved if node.name == "backward" for n in ast.walk(node)
              if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and
              isinstance(n.func.value, ast.Name) and n.func.value.id == "self"}
    # the functions a constructor defines and hands on (the learners' `Activation.__init__(self, tanh, tanh_prime)`
    # from a subclass's `__init__`): backward calls them through an attribute, so they are the layer's code too
    inner = [n for c, cnode in classes for init in cnode.body if isinstance(init, ast.FunctionDef) and
             init.name == "__init__" and _resolves_to(cls, c, "__init__") for n in init.body
             if isinstance(n, ast.FunctionDef)]
    # a subclass that changes only its constructor (the word2vec loss whose EmbeddingDots share one dW) has its bug
    # there, if anywhere: its `__init__` is searched too (`gradlab.fixes.overrides`)
    own = [n for n in classes[0][1].body if isinstance(n, ast.FunctionDef)] if classes else []
    init = [Scope(own[0], "method", True)] if len(own) == 1 and own[0].name == "__init__" and \
        len(classes[0][0].__mro__) > 2 else []
    return [Scope(node, "backward" if node.name in called else node.name if node.name in ("backward", "forward")
                  else "method", True) for node in resolved] + init + [Scope(n, "helper", False) for n in inner]


def _resolves_to(cls: type, owner: type, name: str) -> bool:
    """Whether `cls.name` is the one `owner` defines (a private `__backward` is looked up mangled)."""
    mangled = f"_{owner.__name__.lstrip('_')}{name}" if name.startswith("__") and not name.endswith("__") else name
    for c in cls.__mro__:
        if mangled in vars(c):
            return c is owner
    return False


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
    """The other modules of the user's package the layer's code lives in, one site each: first the file of the
    base class a class-style layer inherits its backward (or forward) from; then the modules of the helpers it
    calls, in the order first called: CS231n's `layer_utils.py` calling `affine_backward` of `layers.py`, the
    textbook's `common/layers.py` calling `softmax` of `common/functions.py` (imported by name, or called as
    `functions.softmax`), and the modules those helpers call in turn (two imports away). A module is the user's
    when its file lies in the same project (at most one folder above the layer's), outside any installed
    package."""
    out: list[Site] = []
    base = _base_site(site)
    frontier = [site, *([base] if base is not None else [])]
    out += frontier[1:]
    seen = {site.path, *(s.path for s in out)}
    for _ in range(HELPER_DEPTH):
        found: list[Site] = []
        for here in frontier:
            found += _called_sites(here, seen)
            seen |= {h.path for h in found}  # a module called from two sites is one site, the first caller's
        out += found
        frontier = found
    return out


def _called_sites(site: Site, seen: set[Path]) -> list[Site]:
    """A site for each module of the user's package (not in `seen`) whose functions `site`'s code calls, by a name
    it imported (`softmax(x)`) or through the module (`functions.softmax(x)`, `F.relu_backward(...)`)."""
    own = _top_level(site.tree)
    called: list[tuple[str, Any]] = []
    for sc in site.scopes:
        for n in ast.walk(sc.node):
            if not isinstance(n, ast.Call):
                continue
            if isinstance(n.func, ast.Name) and n.func.id not in own:
                called.append((n.func.id, site.namespace.get(n.func.id)))
            elif isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Name) and \
                    inspect.ismodule(site.namespace.get(n.func.value.id)):
                module = site.namespace[n.func.value.id]
                called.append((f"{n.func.value.id}.{n.func.attr}", getattr(module, n.func.attr, None)))
    by_file: dict[Path, list[tuple[str, Any]]] = {}
    for alias, func in dict.fromkeys(called):
        if not inspect.isfunction(func):
            continue
        path = Path(_file_of(func))
        if path not in seen and _in_project(path, site.path):
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


def _base_site(site: Site) -> Site | None:
    """For a class-style layer: the file of the first class of its method resolution order that the site does not
    hold (a TimeRNN subclass whose backward is TimeRNN's, imported from the course's `time_layers.py`), when that
    file is the user's and the layer's module names the class (it is rebuilt from the edited one)."""
    if site.host is not None or len(site.target_names) != 1:
        return None
    cls = site.namespace.get(site.target_names[0])
    if not isinstance(cls, type):
        return None
    base = next((c for c in cls.__mro__ if c.__name__ not in site.defs or _file_of(c) not in ("", str(site.path))),
                object)
    # the name the layer's module knows it by: `TimeRNN` imported by name, or `layers.Affine` through its module
    alias = next((name for name, value in site.namespace.items() if value is base), None) or \
        next((f"{name}.{base.__name__}" for name, value in site.namespace.items()
              if inspect.ismodule(value) and vars(value).get(base.__name__) is base), None)
    found = _source_of(base) if base is not object and alias is not None else None
    if found is None or found[0] == site.path or not _in_project(found[0], site.path):
        return None
    path, text, tree = found
    classes = _classes_in(base, path, tree)
    # no method of its own but `__init__` is still a site: the one its inherited methods' file is searched from
    scopes = _method_scopes(cls, classes)
    top = _top_level(tree)
    helpers = _class_helpers(classes, scopes, top)
    scopes += [Scope(top[h], "helper", False) for h in helpers]  # type: ignore[arg-type]
    namespace = next((f.__globals__ for c, _ in classes for f in _methods(c)), {})
    return Site(path, text, tree, _in_file_order(top, [*helpers, *(c.__name__ for c, _ in classes)]),
                _ordered(scopes), dict(namespace), site.target_names, host=site,
                exports=((alias, base.__name__),))  # type: ignore[arg-type]


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


def _class_helpers(classes: list[tuple[type, ast.ClassDef]], scopes: list[Scope],
                   top: dict[str, ast.stmt]) -> list[str]:
    """The module functions the methods call, and those a constructor hands on by name (the learners'
    `super().__init__(tanh, tanh_prime)`: backward calls them through an attribute, so they are the layer's code too)
    with those they call."""
    handed = [a.id for _, cnode in classes for init in cnode.body if isinstance(init, ast.FunctionDef) and
              init.name == "__init__" for n in ast.walk(init) if isinstance(n, ast.Call)
              for a in n.args if isinstance(a, ast.Name) and isinstance(top.get(a.id), ast.FunctionDef)]
    handed = list(dict.fromkeys(handed))
    nodes = [s.node for s in scopes] + [top[h] for h in handed]
    return list(dict.fromkeys([*handed, *_helpers(nodes, top)]))  # type: ignore[arg-type]


def _in_file_order(top: dict[str, ast.stmt], names: list[str]) -> tuple[str, ...]:
    return tuple(sorted(dict.fromkeys(names), key=lambda n: top[n].lineno))


#: the order scopes are searched in: the backward holds most bugs, a forward bug comes next, helpers last
_ROLE_ORDER = {"backward": 0, "loss": 0, "forward": 1, "method": 2, "helper": 3}


def _ordered(scopes: list[Scope]) -> tuple[Scope, ...]:
    return tuple(sorted(scopes, key=lambda s: (_ROLE_ORDER[s.role], s.node.lineno)))


def forwards_around(text: str, line: int) -> list[ast.FunctionDef] | None:
    """The forwards of the layer around `line` of a module's `text`: the methods of the class holding that line
    whose names say forward, or else the module's functions so named (a function-style layer's); None when the
    text does not parse. What forward packed, stored or reshaped is read there, to undo it the same way."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    owner = next((c for c in tree.body if isinstance(c, ast.ClassDef) and
                  c.lineno <= line <= (c.end_lineno or c.lineno)), None)
    return [f for f in (owner.body if owner is not None else tree.body)
            if isinstance(f, ast.FunctionDef) and "forward" in f.name]
