"""Find the layers in a user's file by the names courses give them, without changing a line of it.

Class style: a class named `Affine`, `Relu`, `BatchNormalization`, ... (see `gradlab.kinds`).
Function style: a pair `<stem>_forward[_suffix]` / `<stem>_backward[_suffix]` is one layer named
`<stem><suffix>` (CS231n's `conv_forward_fast` + `conv_backward_fast` is `conv_fast`), except that
the `_naive` suffix keeps the plain stem (`conv_forward_naive` + `conv_backward_naive` is `conv`);
a loss function such as `softmax_loss` keeps its full name. One object under two names
(`conv_forward_fast = conv_forward_strides`) is checked once, under the first. Whatever looks like
a layer but has an unknown name is listed as skipped, with the reason. How one imported module is read
for its layers is `gradlab.conventions.layer_finder`.

A folder is read before it is imported: only its files whose source could hold a layer are
imported (`could_hold_layers`), so training scripts, `setup.py` and notebook helpers never run;
the others are listed as skipped. A file named explicitly is always imported. Files are imported
as their code expects (`gradlab.conventions.imports`), with their prints sent to stderr; one that
cannot be imported gives an error line that names it and says what to fix.
Non-goal: deciding anything about the layers found.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from gradlab.conventions.accelerators import ACCELERATORS
from gradlab.conventions.course_helpers import COURSE_HELPERS
from gradlab.conventions.import_budget import ImportTooSlow, import_time_limit
from gradlab.conventions.imports import LoadError, Python2Source, load_module
from gradlab.conventions.layer_finder import LayerFinder, pair_name
from gradlab.conventions.notebooks import NotebookError, module_file
from gradlab.conventions.registry import Entry, entries_in
from gradlab.conventions.source_reading import FORWARD, could_hold_layers, kind_comments
from gradlab.kinds import Kind, kind_for_class, kind_for_loss_function, kind_for_stem

__all__ = ["ENVIRONMENT", "NOT_IMPORTED", "Found", "LoadError", "could_hold_layers", "discover", "entry_for",
           "lent_notes", "files_in", "find_layers", "layout_options", "load_module", "pair_name"]

#: why a file of a folder was not imported
NOT_IMPORTED = "defines no layer; not imported"
#: why a folder was not read
ENVIRONMENT = "a virtual environment (installed packages, not the project's code); not read"


@dataclass
class Found:
    """What one file holds: layers gradlab can check, and names it skipped (with the reason)."""

    path: str
    entries: list[Entry] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None


def find_layers(module: ModuleType, path: str = "", *, kinds: Mapping[str, str] | None = None,
                sibling: Callable[..., Any] | None = None) -> Found:
    """The layers `module` defines, recognised by name (or registered with `gradlab.conventions.registry`).

    A layer with an unusual name is found through a `# gradlab: kind=<kind>` comment on the line above
    it, or through `kinds` (name -> kind, e.g. from `gradlab check --kind MyDense=affine`). `sibling(name)`
    gives the function `name` of the file beside the module named after it (`_sibling_function`)."""
    found = Found(path or getattr(module, "__file__", "") or module.__name__)
    registered = entries_in(module)
    if registered:
        found.entries.extend(registered)
        return found
    try:
        given = {**_comments_of(module), **(kinds or {})}
    except ValueError as exc:
        found.error = f"{Path(found.path).name}: {exc}"
        return found
    finder = LayerFinder(module, found, given, sibling)
    finder.classes()
    finder.functions()
    finder.unmatched_backwards()
    return found


def files_in(folder: Path) -> tuple[list[Path], list[Path]]:
    """The *.py files and notebooks under `folder`, not in caches or hidden folders (.ipynb_checkpoints, .venv,
    .git), and the virtual environments found there (not read: learners commit theirs,
    `venv/lib/python2.7/site-packages`, and numpy's own files are not the project's layers)."""
    files: list[Path] = []
    environments: list[Path] = []
    for root, dirs, names in os.walk(folder):
        here = Path(root)
        if here != folder and _is_environment(here):
            environments.append(here)
            dirs[:] = []
            continue
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        files.extend(here / n for n in names if n.endswith(".py"))
        # a notebook, unless exported beside it as a .py of its name (the same code: checked once, in the .py)
        files.extend(here / n for n in names if n.endswith(".ipynb") and n[:-6] + ".py" not in names)
    return sorted(files), environments


def _could_hold_layers(f: Path) -> bool:
    if f.suffix != ".ipynb":
        return could_hold_layers(f)
    try:  # read as it would be imported: its definitions, from a file of their own
        return could_hold_layers(module_file(f))
    except (NotebookError, OSError):  # not a notebook gradlab can read (or with no definition): not a layer file
        return False


#: what a virtual environment's folder holds (venv and virtualenv, POSIX and Windows) or is called
_ENVIRONMENT_MARKS = ("pyvenv.cfg", "bin/activate", "Scripts/activate", "Scripts/activate.bat")
_PACKAGE_FOLDERS = ("site-packages", "dist-packages")


def _is_environment(folder: Path) -> bool:
    return folder.name in _PACKAGE_FOLDERS or any((folder / mark).is_file() for mark in _ENVIRONMENT_MARKS)


def _comments_of(module: ModuleType) -> dict[str, str]:
    try:
        return kind_comments(Path(module.__file__ or "").read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return {}


def _sibling_function(f: Path) -> Callable[..., Any]:
    """name -> the function `name` defined in `<name>.py` beside `f`, imported as its code expects, or None:
    deeplearning.ai's exports keep one function a file, linear_forward.py beside linear_backward.py. With
    `phase=True`: the function `name` of the one file beside `f` named for the other phase, when `f` is named for its
    own (a learner's export of the notebook in sections: linear_forward in forward_propagation.py, linear_backward in
    backward_propagation.py)."""
    def find(name: str, phase: bool = False) -> Any:
        other = _phase_file(f, name) if phase else f.parent / f"{name}.py"
        if other is None or not name.isidentifier() or not other.is_file() or other.resolve() == f.resolve():
            return None
        try:
            with contextlib.redirect_stdout(sys.stderr), import_time_limit():
                return getattr(load_module(other, shown_as=str(other)), name, None)
        except (LoadError, ImportTooSlow):  # its own file reports why, when the folder is read
            return None
    return find


def _phase_file(f: Path, name: str) -> Path | None:
    """The one file beside `f` whose name holds the phase `name` belongs to (backward for `linear_backward`) and
    that defines it, when `f`'s name holds the other phase; None otherwise."""
    phase, other = ("backward", "forward") if "_backward" in name else ("forward", "backward")
    if other not in f.stem.lower() or phase in f.stem.lower():
        return None
    defines = re.compile(rf"^def {re.escape(name)}\(", re.MULTILINE)
    found = [p for p in sorted(f.parent.glob("*.py")) if phase in p.stem.lower() and other not in p.stem.lower()
             and defines.search(p.read_text(encoding="utf-8", errors="replace"))]
    return found[0] if len(found) == 1 else None


def _load(f: Path, kinds: Mapping[str, str] | None = None, *, of_folder: bool = False) -> Found:
    limit = import_time_limit() if of_folder else contextlib.nullcontext()
    try:
        with contextlib.redirect_stdout(sys.stderr), limit:  # the file's prints must not mix into gradlab's output
            module = load_module(f, shown_as=str(f))
        found = find_layers(module, str(f), kinds=kinds, sibling=_sibling_function(f))
        found.skipped += lent_notes(module, f.name)
        return found
    except ImportTooSlow as exc:  # an exercise script training at its top level: the folder's other files go on
        return Found(str(f), skipped=[(str(f), f"not read: {exc} (code at its top level: a training run or a "
                                               "download?); put that code under if __name__ == '__main__':")])
    except Python2Source as exc:  # a folder's Python 2 scripts are set aside; a file named is an error
        return Found(str(f), skipped=[(str(f), str(exc).split(": ", 1)[1])]) if of_folder else Found(str(f),
                                                                                                    error=str(exc))
    except LoadError as exc:
        return Found(str(f), error=str(exc))


def lent_notes(module: ModuleType, name: str) -> list[tuple[str, str]]:
    """(what, why) for each thing gradlab lent the import of the file `name`: stand-ins for modules that are
    neither installed nor beside it, a course's helpers. Said where its layers are listed, and in a grade's notes."""
    notes = []
    stood_in = getattr(module, "__gradlab_stand_ins__", ())
    if stood_in:
        them = "them" if len(stood_in) > 1 else "it"
        notes.append((", ".join(stood_in), f"{_imported_by(module, name)}: gradlab went on without {them} (a layer "
                      f"that uses one is set aside); install {them}, or run gradlab on the file inside the project "
                      f"that holds {them}"))
    for helper in getattr(module, "__gradlab_course_helpers__", ()):
        lent = _listed(COURSE_HELPERS[helper])
        if helper in ACCELERATORS:
            notes.append((helper, f"not installed: gradlab lent {lent} that leave each function uncompiled, so "
                          "the code runs as plain Python (it computes the same; install it for speed)"))
            continue
        notes.append((helper, f"not beside {name}: gradlab lent its own {lent} in its place (the course's helpers, "
                      "as the course hands them out)"))
    return notes


def _imported_by(module: ModuleType, checked: str) -> str:
    """Which file imports each module stood in for, and on which line (a local module that `checked` imports,
    when it is not `checked` itself)."""
    names = getattr(module, "__gradlab_stand_ins__", ())
    where = getattr(module, "__gradlab_stand_in_importers__", ()) or [(checked, "")] * len(names)
    nowhere = "neither installed nor found next to the file or in the folders above it"
    if {f for f, _ in where} == {checked}:
        # `line 2`, `line 3` -> `lines 2, 3`; `code cell 1, line 2` -> `code cell 1, lines 2, 3` (one cell)
        heads = {w.rpartition("line ")[0] for _, w in where}
        lines = [w.rpartition("line ")[2] for _, w in where]
        said = (f"{heads.pop()}line{'s' if len(lines) > 1 else ''} {', '.join(lines)}" if len(heads) == 1
                else "; ".join(w for _, w in where))
        return f"imported by {checked} ({said}) but {nowhere}"
    said = "; ".join(f"{n} by {f}, {w}{'' if f == checked else f', which {checked} imports'}"
                     for n, (f, w) in zip(names, where))
    return f"{nowhere} (imported: {said})"


def _listed(names: Iterable[str]) -> str:
    names = list(names)
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def discover(paths: list[str | Path], *, kinds: Mapping[str, str] | None = None) -> list[Found]:
    """Every layer in the given files and folders. A folder is searched recursively for *.py and *.ipynb, and only
    its files that `could_hold_layers` are imported (the others are skipped with `NOT_IMPORTED`);
    a file given by name is always imported."""
    results = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise FileNotFoundError(f"{raw}: no such file or folder")
        if not p.is_dir():
            results.append(_load(p, kinds))
            continue
        files, environments = files_in(p)
        for f in files:
            results.append(_load(f, kinds, of_folder=True) if _could_hold_layers(f) else
                           Found(str(f), skipped=[(str(f), NOT_IMPORTED)]))
        results.extend(Found(str(env), skipped=[(str(env), ENVIRONMENT)]) for env in environments)
    return results


def entry_for(layer: Any, backward: Callable[..., Any] | None = None, *, kind: str | Kind | None = None,
              name: str | None = None, layout: str | None = None, weights: str = "in_out") -> Entry:
    """An entry for one layer given in Python: a class, a forward/backward pair or a loss function.

    The kind is recognised from the name, or given with `kind=` when the name is not a usual one.
    `layout="columns"` (with `weights="in_out"` or `"out_in"`) is for layers written for samples
    as columns (see `gradlab.conventions.layouts`).
    """
    from gradlab.kinds import KINDS

    k: Kind | None = KINDS.get(kind) if isinstance(kind, str) else kind
    if isinstance(kind, str) and k is None:
        raise ValueError(f"unknown kind {kind!r}; known kinds: {', '.join(sorted(KINDS))}")
    if isinstance(layer, type):
        k = k or kind_for_class(layer.__name__)
        target: Any = layer
        convention, default_name = "class", layer.__name__
    elif backward is not None:
        m = FORWARD.match(getattr(layer, "__name__", ""))
        stem = m["stem"] if m else getattr(layer, "__name__", "layer")
        k = k or kind_for_stem(stem)
        convention, target = "function", (layer, backward)
        default_name = pair_name(stem, m["suffix"] or "") if m else stem
    elif callable(layer):
        k = k or kind_for_loss_function(getattr(layer, "__name__", ""))
        convention, target, default_name = "function", layer, getattr(layer, "__name__", "loss")
    else:
        raise TypeError("expected a layer class, a (forward, backward) pair or a loss function, "
                        f"got {type(layer).__name__}")
    if k is None:
        raise ValueError(f"gradlab does not know what {default_name!r} computes; pass kind=..., one of: "
                         f"{', '.join(sorted(KINDS))}")
    return Entry(name or default_name, k.name, convention, target, module=getattr(layer, "__module__", ""),
                 options=layout_options(layout, weights))


def layout_options(layout: str | None = None, weights: str = "in_out") -> dict[str, str]:
    """Adapter options for a data layout; a bad value says what to pass. No layout (None) is rows, unless the
    layer crashes on rows and runs on columns (`gradlab.cases.runner`); a layout given is kept as given."""
    from gradlab.conventions.layouts import LAYOUTS, WEIGHT_LAYOUTS

    if layout is not None and layout not in LAYOUTS:
        raise ValueError(f"layout={layout!r}: use one of {', '.join(LAYOUTS)}")
    if weights not in WEIGHT_LAYOUTS:
        raise ValueError(f"weights={weights!r}: use one of {', '.join(WEIGHT_LAYOUTS)}")
    if layout is None:
        return {}
    return {"layout": "rows"} if layout == "rows" else {"layout": layout, "weights": weights}
