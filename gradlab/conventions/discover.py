"""Find the layers in a user's file by the names courses give them, without changing a line of it.

Class style: a class named `Affine`, `Relu`, `BatchNormalization`, ... (see `gradlab.kinds`).
Function style: a pair `<stem>_forward[_suffix]` / `<stem>_backward[_suffix]` is one layer named
`<stem><suffix>` (CS231n's `conv_forward_fast` + `conv_backward_fast` is `conv_fast`), except that
the `_naive` suffix keeps the plain stem (`conv_forward_naive` + `conv_backward_naive` is `conv`);
a loss function such as `softmax_loss` keeps its full name. One object under two names
(`conv_forward_fast = conv_forward_strides`) is checked once, under the first. Whatever looks like
a layer but has an unknown name is listed as skipped, with the reason.

A folder is read before it is imported: only its files whose source could hold a layer are
imported (`could_hold_layers`), so training scripts, `setup.py` and notebook helpers never run;
the others are listed as skipped. A file named explicitly is always imported. Files are imported
as their code expects (`gradlab.conventions.imports`), with their prints sent to stderr; one that
cannot be imported gives an error line that names it and says what to fix.
Non-goal: deciding anything about the layers found.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import ModuleType
from typing import Any

from gradlab.conventions.convention_names import ConventionNames, required_beyond
from gradlab.conventions.import_budget import ImportTooSlow, import_time_limit
from gradlab.conventions.imports import LoadError, Python2Source, load_module
from gradlab.conventions.library_layers import is_library_class
from gradlab.conventions.registry import Entry, entries_in
from gradlab.conventions.source_reading import (
    BACKWARD,
    FORWARD,
    activation_inside,
    could_hold_layers,
    kind_comments,
    returns_loss_only,
)
from gradlab.kinds import KINDS, Kind, kind_for_class, kind_for_loss_function, kind_for_stem, normalise_class_name

__all__ = ["ENVIRONMENT", "NOT_IMPORTED", "Found", "LoadError", "could_hold_layers", "discover", "entry_for",
           "files_in", "find_layers", "layout_options", "load_module", "pair_name"]

#: the suffix of CS231n's reference implementations, which keep the plain stem as their name
_PLAIN_SUFFIXES = ("", "_naive")
#: why a file of a folder was not imported
NOT_IMPORTED = "defines no layer; not imported"
#: why a folder was not read
ENVIRONMENT = "a virtual environment (installed packages, not the project's code); not read"


def pair_name(stem: str, suffix: str = "") -> str:
    """The name of the layer `<stem>_forward<suffix>` / `<stem>_backward<suffix>`: `conv` for the
    `_naive` pair (and the plain one), `conv_fast`, `max_pool_reshape`, ... for the others."""
    return stem if suffix in _PLAIN_SUFFIXES else f"{stem}{suffix}"


@dataclass
class Found:
    """What one file holds: layers gradlab can check, and names it skipped (with the reason)."""

    path: str
    entries: list[Entry] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None


def _defined_here(module: ModuleType) -> dict[str, Any]:
    return {n: o for n, o in vars(module).items()
            if not n.startswith("_") and getattr(o, "__module__", None) == module.__name__}


def _looks_like_layer_class(obj: Any) -> bool:
    return isinstance(obj, type) and (all(callable(getattr(obj, m, None)) for m in ("forward", "backward")) or
                                      all(callable(getattr(obj, m, None)) for m in ("forward_pass", "backward_pass")))


def _takes_states(cls: Any, kind: Kind) -> bool:
    """A recurrent step class's forward takes x and the previous states (`Kind.forward_inputs`): a class
    named `LSTM` whose forward takes a whole sequence alone is some other layer (ML-From-Scratch's
    `RNN.forward_pass(X, training=True)`: a library's optional flags are not states)."""
    library = not callable(getattr(cls, "forward", None))
    try:
        params = list(inspect.signature(cls.forward_pass if library else cls.forward).parameters.values())[1:]
    except (TypeError, ValueError, AttributeError):
        return True
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return True
    return len([p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and
                not (library and p.default is not p.empty)]) >= 1 + len(kind.forward_inputs)


def _weights_split_per_gate(cls: Any, kind: Kind) -> str:
    """Why a recurrent class is skipped when its constructor takes a matrix per gate (a reader's
    `GRU(Wx_z, Wx_r, Wx_h, Wh_z, Wh_r, Wh_h)`): the kind's cases hold the gates side by side in Wx and Wh,
    and which block is which gate cannot be told from the names alone; "" when it does not."""
    if not {"Wx", "Wh"} <= set(kind.params):
        return ""
    try:
        params = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return ""
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = [p.name for p in params if p.kind in positional and p.default is p.empty]
    weights = [p for p in kind.params if p not in kind.forward_inputs]
    if len(required) <= len(weights) or not all(n.lower()[:1] in "wub" for n in required):
        return ""
    return (f"its constructor takes its weights split by gate, {len(required)} arrays ({', '.join(required)}); gradlab "
            f"checks {cls.__name__}({', '.join(weights)}) with the gates side by side in Wx and Wh: concatenate "
            "them, or check it with gradlab.assert_backward")


def _takes_more_inputs(cls: Any, kind: Kind) -> bool:
    """A forward that requires more inputs than x and the kind's `forward_inputs` is another layer of the
    same name: a transformer's `Attention.forward(q, k, v)` is not the second volume's `forward(hs, h)`."""
    try:
        params = list(inspect.signature(cls.forward).parameters.values())[1:]
    except (TypeError, ValueError, AttributeError):
        return False
    required = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    return len(required) > 1 + len(kind.forward_inputs)


def find_layers(module: ModuleType, path: str = "", *, kinds: Mapping[str, str] | None = None) -> Found:
    """The layers `module` defines, recognised by name (or registered with `gradlab.conventions.registry`).

    A layer with an unusual name is found through a `# gradlab: kind=<kind>` comment on the line above
    it, or through `kinds` (name -> kind, e.g. from `gradlab check --kind MyDense=affine`)."""
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
    finder = _Finder(module, found, given)
    finder.classes()
    finder.functions()
    finder.unmatched_backwards()
    return found


class _Finder(ConventionNames):
    """One module's layers by their names; an object seen under a second name (an alias) is checked once."""

    def __init__(self, module: ModuleType, found: Found, given: Mapping[str, str]):
        self.module, self.found = module, found
        self.given = {name: KINDS[k] for name, k in given.items() if k in KINDS}
        self.objects = _defined_here(module)
        self.used: set[str] = set()
        # the first name each object (a class, a loss function, a forward/backward pair) was seen under,
        # and the layer it was checked as
        self.first: dict[tuple[int, ...], tuple[str, str]] = {}

    def add(self, key: tuple[int, ...], name: str, layer: str, what: str, entry: Entry) -> None:
        if key in self.first:
            seen, checked_as = self.first[key]
            self.found.skipped.append((layer, f"{name} is the same {what} as {seen}; checked once, as {checked_as}"))
            return
        self.first[key] = (name, layer)
        self.found.entries.append(entry)

    def entry(self, name: str, kind: Kind, convention: str, target: Any) -> Entry:
        return Entry(name, kind.name, convention, target, module=self.module.__name__, source=self.found.path)

    def classes(self) -> None:
        for name, obj in self.objects.items():
            if isinstance(obj, type):
                kind = self.given.get(name) or kind_for_class(name)
                if kind is None and is_library_class(obj) and name.lower()[-2:] in ("1d", "2d"):
                    kind = _spelled_with_dimensions(name)
                if self.library_class(name, obj, kind):
                    continue
                inner = activation_inside(obj, vars(self.module)) if kind is not None and kind.is_loss else None
                if kind is not None and inner is not None and \
                        normalise_class_name(inner) not in normalise_class_name(name):
                    # a cross-entropy class holding its own Softmax (a learner's CategoricalCrossEntropy building
                    # self.activation = Softmax()) is the combined softmax and loss, on logits
                    combined = kind_for_class(inner + name)
                    if combined is None:
                        self.found.skipped.append((name, f"its forward applies {inner} before the {kind.name} loss, "
                                                         "a combination no kind covers: not checked; check the "
                                                         "activation and the loss apart"))
                        continue
                    kind = combined
                if kind is not None and kind.forward_inputs and not _takes_states(obj, kind):
                    # a recurrent step's second input is its state; an Add's or an attention's is another array
                    what = "previous state, so it is not a {} step" if {"Wx", "Wh"} <= set(kind.params) else \
                        "second input, so it is not the kind {}"
                    self.found.skipped.append((name, f"its forward takes no {what.format(kind.name)} "
                                                     f"(forward(x, {', '.join(kind.forward_inputs)}))"))
                elif kind is not None and kind.forward_inputs and _takes_more_inputs(obj, kind):
                    self.found.skipped.append((name, f"its forward requires more inputs than the {kind.name} kind's "
                                                     f"forward(x, {', '.join(kind.forward_inputs)}): another layer"))
                elif kind is not None and (split := _weights_split_per_gate(obj, kind)):
                    self.found.skipped.append((name, split))
                elif kind is not None and _looks_like_layer_class(obj):
                    self.add((id(obj),), name, name, "class", self.entry(name, kind, "class", obj))
                elif kind is not None and callable(getattr(obj, "backward", None)):
                    # the nnfs book's later combined softmax + loss: its Model runs the forward elsewhere
                    self.found.skipped.append((name, f"named like a {kind.name} but has a backward and no forward: "
                                                     "nothing to check its backward against; give it its forward"))
                elif _looks_like_layer_class(obj):
                    self.found.skipped.append((name, "a class with forward/backward, but not a layer name gradlab "
                                                     "knows"))

    def functions(self) -> None:
        for name, obj in self.objects.items():
            if not inspect.isfunction(obj):
                continue
            loss_kind = kind_for_loss_function(name) or (self.given.get(name) if name not in self.pairs() else None)
            if loss_kind is not None and not FORWARD.match(name):
                self.loss_function(name, obj, loss_kind)
            elif (m := FORWARD.match(name)) is not None:
                self.pair(name, obj, m["stem"], m["suffix"] or "")

    def loss_function(self, name: str, fn: Any, kind: Kind) -> None:
        self.used.add(name)
        if returns_loss_only(fn):
            self.found.skipped.append((name, f"{name} returns only the loss, not (loss, dx): a forward helper, not a "
                                             "layer gradlab can check (the textbook's functions.py has one)"))
        else:
            self.add((id(fn),), name, name, "function", self.entry(name, kind, "function", fn))

    def pair(self, name: str, forward: Any, stem: str, suffix: str) -> None:
        layer = pair_name(stem, suffix)
        backward_name = f"{stem}_backward{suffix}"
        backward = self.objects.get(backward_name)
        kind = self.given.get(name) or self.given.get(layer) or kind_for_stem(stem)
        self.used.update((name, backward_name))
        if kind is None:
            self.found.skipped.append((layer, f"{name}: not a layer name gradlab knows"))
        elif not callable(backward):
            self.found.skipped.append((layer, f"{name} has no matching {backward_name}"))
        elif _takes_nothing(forward):  # deeplearning.ai's testCases.py: linear_forward_test_case() -> A, W, b
            self.found.skipped.append((layer, f"{name} takes no input: a helper that makes test data, not a "
                                              "layer"))
        elif suffix.startswith("_test"):  # deeplearning.ai's public_tests.py: linear_forward_test(target)
            self.found.skipped.append((layer, f"{name} is a test of a layer, not a layer"))
        elif self.activation_pairs(forward, backward, layer, kind, stem):
            return
        elif (extra := required_beyond(forward, kind)) is not None:
            self.found.skipped.append((layer, f"{name} also requires {extra}, which gradlab does not give a "
                                              f"{kind.name} forward: not checked"))
        else:
            entry = self.entry(layer, kind, "function", (forward, backward))
            if stem in kind.course_stems and name not in self.given and layer not in self.given:
                entry = replace(entry, options={**entry.options, **kind.course_stems[stem]})
            self.add((id(forward), id(backward)), name, layer, "function", entry)

    def pairs(self) -> set[str]:
        return {n for n in self.objects if FORWARD.match(n)}

    def unmatched_backwards(self) -> None:
        for name, obj in self.objects.items():
            if inspect.isfunction(obj) and "_backward" in name and name not in self.used:
                if not self.alternative_backward(name, obj) and not self.helper_pair(name, obj):
                    self.found.skipped.append((name, "a backward function with no matching forward"))

    def alternative_backward(self, name: str, backward: Any) -> bool:
        """`<stem>_backward_<alt>` with no `<stem>_forward_<alt>` is another backward of `<stem>_forward`,
        checked against it as the layer `<stem>_<alt>` (CS231n's `batchnorm_backward_alt` takes
        `batchnorm_forward`'s cache)."""
        m = BACKWARD.match(name)
        forward = self.objects.get(f"{m['stem']}_forward") if m and m["suffix"] else None
        kind = kind_for_stem(m["stem"]) if m else None
        if m is None or not inspect.isfunction(forward) or kind is None:
            return False
        layer = f"{m['stem']}{m['suffix']}"
        self.used.add(name)
        self.add((id(forward), id(backward)), name, layer, "function",
                 self.entry(layer, kind, "function", (forward, backward)))
        return True


def _spelled_with_dimensions(name: str) -> Kind | None:
    """The libraries' spelling: MaxPooling2D is a max pooling, numpy-ml's BatchNorm1D a batch norm, when the
    kind's input has the dimensions the name says: (N, D) for 1D, (N, C, H, W) for 2D. A Conv1D is no conv,
    and a 2D layer with parameters (numpy-ml's LayerNorm2D) normalises over other axes than gradlab's."""
    kind = kind_for_class(name[:-2])
    if kind is None or name.lower().endswith("2d") and kind.params:
        return None
    try:
        x = kind.case({"N": 2, **kind.batch_spec("class"), "seed": 0}).x
    except Exception:  # noqa: BLE001 - a kind built from fixed specs only: not guessed
        return None
    return kind if x.ndim == (2 if name.lower().endswith("1d") else 4) else None


def _takes_nothing(fn: Any) -> bool:
    try:
        return not any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
                       for p in inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False


def files_in(folder: Path) -> tuple[list[Path], list[Path]]:
    """The *.py files under `folder`, not in caches or hidden folders (.ipynb_checkpoints, .venv, .git), and
    the virtual environments found there (not read: learners commit theirs, `venv/lib/python2.7/site-packages`,
    and numpy's own files are not the project's layers)."""
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
    return sorted(files), environments


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


def _load(f: Path, kinds: Mapping[str, str] | None = None, *, of_folder: bool = False) -> Found:
    limit = import_time_limit() if of_folder else contextlib.nullcontext()
    try:
        with contextlib.redirect_stdout(sys.stderr), limit:  # the file's prints must not mix into gradlab's output
            module = load_module(f, shown_as=str(f))
        return find_layers(module, str(f), kinds=kinds)
    except ImportTooSlow as exc:  # an exercise script training at its top level: the folder's other files go on
        return Found(str(f), skipped=[(str(f), f"not read: {exc} (code at its top level: a training run or a "
                                               "download?); put that code under if __name__ == '__main__':")])
    except Python2Source as exc:  # a folder's Python 2 scripts are set aside; a file named is an error
        return Found(str(f), skipped=[(str(f), str(exc).split(": ", 1)[1])]) if of_folder else Found(str(f),
                                                                                                    error=str(exc))
    except LoadError as exc:
        return Found(str(f), error=str(exc))


def discover(paths: list[str | Path], *, kinds: Mapping[str, str] | None = None) -> list[Found]:
    """Every layer in the given files and folders. A folder is searched recursively for *.py, and only
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
            results.append(_load(f, kinds, of_folder=True) if could_hold_layers(f) else
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
