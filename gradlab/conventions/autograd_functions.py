"""Autograd functions: a class whose base's `__call__` records what its backward reads.

The textbook's third volume (DeZero) writes each operation as a subclass of `Function`: `forward(x, W, b)`
takes every input, arrays in and arrays out, and `backward(gy)` reads the inputs and outputs that
`Function.__call__` kept (`x, W = self.inputs`, `y = self.outputs[0]()` through a weak reference), with the
upstream gradient as the library's engine hands it (a `Variable` in the later steps, an array in the first),
and returns one gradient per input. Such a layer is run as the library runs it: called through `__call__`
(never forward alone, which records nothing), its output kept alive for backward's weak references, backward
given the upstream gradient wrapped in the output's own type and the gradients unwrapped from theirs. The
kind's parameters are forward's inputs after x (`Linear`: forward(x, W, b)), in the kind's order.
Non-goal: deciding whether a gradient is right (that is `gradlab.core.check`).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any, cast

import numpy as np

from gradlab.conventions.calling import ConventionMismatch, RandomStateKeeper, as_array, call, signature
from gradlab.core.protocol import Layer, LayerCrash
from gradlab.kinds import Case, Kind

__all__ = ["AutogradFunctionLayer", "autograd_value", "is_autograd_function"]

#: a constructor's hyper-parameter names where they differ from the case's keys (DeZero's Pooling(kernel_size))
_HYPER = {"kernel_size": "pool_h", "padding": "pad"}


def _tree(fn: Any) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None


def _self_attributes(fn: Any) -> tuple[set[str], set[str], bool]:
    """The `self.<name>` attributes `fn` assigns, those it reads, and whether it hands `self` itself on (DeZero's
    `Pooling2DGrad(self)`), from its source (nothing when there is none)."""
    stored: set[str] = set()
    read: set[str] = set()
    attribute_of_self: set[int] = set()
    names = []
    for node in ast.walk(_tree(fn) or ast.Module(body=[], type_ignores=[])):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            (stored if isinstance(node.ctx, ast.Store) else read).add(node.attr)
            attribute_of_self.add(id(node.value))
        elif isinstance(node, ast.Name) and node.id == "self" and isinstance(node.ctx, ast.Load):
            names.append(node)
    return stored, read, any(id(n) not in attribute_of_self for n in names)


def _forwards_unpacked(call_method: Any) -> bool:
    """Whether `__call__` hands forward its inputs unpacked, `self.forward(*xs)`: an autograd engine's call."""
    for node in ast.walk(_tree(call_method) or ast.Module(body=[], type_ignores=[])):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "forward" \
                and any(isinstance(a, ast.Starred) for a in node.args):
            return True
    return False


def is_autograd_function(cls: Any, kind: Kind) -> bool:
    """Whether `cls` is an operation of an autograd engine, for `kind`: a base class's `__call__` records state, and
    either builds a graph (hands forward its inputs unpacked and links its outputs to `self`, DeZero's `Function`) or
    records what `cls`'s backward reads (`self.inputs`, `self.outputs`, or `self` handed on to a gradient function);
    and forward takes the kind's parameters as inputs (`Linear.forward(x, W, b)`), so that the call can give them.
    Such a layer must be called, not forwarded, to be differentiated; a layer keeping its weights is left to the
    class-style convention."""
    if not isinstance(cls, type) or not callable(getattr(cls, "backward", None)):
        return False
    recorded: set[str] = set()
    graph = False
    for base in cls.__mro__[1:-1]:
        if "__call__" in vars(base):
            stored, _, links_self = _self_attributes(vars(base)["__call__"])
            recorded |= stored
            graph = graph or (links_self and _forwards_unpacked(vars(base)["__call__"]))
    if not recorded:
        return False
    own: set[str] = set()
    for method in ("__init__", "forward"):
        if callable(getattr(cls, method, None)):
            own |= _self_attributes(getattr(cls, method))[0]
    _, read, hands_self_on = _self_attributes(cast(Any, cls).backward)
    if not (graph or hands_self_on or (read - own) & recorded):
        return False
    inputs = [p for p in _positional_of(getattr(cls, "forward", None)) if p.name != "self"]
    return len(inputs) >= (2 if kind.is_loss else 1) + len(kind.params)


def _positional_of(fn: Any) -> list[Any]:
    try:
        return [p for p in signature(fn).parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


def _data(value: Any, what: str) -> np.ndarray:
    """An array from the library's wrapper (`Variable.data`), or the array itself."""
    if not isinstance(value, np.ndarray) and isinstance(getattr(value, "data", None), np.ndarray):
        value = value.data
    return as_array(value, what)


class _Seen(Exception):
    """Raised by the stand-in backward once it has seen what the engine hands it."""


def _gradient_type(obj: Any, output: Any) -> type:
    """The type in which the library's engine hands `obj.backward` its upstream gradient, seen by running the engine's
    own backward from `output` with a stand-in that records the type and stops (no code of the layer runs): an array in
    the textbook's first steps, a Variable from the step where gradients get graphs of their own. An engine that does
    not say (no backward on the output, or it hands None) gets an array, as its user seeds it by hand."""
    seen: list[type] = []

    def stand_in(*gys: Any, **_: Any) -> None:
        seen.append(type(gys[0]) if gys else type(None))
        raise _Seen

    run = getattr(output, "backward", None)
    if not callable(run):
        return np.ndarray
    had_grad = getattr(output, "grad", None)
    obj.backward = stand_in  # the instance's attribute hides the method for this one call
    try:
        run()
    except Exception:  # _Seen, or an engine that cannot start from here: said by what was seen
        pass
    finally:
        del obj.backward
        try:
            output.grad = had_grad  # the engine seeded it; the layer's own backward is called directly
        except AttributeError:
            pass
    return seen[0] if seen and seen[0] is not type(None) else np.ndarray


def _value_class(cls: type) -> type | None:
    """The engine's value type: a class of the module that defines the base's `__call__`, with a backward, whose
    constructor keeps `self.data` and `self.grad` (DeZero's Variable; the most basic of several, not Parameter)."""
    # the module's namespace, as the call itself sees it (a file gradlab imported is not left in sys.modules)
    homes = [getattr(vars(base)["__call__"], "__globals__", {})
             for base in cls.__mro__[1:-1] if "__call__" in vars(base)]
    found = []
    for namespace in homes:
        for value in namespace.values():
            if isinstance(value, type) and callable(getattr(value, "backward", None)) and \
                    "__init__" in vars(value) and {"data", "grad"} <= _self_attributes(vars(value)["__init__"])[0]:
                found.append(value)
    return min(found, key=lambda v: len(v.__mro__)) if found else None


def _wrapped_like(output: Any, array: np.ndarray) -> Any:
    """`array` in the type the output came in, as the library's engine hands backward its gradient."""
    if isinstance(output, np.ndarray) or not isinstance(getattr(output, "data", None), np.ndarray):
        return array
    try:
        return type(output)(array)
    except Exception:  # a wrapper that cannot be built from an array alone: the array, as the first steps pass it
        return array


class AutogradFunctionLayer(Layer):
    """An autograd function seen through gradlab's native protocol (see the module docstring)."""

    def __init__(self, cls: type, kind: Kind, case: Case):
        self.kind = kind
        self.name = cls.__name__
        self.obj = _construct(cls, kind, case)
        self.params: dict[str, np.ndarray] = {p: case.params[p] for p in kind.params}
        #: what forward hands the function for each parameter: gradlab's array, or a copy put there by `install_param`
        self.inputs: dict[str, np.ndarray] = dict(self.params)
        self.grad_names = {p: "d" + p for p in kind.params}
        _takes_its_inputs(cls, kind)
        #: the engine's value type (DeZero's Variable), in which the inputs are handed to the call, as the user does
        self.value_type = _value_class(cls)
        #: the last call's output, kept alive: backward reads it through a weak reference
        self.output: Any = None
        self.rng = RandomStateKeeper(int(case.hyper.get("seed", 0)), self.obj) if kind.stochastic else None
        #: the type in which the engine hands backward its upstream gradient, once seen (`_gradient_type`)
        self.gradient_type: type | None = None

    def install_param(self, canonical: str, array: np.ndarray) -> None:
        self.inputs[canonical] = array

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        if self.rng is not None:  # a dropout draws the same mask at every call
            self.rng.reset()
        given = [x, t] if self.kind.is_loss else [x]
        arrays = [*given, *(self.inputs[p] for p in self.kind.params)]
        # the first steps' call reads x.data of each input: the engine's values, as the user builds them
        wrap = self.value_type if self.value_type is not None else (lambda a: a)
        self.output = call(f"{self.name}(...)", self.obj, *(wrap(a) for a in arrays))
        first = self.output[0] if isinstance(self.output, (list, tuple)) else self.output
        return _data(first, f"{self.name}(...)")

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        if self.output is None:
            raise LayerCrash(f"{self.name}.backward", "called before forward")
        first = self.output[0] if isinstance(self.output, (list, tuple)) else self.output
        if self.gradient_type is None:
            self.gradient_type = _gradient_type(self.obj, first)
        upstream = np.asarray(dout, dtype=np.result_type(dout, np.float64))
        gy = upstream if self.gradient_type is np.ndarray else _wrapped_like(first, upstream)
        result = call(f"{self.name}.backward", self.obj.backward, gy)
        parts = list(result) if isinstance(result, (list, tuple)) else [result]
        # one gradient per input: x, then the labels of a loss (no gradient), then the parameters
        skip = 2 if self.kind.is_loss else 1
        if len(parts) < skip + len(self.kind.params) and len(parts) != 1:
            raise LayerCrash(f"{self.name}.backward", f"returned {len(parts)} gradient(s), expected one per input "
                             f"(x{', t' if self.kind.is_loss else ''}{''.join(', ' + p for p in self.kind.params)})")
        dx = None if parts[0] is None else _data(parts[0], f"{self.name}.backward")
        grads: dict[str, np.ndarray | None] = {}
        for i, p in enumerate(self.kind.params):
            g = parts[skip + i] if skip + i < len(parts) else None
            grads[p] = None if g is None else _data(g, f"{self.name}.backward")
        return dx, grads


def _takes_its_inputs(cls: type, kind: Kind) -> None:
    """Raises ConventionMismatch (not checked, not failed) when forward's inputs are not x (the labels t of a loss)
    and the kind's parameters: gradlab could not call it as the library does."""
    try:
        params = [p for p in signature(cast(Any, cls).forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][1:]  # after self
    except (TypeError, ValueError):
        return
    given = (2 if kind.is_loss else 1) + len(kind.params)
    required = [p for p in params if p.default is p.empty]
    if len(required) > given or len(params) < given:
        expected = ", ".join(["x", *(["t"] if kind.is_loss else []), *kind.params])
        raise ConventionMismatch(
            f"{cls.__name__}.forward({', '.join(p.name for p in params)}) does not take the inputs of a {kind.name} "
            f"function, forward({expected}): not checked; check it with gradlab.assert_backward")


def _construct(cls: type, kind: Kind, case: Case) -> Any:
    """The function object, its hyper-parameters given by name where the case has them (`Softmax(axis=1)` keeps its
    default); one it needs and gradlab cannot give is said, not failed."""
    try:
        params = list(signature(cls).parameters.values())
    except (TypeError, ValueError):
        params = []
    keys = {p.name: _HYPER.get(p.name, p.name) for p in params}
    kwargs = {name: case.hyper[key] for name, key in keys.items() if key in case.hyper}
    missing = [p.name for p in params if p.default is p.empty and p.name not in kwargs
               and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if missing:
        raise ConventionMismatch(
            f"{cls.__name__}.__init__ needs {', '.join(missing)}, which gradlab cannot supply for a {kind.name} "
            "function: not checked; give it a default, or check it with gradlab.assert_backward")
    return call(f"{cls.__name__}(...)", cls, **kwargs)


def autograd_value(result: Any, name: str) -> ConventionMismatch | None:
    """Why a loss function that returned one value of an autograd engine (DeZero's `binary_cross_entropy(p, t)`, a
    Variable built from the engine's operations) is not checked: its gradient is the engine's, not code of its own.
    None for anything else."""
    if isinstance(result, tuple) or isinstance(result, np.ndarray) or not callable(getattr(result, "backward", None)):
        return None
    if not isinstance(getattr(result, "data", None), np.ndarray):
        return None
    return ConventionMismatch(
        f"{name} returns the loss as a {type(result).__name__} of an autograd engine, whose backward the engine "
        "derives from the operations it used: no gradient of its own to check (the operations themselves are checked "
        "where they are defined)")
