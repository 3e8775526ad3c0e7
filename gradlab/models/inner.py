"""The layers a model's code calls, checked on their own, to name a model's bug by the layer that has it.

A model check sees parameters and the loss: a ReLU whose backward forgets its mask makes W1 and b1
wrong by no simple pattern (`dropped-term`, `misrouted`, `mismatch`). When the model calls layer
functions or classes gradlab can check alone (CS231n's `relu_backward` through `affine_relu_backward`,
the textbook's `Relu`), the layer check knows more: `inner_layer_failures` finds the layers reachable
from the model's methods (the names their code reads, followed through the functions it calls) and
checks each; `in_layer_terms` carries a failing layer's code up to the model's wrong gradients.
Non-goal: deciding pass or fail (the model's own gradients do).
"""

from __future__ import annotations

import inspect
import types
from dataclasses import dataclass, replace
from typing import Any

from gradlab.core.results import GradientResult

__all__ = ["InnerFailure", "in_layer_terms", "inner_layer_failures", "reachable"]

#: how deep calls are followed from the model's methods (model -> affine_relu_backward -> relu_backward)
DEPTH = 3
#: layers checked per model at most (each check is a few hypothesis cases)
MAX_LAYERS = 12
#: hypothesis cases per inner layer: enough to catch a wrong mask or derivative, quick beside the model
EXAMPLES = 5


@dataclass(frozen=True)
class InnerFailure:
    name: str
    source: str
    code: str
    diagnosis: str


def reachable(model: type) -> dict[str, Any]:
    """The user's functions and classes the model's methods reach by name, keyed by name (gradlab's, numpy's
    and the standard library's left out: only code from the model's own files can hold its bug)."""
    functions = []
    for klass in model.__mro__[:-1]:  # inherited methods too (a variant overrides one step of its base)
        for f in vars(klass).values():
            f = getattr(f, "__func__", f)  # static and class methods: the function they wrap
            if inspect.isfunction(f):
                functions.append(f)
    # a module-level layer kept as a class attribute (backward = staticmethod(relu_backward)) is reached itself
    kept = {f.__name__: f for f in functions if "." not in f.__qualname__ and _users(f)}
    return {**kept, **_reached(functions)}


def _reached(frontier: list[Any]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for _ in range(DEPTH):
        nxt = []
        for fn in frontier:
            code, glob = fn.__code__, fn.__globals__
            names = set(code.co_names)
            for const in code.co_consts:  # nested functions and comprehensions read names too
                if isinstance(const, types.CodeType):
                    names |= set(const.co_names)
            for n in names:
                obj = glob.get(n)
                if n in seen or not _users(obj):
                    continue
                seen[n] = obj
                if inspect.isfunction(obj):
                    nxt.append(obj)
                elif isinstance(obj, type):
                    nxt += [f for f in vars(obj).values() if inspect.isfunction(f)]
        frontier = nxt
    return seen


def _users(obj: Any) -> bool:
    where = _file_path(obj)
    return bool(where) and "site-packages" not in where and "/gradlab/" not in where and "/lib/python" not in where


def inner_layer_failures(model: type) -> list[InnerFailure]:
    """Each layer the model reaches that fails its own check, with its bug code; none when every one passes
    (or none is a layer gradlab knows)."""
    from gradlab.cases.runner import check_entry
    from gradlab.conventions.discover import find_layers

    by_module: dict[str, dict[str, Any]] = {}
    for n, o in reachable(model).items():
        by_module.setdefault(getattr(o, "__module__", "") or "", {})[n] = o
    failures: list[tuple[InnerFailure, list[Any]]] = []
    checked = 0
    for mod_name, members in by_module.items():
        fake = types.ModuleType(mod_name)
        fake.__file__ = _path_of(members)  # the file's `# gradlab:` comments still say its layers' kinds
        vars(fake).update(members)
        try:
            found = find_layers(fake, "")
        except Exception:  # noqa: BLE001 - the model's own check stands without its layers'
            continue
        for entry in found.entries:
            if checked >= MAX_LAYERS:
                break
            checked += 1
            report = check_entry(entry, examples=EXAMPLES)
            if report.error or report.verdict != "fail" or not report.bug_codes or "crashed" in report.bug_codes:
                continue
            shown = report.failing.gradients if report.failing is not None else tuple(report.worst.values())
            failing = next((g for g in shown if not g.passed), None)
            said = failing.diagnosis if failing is not None else ""
            where = _file_of(members)
            target = entry.target
            parts = [o for o in (target if isinstance(target, tuple) else (target,)) if callable(o)]
            failures.append((InnerFailure(entry.name, where, report.bug_codes[0], said), parts))
    # a composite layer (affine_relu) fails because a layer it calls fails: the layer it calls is the one
    failing_objs = [o for _, objs in failures for o in objs]
    leaves = []
    for f, objs in failures:
        calls = _reached([o for o in objs if inspect.isfunction(o)] +
                         [m for o in objs if isinstance(o, type) for m in vars(o).values() if inspect.isfunction(m)])
        if not any(any(c is o for o in failing_objs if o not in objs) for c in calls.values()):
            leaves.append(f)
    return leaves


def _file_path(obj: Any) -> str:
    """The file `obj` (a function or class) was compiled from, read off its code: the user's modules have left
    sys.modules by now, where inspect would look a class's file up."""
    if inspect.isfunction(obj):
        return str(obj.__code__.co_filename)
    if isinstance(obj, type):
        return next((str(f.__code__.co_filename) for f in vars(obj).values() if inspect.isfunction(f)), "")
    return ""


def _path_of(members: dict[str, Any]) -> str:
    return next((p for p in map(_file_path, members.values()) if p), "")


def _file_of(members: dict[str, Any]) -> str:
    return _path_of(members).rsplit("/", 1)[-1]


def in_layer_terms(gradients: dict[str, GradientResult], failures: list[InnerFailure],
                   unshaped: set[str]) -> dict[str, GradientResult]:
    """The model's wrong gradients said by the one inner layer that fails alone, where the model's own code for
    them is only 'no simple pattern' (`unshaped`). Several failing layers, or none: left as they are."""
    if len(failures) != 1:
        return gradients
    f = failures[0]
    out = dict(gradients)
    for p, g in gradients.items():
        if g.passed or g.bug_code not in unshaped:
            continue
        where = f" ({f.source})" if f.source else ""
        out[p] = replace(g, bug_code=f.code, diagnosis=(
            f"{p} is wrong, and the layer {f.name}{where} the model calls fails its own check [{f.code}]: "
            f"{f.diagnosis}"))
    return out
