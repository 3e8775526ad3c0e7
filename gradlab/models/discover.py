"""Finding the models a user's file defines, and checking them: what `gradlab check PATH` adds to layers.

A model is a class defined in the file (not imported into it) with the methods of one convention
(`gradlab.models.adapters.convention_of`) whose code, or a base class's, keeps the parameters where
that convention does (`self.params`, a CS231n model's `self.parameters` too, or `self.weights` and
`self.biases`): a loss class with `loss(y, p)` and `gradient(y, p)` holds no parameters and is not a model.
Files are imported as `gradlab check` imports them (`gradlab.conventions.imports.load_module`); in a folder only
files whose source defines a `loss` or a `backprop` method (or a `*_forward` function, for the generic pairs of
`gradlab.functions.generic_layers`; or `backward(self, dout=1)` or `self.grads = `, the second volume's models) are.
Non-goal: judging (that is `gradlab.models.check`).
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from gradlab.conventions.discover import files_in
from gradlab.conventions.import_budget import ImportTooSlow, import_time_limit
from gradlab.conventions.imports import LoadError, Python2Source, load_module, search_roots
from gradlab.models.adapters import convention_of
from gradlab.models.check import DEFAULT_CASES, check_variants
from gradlab.models.deep_functions import deep_model_of
from gradlab.models.report import ModelReport

__all__ = ["check_model_files", "find_models", "model_files", "modules_in", "parts_of_models"]

_MAY_HOLD_MODEL = re.compile(r"def\s+(loss|back_?prop[a-z]*|[a-z0-9_]+_forward[a-z0-9_]*|L_model_backward)\s*\(|"
                             r"def\s+backward\s*\(\s*self\s*,\s*dout\s*=\s*1\s*\)|self\.grads\s*=")
_KEEPS = {"nielsen": (re.compile(r"self\.weights\b"), re.compile(r"self\.biases\b")),
          "textbook": (re.compile(r"self\.params\b"),), "cs231n": (re.compile(r"self\.param(eter)?s\b"),),
          "volume2": (re.compile(r"self\.params\b"), re.compile(r"self\.grads\b"))}


def find_models(module: ModuleType) -> list[type]:
    """The model classes `module` defines, in the order it defines them."""
    found = []
    try:  # the user's modules leave sys.modules after the import, so inspect.getsource cannot find them
        text = Path(module.__file__ or "").read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    for obj in vars(module).values():
        if not (isinstance(obj, type) and obj.__module__ == module.__name__):
            continue
        convention = convention_of(obj)
        if convention is not None and _keeps_parameters(obj, convention, text):
            found.append(obj)
    deep = deep_model_of(module)  # deeplearning.ai's L_model_forward / L_model_backward functions
    return [*found, deep] if deep is not None else found


def _keeps_parameters(cls: type, convention: str, module_text: str) -> bool:
    """Whether the code of `cls`, its bases, or its file keeps parameters where `convention` does."""
    sources = [module_text]
    for klass in cls.__mro__[:-1]:
        try:
            sources.append(inspect.getsource(klass))
        except (OSError, TypeError):
            continue
    text = "\n".join(sources)
    return all(p.search(text) for p in _KEEPS[convention])


def model_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files to look in: each file named, and the files under a folder whose source may define a model."""
    out = []
    for raw in paths:
        p = Path(raw)
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            files, _ = files_in(p)  # the files layer discovery reads: no caches, hidden folders or environments
            out += [f for f in files if _MAY_HOLD_MODEL.search(f.read_text(encoding="utf-8", errors="replace"))]
    return out


def modules_in(paths: Iterable[str | Path], *, errors: list[tuple[str, str]] | None = None,
               skipped: list[tuple[str, str]] | None = None) -> list[tuple[Path, ModuleType]]:
    """The files of `model_files(paths)`, imported. A file that does not import is said in `errors` (the file,
    its one-line reason), and one cut off by the import time limit in `skipped`: the layer check does not import
    a file that defines no layer, so a model file's failure would otherwise be said nowhere."""
    out = []
    paths = list(paths)
    named = {Path(p).resolve() for p in paths if Path(p).is_file()}
    for f in model_files(paths):
        try:
            with import_time_limit():  # an exercise script training at its top level: the other files go on
                out.append((f, load_module(f, shown_as=str(f))))
        except ImportTooSlow as exc:
            if skipped is not None:
                skipped.append((str(f), f"not read: {exc} (code at its top level: a training run or a download?); "
                                        "put that code under if __name__ == '__main__':"))
        except Python2Source as exc:  # a folder's Python 2 files are set aside, as the layer check does; a named one
            if f.resolve() in named and errors is not None:  # is an error
                errors.append((str(f), str(exc)))
            elif f.resolve() not in named and skipped is not None:
                skipped.append((str(f), str(exc).split(": ", 1)[1]))
        except LoadError as exc:
            if errors is not None:
                errors.append((str(f), str(exc)))
    return out


def check_model_files(paths: Iterable[str | Path], *, examples: int = DEFAULT_CASES, seed: int = 0,
                      only: Iterable[str] | None = None,
                      modules: list[tuple[Path, ModuleType]] | None = None) -> list[ModelReport]:
    """Every model in `paths` (or in `modules`, already imported), checked."""
    wanted = None if only is None else {n.casefold() for n in only}
    reports = []
    for f, module in modules if modules is not None else modules_in(paths):
        with importable_beside(f):
            for cls in find_models(module):
                if wanted is None or cls.__name__.casefold() in wanted:
                    reports += check_variants(cls, examples=examples, seed=seed, source=str(f))
    return reports


def parts_of_models(modules: list[tuple[Path, ModuleType]], checked: set[str]) -> dict[str, str]:
    """The classes that second-volume models among `checked` are built from or on (Seq2seq's Encoder and Decoder,
    Rnnlm's BaseModel), each with the models it is part of (`Seq2seq, PeekySeq2seq`): layer discovery calls them
    classes of no layer name it knows, and they are checked inside those models."""
    from gradlab.models.inner import reached_from

    parts: dict[str, list[str]] = {}
    for _, module in modules:
        for cls in find_models(module):
            if cls.__name__ not in checked or convention_of(cls) != "volume2":
                continue
            # the methods the model really runs (PeekySeq2seq's own __init__, not the Seq2seq one it overrides)
            methods = [f for f in (inspect.getattr_static(cls, n) for n in dir(cls)) if inspect.isfunction(f)]
            used = [o for o in reached_from(methods).values() if isinstance(o, type)] + list(cls.__mro__[1:-1])
            for part in used:
                names = parts.setdefault(part.__name__, [])
                if cls.__name__ not in names and part.__name__ != cls.__name__:
                    names.append(cls.__name__)
    return {part: ", ".join(models) for part, models in parts.items() if models}


@contextmanager
def importable_beside(path: Path) -> Iterator[None]:
    """The folders `path` was imported from stay importable while its models run (a constructor or a
    loss that imports a helper module only when called); sys.path and the user's modules are as they
    were afterwards, as `gradlab.conventions.imports.load_module` leaves them."""
    roots = search_roots(Path(path).resolve())
    saved_path, saved_modules = list(sys.path), set(sys.modules)
    sys.path[:0] = [str(r) for r in roots]
    try:
        yield
    finally:
        sys.path[:] = saved_path
        for name in [n for n in set(sys.modules) - saved_modules if _beside(sys.modules[n], roots)]:
            del sys.modules[name]


def _beside(module: ModuleType, roots: list[Path]) -> bool:
    """Whether `module` came from the user's folders: its file, or a namespace package's folders (read before
    any module leaves: a namespace package's __path__ cannot be read once its parent is gone)."""
    places = [getattr(module, "__file__", None)]
    try:
        places += list(getattr(module, "__path__", None) or [])
    except Exception:  # noqa: BLE001 - a module is free to put anything there
        pass
    resolved = [Path(p).resolve() for p in places if isinstance(p, str)]
    return any(p.is_relative_to(r) and "site-packages" not in p.parts for p in resolved for r in roots)
