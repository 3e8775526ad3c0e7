"""What gradlab lends the import of a user's file, and takes back: finders on `sys.meta_path`, a notebook's shell.

`gradlab.conventions.imports.load_module` imports a user's file and then removes every module of the user's from
`sys.modules`; the finders here keep that working for code that imports later (`LEFT_MODULES`), that was written
for Python 2 (`PAST_BUILTINS`) or that imports IPython's debugger or display, or h5py, without using them to compute
its layers (`QUIET_IPYTHON`), a notebook exported as .py finds the `get_ipython()` its magics call, and code written for
numpy 1 finds the names numpy 2 moved out of the public `numpy.lib` modules (`older_numpy_names`); numpy's own
functions are as they were after the import, whatever the file replaced (`numpy_as_it_was`).
Non-goal: where the user's modules are found (`gradlab.conventions.imports`).
"""

from __future__ import annotations

import builtins
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = ["LEFT_MODULES", "PAST_BUILTINS", "QUIET_IPYTHON", "LeftModules", "PastBuiltins", "QuietIPython",
           "QuietModules", "StandIns", "notebook_shell", "stand_in_names", "numpy_as_it_was", "older_numpy_names"]


class LeftModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """The user's modules an import left, found again by a later import of the user's code that nothing else
    finds: numpy-ml's optimizer imports `from ..initializers import ...` when it is built, at call time,
    long after its package left sys.modules. Consulted last, after every installed package and sys.path,
    so a file imported later gets its own modules; the next `load_module` takes the found ones back."""

    def __init__(self) -> None:
        self.modules: dict[str, ModuleType] = {}
        #: off while a file is imported: what it imports must be its own, or the error that names it
        self.serving = True

    def install(self) -> None:
        if self not in sys.meta_path:
            sys.meta_path.append(self)
        for name, module in self.modules.items():  # found again since the last import: they leave again
            if sys.modules.get(name) is module:
                del sys.modules[name]

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        module = self.modules.get(name) if self.serving else None
        if module is None:
            return None
        return importlib.util.spec_from_loader(name, self, is_package=hasattr(module, "__path__"))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return self.modules[spec.name]

    def exec_module(self, module: ModuleType) -> None:
        """Already run when its file was imported."""


LEFT_MODULES = LeftModules()


class PastBuiltins(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """CS231n's published files begin with `from past.builtins import xrange` (the `future` package of the
    course's requirements, rarely installed next to gradlab): asked after every other finder, so an installed
    `past` wins, this gives `past.builtins` with Python 2's names as Python 3 spells them. Only while a file
    is imported: the names are bound by then."""

    NAMES = {"xrange": range, "basestring": str, "unicode": str, "long": int, "raw_input": input}

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if name in ("past", "past.builtins"):
            return importlib.util.spec_from_loader(name, self, is_package=name == "past")
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        if module.__name__ == "past.builtins":
            module.__dict__.update(self.NAMES)


PAST_BUILTINS = PastBuiltins()


class QuietModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Modules a user's file imports at its top but needs for no layer: learners' CS231n files begin with
    `from IPython import embed` (a breakpoint left from debugging), notebooks exported as .py with
    `from IPython.display import clear_output`, and deeplearning.ai's course files with `import h5py`, which only
    their `load_dataset()` uses. Rarely installed next to gradlab (a grader's machine), without them the whole file,
    every layer in it, could not be imported. Asked after every other finder, so an installed module wins; this
    gives each and its submodules, every name in them a function that does nothing (an `embed()` a backward still
    calls returns at once; `h5py.File(...)` returns None, so code that reads data fails where it reads it). Only
    while a file is imported: the names are bound by then."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if any(name == n or name.startswith(n + ".") for n in self.names):
            return importlib.util.spec_from_loader(name, self, is_package=True)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        module.__path__ = []  # a package, so `from IPython.display import ...` is asked of this finder too
        module.__getattr__ = _does_nothing  # type: ignore[method-assign]


#: the class's earlier name, when it lent IPython alone
QuietIPython = QuietModules


def _does_nothing(name: str) -> Callable[..., None]:
    if name.startswith("__"):  # dunder lookups (`__file__`, `__all__` for a star import) are not its names
        raise AttributeError(name)
    return lambda *args, **kwargs: None


QUIET_IPYTHON = QuietModules("IPython", "h5py")


class StandIns(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Modules a notebook imports that nothing provides here: a course's `public_tests`, `testCases` and
    `dnn_utils` that the learner did not upload beside it, tensorflow in a cell that imports everything. Each is
    given as a stand-in whose every name raises ModuleNotFoundError when it is used: a layer that calls one is then
    set aside as unable to run here, never judged; the others are checked. Asked after every other finder, and only
    for imports written in the files `owns` accepts (an installed package that probes for an optional one, scipy
    asking for cupy, must be told it is absent); `lent` lists the modules stood in for, `importers` and `lines`
    where each was first imported."""

    def __init__(self, owns: Callable[[str], bool]) -> None:
        self.lent: list[str] = []
        #: the file that first imported each module stood in for
        self.importers: dict[str, str] = {}
        self.lines: dict[str, int] = {}
        self.owns = owns

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
            frame = frame.f_back  # type: ignore[assignment]
        if frame is None or not self.owns(frame.f_code.co_filename):
            return None
        top = name.split(".")[0]
        if "." in name and top not in self.lent:  # `from .missing import x` inside the user's own package
            return None
        if top not in self.lent:
            self.lent.append(top)
            self.importers[top] = frame.f_code.co_filename
            self.lines[top] = frame.f_lineno
        return importlib.util.spec_from_loader(name, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        module.__path__ = []
        module.__getattr__ = stand_in_names(module.__name__)  # type: ignore[method-assign]


class _Missing(type):
    """The class of a stand-in's names: using one, or any attribute of it (`K.sum`), says what is missing."""

    source = ""

    def __getattr__(cls, attr: str) -> Any:
        if attr.startswith("__") or "source" not in vars(cls):  # a notebook's class derived from one is its own
            raise AttributeError(attr)
        cls.missing()

    def missing(cls, *args: Any, **kwargs: Any) -> Any:
        raise ModuleNotFoundError(f"{cls.__name__} comes from {cls.source}, which is neither installed nor beside "
                                  "the code", name=cls.source)


def stand_in_names(module: str) -> Callable[[str], type]:
    def stand_in(name: str) -> type:
        if name.startswith("__"):  # `__all__` for a star import: it provides nothing
            raise AttributeError(name)
        # a class, so that a class of the notebook may still derive from it (`class Block(keras.layers.Layer)`)
        made = _Missing(name, (), {"source": module})
        made.__new__ = lambda cls, *args, **kwargs: made.missing()  # type: ignore[method-assign, assignment]
        return made
    return stand_in


class _QuietShell:
    """What `get_ipython()` returns while a notebook exported as .py is imported: its magics
    (`get_ipython().run_line_magic('matplotlib', 'inline')`, the lines nbconvert writes) do nothing."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def notebook_shell() -> Callable[[], None]:
    """Give the import a `get_ipython` when there is none (outside IPython); returns how to take it back."""
    if hasattr(builtins, "get_ipython"):
        return lambda: None
    shell = _QuietShell()
    builtins.get_ipython = lambda: shell  # type: ignore[attr-defined]

    def take_back() -> None:
        if hasattr(builtins, "get_ipython"):
            del builtins.get_ipython
    return take_back


#: numpy.lib's public modules whose functions numpy 2 moved into a private `_<name>_impl` module, leaving the
#: public one a few names: `from numpy.lib.npyio import savez_compressed` (an editor's auto-import in a
#: learner's CS231n softmax.py) worked with numpy 1 and is an ImportError with numpy 2
_MOVED_IN_NUMPY_2 = ("npyio", "scimath", "stride_tricks", "format", "user_array", "array_utils")


def older_numpy_names() -> Callable[[], None]:
    """Let a file written for numpy 1 import the names numpy 2 moved from `numpy.lib.<module>` to its private
    `_<module>_impl` (the same functions); returns how to take it back. Only names the public module lacks are
    looked up there, and only while a file is imported: by then they are bound."""
    lent: list[ModuleType] = []
    for name in _MOVED_IN_NUMPY_2:
        try:
            public = importlib.import_module(f"numpy.lib.{name}")
            private = importlib.import_module(f"numpy.lib._{name}_impl")
        except ImportError:  # an older or newer numpy, laid out otherwise: nothing to lend
            continue
        if "__getattr__" in public.__dict__:
            continue
        public.__getattr__ = _from(private, public.__name__)  # type: ignore[method-assign]
        lent.append(public)

    def take_back() -> None:
        for module in lent:
            module.__dict__.pop("__getattr__", None)
    return take_back


def _from(private: ModuleType, public: str) -> Callable[[str], Any]:
    def lookup(name: str) -> Any:
        if name.startswith("__") or not hasattr(private, name):
            raise AttributeError(f"module {public!r} has no attribute {name!r}")
        return getattr(private, name)
    return lookup


def numpy_as_it_was() -> Callable[[], None]:
    """Note numpy's functions before a user's file is imported; returns what puts back any the import replaced.

    The "Neural Networks from Scratch" book's files call `nnfs.init()` at the top, which replaces np.dot, np.zeros,
    np.eye and np.random.randn with float32 versions for the whole process: every layer checked after that file,
    in any file, and gradlab's own arithmetic (its numeric gradients) would compute in float32. A layer is judged
    by numpy as numpy is (a float64 layer is judged at float64's tolerances, which a correct one passes)."""
    import numpy as np

    modules = [np, np.random, np.linalg]
    before = [dict(vars(m)) for m in modules]

    def take_back() -> None:
        for module, seen in zip(modules, before):
            for name, value in seen.items():
                if vars(module).get(name) is not value:
                    setattr(module, name, value)
    return take_back
