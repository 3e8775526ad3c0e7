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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from gradlab.core.results import GradientResult

__all__ = ["InnerFailure", "derivative_hypotheses", "in_layer_terms", "inner_layer_failures", "per_call_hypotheses",
           "reachable", "reached_from", "standing_in"]

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
    functions = _functions_of(model)  # inherited methods too; static and class methods: the function they wrap
    # a module-level layer kept as a class attribute (backward = staticmethod(relu_backward)) is reached itself
    kept = {f.__name__: f for f in functions if "." not in f.__qualname__ and _users(f)}
    return {**kept, **_reached(functions)}


def reached_from(functions: list[Any]) -> dict[str, Any]:
    """The user's functions and classes that `functions` reach by name (as `reachable` follows a model's methods)."""
    return _reached(functions)


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
    _pair_attributes(model, by_module)
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
            if failing is None or not failing.bug_code:  # a finding only (it writes into its input): not a
                continue  # wrong gradient, so not what makes the model's gradients wrong
            target = entry.target
            parts = [o for o in (target if isinstance(target, tuple) else (target,)) if callable(o)]
            failures.append((InnerFailure(entry.name, _file_of(members), failing.bug_code, failing.diagnosis), parts))
    # a composite layer (affine_relu) fails because a layer it calls fails: the layer it calls is the one
    failing_objs = [o for _, objs in failures for o in objs]
    leaves = []
    for f, objs in failures:
        calls = _reached([o for o in objs if inspect.isfunction(o)] +
                         [m for o in objs if isinstance(o, type) for m in vars(o).values() if inspect.isfunction(m)])
        if not any(any(c is o for o in failing_objs if o not in objs) for c in calls.values()):
            leaves.append(f)
    return leaves


def _pair_attributes(model: type, by_module: dict[str, dict[str, Any]]) -> None:
    """A function the model keeps under a layer's name (`batchnorm_backward = staticmethod(my_bn_backward)`) is
    that layer's half: it joins the module holding the other half (batchnorm_forward), under that name, as a
    copy of itself belonging there (discovery pairs only the names a module defines)."""
    for klass in reversed(model.__mro__[:-1]):  # the most derived class's attribute last, so it wins
        for n, f in vars(klass).items():
            f = getattr(f, "__func__", f)
            if not inspect.isfunction(f) or n == f.__name__ or "." in f.__qualname__:
                continue
            other = n.replace("_backward", "_forward") if "_backward" in n else n.replace("_forward", "_backward")
            if other == n:
                continue
            for mod_name, members in by_module.items():
                if other in members:
                    copy = types.FunctionType(f.__code__, f.__globals__, n, f.__defaults__, f.__closure__)
                    copy.__module__ = mod_name
                    members[n] = copy


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


#: an activation's derivative by the names courses give it, keyed by what the messages call the activation
#: (not a kind's name: nothing is dispatched on it); `_PAIRS` has (the activation, its inverse) to test it with
_DERIVATIVES = {
    "sigmoid function": ("sigmoid_grad", "sigmoid_prime", "sigmoid_derivative", "dsigmoid", "d_sigmoid",
                         "sigmoid_backward_fn"),
    "tanh function": ("tanh_grad", "tanh_prime", "tanh_derivative", "dtanh", "d_tanh"),
}


def _sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


def _logit(y: Any) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(y) - np.log1p(-y)


_PAIRS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "sigmoid function": (_sigmoid, _logit), "tanh function": (np.tanh, np.arctanh)}


def derivative_hypotheses(model: type) -> list[tuple[str, str, Callable[..., Any]]]:
    """Each activation derivative the model's code reaches, as (its name, what the hypothesis says, the stand-in
    that makes the hypothesis right): a derivative of the input given the layer's output (sigmoid_grad(z1) where
    sigmoid_grad(a1) belongs) is right again if it first maps its argument back through the inverse; one of the
    output given the input, if it first applies the activation."""
    out = []
    for name, fn in reachable(model).items():
        act = next((a for a, names in _DERIVATIVES.items() if name.lower() in names), None)
        if act is None or not inspect.isfunction(fn):
            continue
        forward, inverse = _PAIRS[act]
        out.append((name, f"{name} is given the {act}'s output where its input (the pre-activation) belongs",
                    _composed(fn, inverse)))
        out.append((name, f"{name} is given the pre-activation where the {act}'s output belongs",
                    _composed(fn, forward)))
    return out


def per_call_hypotheses(model: type, run: Callable[[], Any]) -> Iterator[tuple[str, str, Callable[..., Any]]]:
    """`derivative_hypotheses` asked of one call of the derivative at a time, told apart by the shape of the array it
    is given (a layer's units): a network whose output delta takes sigmoid_prime(activations[-1]) while its hidden
    deltas take sigmoid_prime(z) right is right again only when the call on the output layer's arrays maps them back.
    The shapes are those `run()` (a case of the model) calls the derivative with; one shape has no other call."""
    for name, hypothesis, stand_in in derivative_hypotheses(model):
        original = reachable(model)[name]
        shapes = _shapes_given(model, name, original, run)
        for shape in shapes if len(shapes) > 1 else []:
            yield name, f"{hypothesis}, in its call on arrays of shape {shape}", _on_shape(original, stand_in, shape)


def _shapes_given(model: type, name: str, fn: Callable[..., Any], run: Callable[[], Any]) -> list[tuple[int, ...]]:
    """The shapes of the arrays `name` (= `fn`) is called with while `run()` runs, in the order first seen."""
    shapes: list[tuple[int, ...]] = []

    def recording(x: Any, *args: Any, **kwargs: Any) -> Any:
        if np.shape(x) not in shapes:
            shapes.append(np.shape(x))
        return fn(x, *args, **kwargs)

    with standing_in(model, name, recording):
        run()
    return shapes


def _on_shape(fn: Callable[..., Any], stand_in: Callable[..., Any], shape: tuple[int, ...]) -> Callable[..., Any]:
    def chosen(x: Any, *args: Any, **kwargs: Any) -> Any:
        return (stand_in if np.shape(x) == shape else fn)(x, *args, **kwargs)
    return chosen


def _composed(fn: Callable[..., Any], first: Callable[..., Any]) -> Callable[..., Any]:
    def stand_in(x: Any, *args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return fn(first(np.asarray(x, dtype=np.float64)), *args, **kwargs)
    return stand_in


@contextmanager
def standing_in(model: type, name: str, stand_in: Callable[..., Any]) -> Iterator[None]:
    """`name` means `stand_in` in every module the model's code reads it from, while the block runs."""
    original = reachable(model).get(name)
    spaces = {id(g): g for f in _functions_of(model) + list(reachable(model).values()) if inspect.isfunction(f)
              for g in (f.__globals__,) if g.get(name) is original}
    try:
        for g in spaces.values():
            g[name] = stand_in
        yield
    finally:
        for g in spaces.values():
            g[name] = original


def _functions_of(model: type) -> list[Any]:
    return [getattr(f, "__func__", f) for klass in model.__mro__[:-1] for f in vars(klass).values()
            if inspect.isfunction(getattr(f, "__func__", f))]
