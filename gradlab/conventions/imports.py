"""Import a user's file the way its own code expects to be imported, then leave no trace.

Course code is rarely a lone file: CS231n's `cs231n/layer_utils.py` does `from .layers import *`
(it must be imported as part of its package), the textbook's `ch05/two_layer_net.py` does
`from common.layers import *` (the repository root must be importable), a learner's `net.py`
imports `activations.py` next to it. `load_module` finds those roots from the file's own location
and its import statements, imports the file as part of its package when it is in one, and restores
`sys.path` and `sys.modules` afterwards, so two students' `layers.py` never meet.
A failure is one line naming the module that is missing and what to do about it
(`gradlab.conventions.import_errors`); what the import is lent and gives back is in
`gradlab.conventions.import_finders`.
Non-goal: finding layers in the module (that is `gradlab.conventions.discover`).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

from gradlab.conventions.course_helpers import CourseHelpers
from gradlab.conventions.import_errors import (
    LoadError,
    Python2Source,
    missing_module,
    raised_through,
    syntax_error,
    user_line,
)
from gradlab.conventions.import_finders import (
    LEFT_MODULES,
    PAST_BUILTINS,
    QUIET_IPYTHON,
    StandIns,
    notebook_shell,
    numpy_as_it_was,
    older_numpy_names,
)
from gradlab.conventions.notebooks import NotebookError, module_file, notebook_source, place

__all__ = ["LoadError", "Python2Source", "load_module", "local_modules", "package_of", "search_roots"]

#: how many folders above a file may hold the top-level modules it imports (a repository root)
MAX_LEVELS_UP = 4
#: how many local modules are followed when looking for what they import
MAX_LOCAL_FILES = 50


def package_of(path: Path) -> tuple[Path, str] | None:
    """(the folder that holds the file's top package, the file's dotted module name), or None when
    its folder has no `__init__.py`."""
    if path.suffix == ".ipynb":  # a notebook is no module of a package: its cells import as a script's would
        return None
    parts = [path.stem] if path.stem != "__init__" else []
    folder = path.parent
    # a folder without __init__.py inside a package is a namespace portion of it (CS231n's classifiers/ in
    # some years): a file there that imports relatively (`from ..layers import *`) runs as part of the package
    if not (folder / "__init__.py").is_file() and (folder.parent / "__init__.py").is_file() and \
            any(level for _, level in _imports(path)):
        parts.insert(0, folder.name)
        folder = folder.parent
    elif not (folder / "__init__.py").is_file() and folder.name.isidentifier() and \
            any(level or dotted.startswith(folder.name + ".") and (folder / f"{folder.name}.py").is_file()
                for dotted, level in _imports(path)):
        # a file importing relatively in a folder without __init__.py (a learner's copy of the second volume's
        # `common/`, `from .np import *`), or absolutely from its own folder's name where a module of that name
        # beside it would shadow the folder (loss/mse.py doing `from loss.loss import Loss`), is a module of that
        # folder as a namespace package, as its notebooks and tests import it from the folder above; one importing
        # two levels up (a CS231n upload without any __init__.py: classifiers/cnn.py's `from ..layers import *`)
        # is a module of the folder above that, and so on
        parts, folder = [folder.name, path.stem], folder.parent
        depth = max((level for f in path.parent.glob("*.py") for _, level in _imports(f)), default=0)
        while depth > len(parts) - 1 and folder.name.isidentifier() and folder.parent != folder:
            parts.insert(0, folder.name)
            folder = folder.parent
        return folder, ".".join(parts)
    # a folder whose name is no identifier (a clone's `numpy-nn/`) cannot be imported as a package, whatever
    # __init__.py it holds: its code is run from inside it (`from nn.dense import Dense` at its top), so the
    # package ends below it
    while (folder / "__init__.py").is_file() and folder.parent != folder and folder.name.isidentifier():
        parts.insert(0, folder.name)
        folder = folder.parent
    if folder == path.parent:
        return None
    # a package whose top folder has no __init__.py (a CS231n upload without cs231n/__init__.py, whose classifiers/
    # import `from ..layers import *`): the folders its files' relative imports climb to are namespace portions of it
    depth = max((level for f in path.parent.glob("*.py") for _, level in _imports(f)), default=0)
    while depth > len(parts) - (path.stem != "__init__") and folder.name.isidentifier() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    return folder, ".".join(parts)


def _provides(folder: Path, name: str) -> bool:
    # a namespace package holds modules or only subpackages (a 2019 CS231n cs231n/ with nothing but classifiers/)
    # or only namespace subpackages (a library installed with `pip install -e .` whose bfalgo/ holds utils/*.py)
    return (folder / f"{name}.py").is_file() or (folder / name / "__init__.py").is_file() or \
        (folder / name).is_dir() and any(any((folder / name).glob(g)) for g in ("*.py", "*/__init__.py", "*/*.py"))


def search_roots(path: Path) -> list[Path]:
    """The folders to put on `sys.path` for `path`: its package's parent (or its own folder), then
    each folder above that provides a top-level module that the file, or a local module it imports,
    needs and nothing installed provides (the repository root holding `common/`, as the textbook's
    chapters expect, even when only a sibling module reaches for it)."""
    return _walk(path)[0]


def local_modules(path: Path) -> tuple[Path, list[Path]]:
    """(a base folder, the file and every local module it imports, directly or through each other),
    all inside the base: what must travel with a single-file submission for it to import as it does
    on its author's machine. Only regular `.py` files, never through a symbolic link."""
    path = Path(path).resolve()
    roots, files = _walk(path)
    base = min(roots, key=lambda r: len(r.parts))
    safe = [f for f in files if f.is_relative_to(base) and f.suffix == ".py" and not _linked(f, base)]
    return base, safe


def _linked(file: Path, base: Path) -> bool:
    """Whether any part of the way from `base` to `file` is a symbolic link."""
    node = file
    while node != base and node != node.parent:
        if node.is_symlink():
            return True
        node = node.parent
    return False


def _walk(path: Path) -> tuple[list[Path], list[Path]]:
    """(the roots of `search_roots`, the local module files reached from `path`, `path` first)."""
    package = package_of(path)
    roots = [package[0] if package else path.parent]
    if package and not (path.parent / f"{path.parent.name}.py").is_file():
        # `import helpers` next to a file inside a package (implicit-relative habit); not where a module named as
        # the folder (loss/loss.py) would shadow the package itself
        roots.append(path.parent)
    queue, files = [path], [path]
    if package:  # importing the file runs its packages' __init__.py first: what they import is needed too
        inits = [f / "__init__.py" for f in [path.parent, *path.parent.parents] if f.is_relative_to(package[0])]
        queue += [f for f in inits if f.is_file() and f != path]
    while queue and len(files) <= MAX_LOCAL_FILES:
        current = queue.pop(0)
        for dotted, level in _imports(current):
            places = [_package_dir(current, level)] if level else roots
            local = next((found for r in places if r is not None and (found := _dotted_files(r, dotted))), None)
            if local:
                for f in local:
                    if f not in files:
                        files.append(f)
                        queue.append(f)
                continue
            top = dotted.split(".")[0]
            if level or top in sys.builtin_module_names or _installed(top) or any(_provides(r, top) for r in roots):
                # a root already holds it (a namespace package loss/ with loss/loss.py inside: the folder loss/ is no
                # provider of `loss`, its loss.py would shadow the package)
                continue
            # folders inside the package first: a library whose repository root is a package too (library/ with
            # __init__.py holding nnfs/) imports `from nnfs.utils import ...` as its own top-level package
            inside = [f for f in path.parents if f.is_relative_to(roots[0]) and f != roots[0]] if package else []
            # or a folder without __init__.py anywhere down to the module (deeplearning.ai exports importing
            # `from course5.week_01.Test.rnn.utils import *` from the repository root)
            provider = next((f for f in [*inside, *_above(roots[0])]
                             if _provides(f, top) or (f / top).is_dir() and _dotted_files(f, dotted)), None)
            if provider is not None and provider not in roots:
                roots.append(provider)
                found_there = _dotted_files(provider, dotted) or []
                for f in found_there:
                    if f not in files:
                        files.append(f)
                        queue.append(f)
    return list(dict.fromkeys(roots)), files


def _imports(path: Path) -> list[tuple[str, int]]:
    """(dotted module, relative level) of every import in the file; `from a import b` also names
    `a.b`, which may be a submodule."""
    try:
        text = notebook_source(path.read_bytes())[0] if path.suffix == ".ipynb" else path.read_bytes()
        tree = ast.parse(text, filename=str(path))
    except (SyntaxError, ValueError, OSError, NotebookError):
        return []
    out: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, 0) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            out += [(f"{module}.{a.name}".strip("."), node.level) for a in node.names if a.name != "*"]
            if module:
                out.append((module, node.level))
    return out


def _package_dir(path: Path, level: int) -> Path | None:
    folder = path.parent
    for _ in range(level - 1):
        folder = folder.parent
    return folder if folder.is_dir() else None


def _dotted_files(root: Path, dotted: str) -> list[Path] | None:
    """The files `import <dotted>` runs when `root` is on sys.path (each package's __init__, then the
    module), or None when `root` does not hold it; `a.b.name` may name something inside `a.b`."""
    parts = [p for p in dotted.split(".") if p]
    while parts:
        folder = root.joinpath(*parts[:-1])
        module = next((c for c in (folder / f"{parts[-1]}.py", folder / parts[-1] / "__init__.py") if c.is_file()),
                      None)
        if module is not None:
            inits = [root.joinpath(*parts[:i], "__init__.py") for i in range(1, len(parts))]
            return [p.resolve() for p in inits if p.is_file()] + [module.resolve()]
        parts = parts[:-1]
    return None


def _above(folder: Path) -> list[Path]:
    """The folders above `folder` that may hold a repository's top-level modules."""
    return list(folder.parents)[:MAX_LEVELS_UP]


def _installed(name: str) -> bool:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return False
    return spec is not None and spec.loader is not LEFT_MODULES  # a user's module left by an earlier import is not


def load_module(path: Path, *, shown_as: str | None = None) -> ModuleType:
    """Import the file at `path` as its code expects (see the module docstring); sys.path and
    sys.modules are as they were afterwards, and the returned module keeps working. A `LoadError`
    names the file as `shown_as` (default: its name), and the module the failure is in when it is
    another one (`layer_utils.py (through layers.py:3): syntax error ...`)."""
    path = Path(path).resolve()
    shown = shown_as or path.name
    code = _notebook_module(path, shown) if path.suffix == ".ipynb" and path.is_file() else path
    if code.suffix != ".py" or not code.is_file():
        raise LoadError(f"{shown}: not a Python file gradlab can import")
    # a notebook's cells run from the notebook's folder (its sibling modules import), from a file of their own
    roots = search_roots(path) + ([code.parent] if code != path else [])
    package = package_of(path)
    LEFT_MODULES.install()
    LEFT_MODULES.serving = False
    saved_path, saved_modules = list(sys.path), set(sys.modules)
    stand_ins, helpers = _stand_ins(code, path), CourseHelpers()
    lent = (PAST_BUILTINS, QUIET_IPYTHON, helpers, stand_ins)
    sys.meta_path.extend(lent)
    sys.path[:0] = [str(r) for r in roots]
    shell, numpy_names, numpy_kept = notebook_shell(), older_numpy_names(), numpy_as_it_was()
    # learners' copies of the textbook start with os.chdir(os.path.dirname(__file__)), so that their data loads
    # from anywhere: the working directory the user's paths (and gradlab's) are relative to is put back
    cwd = os.getcwd()
    # a module of the package's name imported earlier from elsewhere (another course's `common`, a test's) would be
    # found in its place: set aside while the file is imported, and put back afterwards
    clashing = _set_aside(package[1].split(".")[0], roots) if package else {}
    try:
        return _marked(_import(code, package[1] if package else None), stand_ins, helpers,
                       {str(code): path.name} if code != path else {})
    except SyntaxError as exc:
        raise syntax_error(exc, code, shown) from None
    except ModuleNotFoundError as exc:
        raise LoadError(missing_module(path, exc, [*roots, *_above(roots[0])], shown)) from None
    except (Exception, SystemExit) as exc:
        line = user_line(exc, code)
        raise LoadError(f"{shown}{raised_through(exc, code, roots)} raised {type(exc).__name__} while being imported"
                        f"{line}: {exc}; code at the top level of the file must run without errors") from None
    finally:
        shell()
        numpy_names()
        numpy_kept()
        if os.getcwd() != cwd:
            os.chdir(cwd)
        for finder in lent:
            sys.meta_path.remove(finder)
        for name in [n for n, m in list(sys.modules.items()) if any(getattr(m, "__loader__", None) is f for f in lent)]:
            del sys.modules[name]
        LEFT_MODULES.serving = True
        # folders the user's code put on sys.path itself (sys.path.insert(0, '../lib')) hold the user's modules too
        added = [Path(p).resolve() for p in sys.path if p and p not in saved_path and p not in map(str, roots)]
        sys.path[:] = saved_path
        # the user's own modules leave with the import (installed ones, numpy's lazy parts, stay); all are looked
        # at before any leaves: a namespace package's __path__ cannot be read once its parent package is gone
        for name in [n for n in set(sys.modules) - saved_modules if _under(sys.modules[n], [*roots, *added])]:
            LEFT_MODULES.modules[name] = sys.modules.pop(name)
        for name, module in clashing.items():
            sys.modules.setdefault(name, module)


def _stand_ins(code: Path, path: Path) -> StandIns:
    """Stand-ins for what a notebook's cells import. A script's missing import stays the file's error: its code
    may catch the ImportError itself (CS231n's fast_layers.py falls back when its extension is not built), and a
    stand-in would take that path away."""
    return StandIns(lambda filename: code != path and filename == str(code))


def _marked(module: ModuleType, stand_ins: StandIns, helpers: CourseHelpers, shown: dict[str, str]) -> ModuleType:
    """The module, marked with what was lent to its import: said where its layers are listed
    (`gradlab.conventions.discover`)."""
    if stand_ins.lent:
        module.__gradlab_stand_ins__ = tuple(stand_ins.lent)  # type: ignore[attr-defined]
        # a notebook's module file is the notebook to its user
        module.__gradlab_stand_in_importers__ = tuple(  # type: ignore[attr-defined]
            _where(stand_ins.importers[n], stand_ins.lines[n], shown) for n in stand_ins.lent)
    if helpers.lent:
        module.__gradlab_course_helpers__ = tuple(helpers.lent)  # type: ignore[attr-defined]
    return module


def _where(filename: str, line: int, shown: dict[str, str]) -> tuple[str, str]:
    """(the file as its user knows it, `line 4` or for a notebook `code cell 1, line 2`)."""
    if filename not in shown:
        return Path(filename).name, f"line {line}"
    return shown[filename], place(filename, line).split(", ", 1)[-1]


def _notebook_module(path: Path, shown: str) -> Path:
    try:
        return module_file(path)
    except NotebookError as exc:
        raise LoadError(f"{shown}: {exc}") from None
    except OSError as exc:
        raise LoadError(f"{shown}: cannot be read ({exc.strerror})") from None


def _set_aside(top: str, roots: list[Path]) -> dict[str, ModuleType]:
    """The modules named `top` or under it that were not loaded from the user's folders, taken out of sys.modules."""
    names = [n for n, m in list(sys.modules.items()) if (n == top or n.startswith(top + ".")) and not _under(m, roots)]
    return {n: sys.modules.pop(n) for n in names}


def _import(path: Path, dotted: str | None) -> ModuleType:
    if dotted is not None:
        # as part of its package, so `from .layers import *` works; a clash with a package of the
        # same name imported earlier (another student's `cs231n`) is avoided by the cleanup above
        module = importlib.import_module(dotted)
        if Path(getattr(module, "__file__", "") or "").resolve() == path:
            return module
    name = f"gradlab_user_{abs(hash(str(path))):x}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise LoadError(f"{path.name}: not a Python file gradlab can import")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _under(module: ModuleType, roots: list[Path]) -> bool:
    """Whether `module` was loaded from the user's folders (a namespace package has only a __path__)."""
    places: list[str] = []
    try:  # modules are free to put anything in these (torch's _ClassNamespace is not iterable)
        places.append(module.__file__ if isinstance(module.__file__, str) else "")
    except Exception:
        pass
    try:
        places += [p for p in getattr(module, "__path__", None) or [] if isinstance(p, str)]
    except Exception:
        pass
    resolved = [Path(p).resolve() for p in places if p]
    return any(p.is_relative_to(r) and "site-packages" not in p.parts for p in resolved for r in roots)
