"""Activation classes whose backward takes the layer's input, not the upstream gradient.

A learners' style writes an activation as `forward(x)` and `backward(x)` returning the local derivative f'(x), which
the layer before it multiplies in (`dZ = dA * self.activation.backward(self.z)`). Its backward is then not a backward
in the course's sense, and is neither failed as one nor guessed at from a failing number: it is recognised from its
signature alone (backward's only argument named as forward's input is, or as an input is named: x, z, inputs), and
checked as what it is, `dout * backward(x)` with the x forward was given, with a note saying so. A backward whose
argument is named like an upstream gradient (dout, grad, dA) is never read this way, so that dropping the upstream
gradient there is still a bug.

The same local derivative comes as a function next to the activation's, in the "neural network from scratch" style
and its forks: `tanh(x)` with `tanh_prime(x)`, `sigmoid(z)` with `sigmoid_derivative(z)`, which an
`ActivationLayer(tanh, tanh_prime)` multiplies by the upstream gradient. The pair is the layer `tanh`, checked as
`dout * tanh_prime(x)` (`ActivationPairLayer`); a derivative whose argument is named as the output
(`sigmoid_derivative(s)`, `(a)`, `(y)`, `(output)`) is given the activation's output, as its callers do.
A third spelling keeps both in one function, the derivative behind a flag: `sigmoid(x, derivative=False)`,
`relu(x, deriv=False)`, returning f'(x) when the flag is set (`FlagDerivative`). Which array the derivative takes is
read from the flag's branch: one that computes from its argument alone, with arithmetic and comparisons
(`return x * (1 - x)`, the famous `nonlin(x, deriv=True)`), takes the activation's output, as its callers give it;
one that calls the activation again or uses what the function computed before the branch takes the input.
Non-goal: deciding whether a gradient is right (that is `gradlab.core.check`).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

import numpy as np

from gradlab.conventions.calling import as_array, call, signature
from gradlab.core.protocol import Layer
from gradlab.kinds import Case, Kind

__all__ = ["ActivationPairLayer", "DerivativeClassLayer", "FlagDerivative", "defines_flag_activation",
           "derivative_layer", "flag_argument", "pair_layer", "takes_its_input"]

#: names of a layer's input, as a backward taking it may spell them
INPUT_NAMES = ("x", "z", "input", "inputs", "inp", "input_val", "x_in", "net", "pre_activation", "preactivation")


#: names a derivative's argument has when it is the activation's output, not its input (s * (1 - s))
OUTPUT_NAMES = ("a", "y", "s", "out", "output", "outputs", "activation", "activated", "activations", "fx", "sig")


def _positional(fn: Any) -> list[Any]:
    try:
        params = [p for p in signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []
    return params[1:] if params and params[0].name == "self" else params


def takes_its_input(cls: Any, kind: Kind) -> bool:
    """Whether `cls` is an activation class of an elementwise kind whose backward's only argument is named as its
    input: as forward's own first argument is named, or as one of `INPUT_NAMES`."""
    if not isinstance(cls, type) or kind.params or kind.is_loss or kind.forward_inputs:
        return False
    forward, backward = getattr(cls, "forward", None), getattr(cls, "backward", None)
    if not callable(forward) or not callable(backward):
        return False
    given = [p for p in _positional(backward) if p.default is p.empty]
    if len(given) != 1 or len(_positional(backward)) != 1:
        return False
    name = given[0].name
    inputs = _positional(forward)
    return bool(inputs) and (name == inputs[0].name or name.lower() in INPUT_NAMES)


def derivative_layer(cls: type, kind: Kind, case: Case, name: str) -> Layer:
    """The layer for `cls`, judged on its Jacobian's diagonal where that is all an elementwise derivative can be (a
    softmax's s * (1 - s), as a library's `gradient(x)` is: `DiagonalOnly`), with both notes."""
    from gradlab.conventions.library_objects import DiagonalOnly

    inner = DerivativeClassLayer(cls, kind, case, name)
    layer = DiagonalOnly(inner, case, name)
    layer.notes = inner.notes + layer.notes
    return layer


class DerivativeClassLayer(Layer):
    """`obj.forward(x)` forward, `dout * obj.backward(x)` backward (see the module docstring)."""

    def __init__(self, cls: type, kind: Kind, case: Case, name: str):
        self.kind = kind
        self.obj = call(f"{cls.__name__}()", cls)
        self.params: dict[str, np.ndarray] = {}
        self.grad_names: dict[str, str] = {}
        self.x: np.ndarray | None = None
        argument = _positional(cls.backward)[0].name  # type: ignore[attr-defined]
        self.notes: tuple[tuple[str, str], ...] = ((
            "dropped-term", f"{name}.backward({argument}) takes the layer's input and returns the local derivative "
            f"f'({argument}), not dout * f'({argument}): checked as that (dout * backward(x)), and right as that; the "
            "layer that calls it must multiply in the upstream gradient"),)

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        self.x = x.copy()
        name = type(self.obj).__name__
        return as_array(call(f"{name}.forward", self.obj.forward, x), f"{name}.forward")

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        name = f"{type(self.obj).__name__}.backward"
        derivative = as_array(call(name, self.obj.backward, None if self.x is None else self.x.copy()), name)
        return dout * derivative, {}


def pair_layer(function: Any, derivative: Any, kind: Kind, case: Case, name: str) -> Layer:
    """The layer for a loss and its derivative (`gradlab.conventions.function_inputs.LossPairLayer`), or for an
    activation and its derivative, judged on the Jacobian's diagonal where that is all an elementwise derivative can
    be (a softmax's), as `derivative_layer` is."""
    from gradlab.conventions.function_inputs import LossPairLayer
    from gradlab.conventions.library_objects import DiagonalOnly

    if kind.is_loss:
        return LossPairLayer(function, derivative, kind, case)
    return DiagonalOnly(ActivationPairLayer(function, derivative, kind), case, name)


class ActivationPairLayer(Layer):
    """`activation(x)` forward, `dout * derivative(x)` backward, or `dout * derivative(activation(x))` for a
    derivative whose argument is named as the output (see the module docstring)."""

    def __init__(self, activation: Any, derivative: Any, kind: Kind):
        self.kind, self.activation, self.derivative = kind, activation, derivative
        self.params: dict[str, np.ndarray] = {}
        self.grad_names: dict[str, str] = {}
        arguments = _positional(derivative)
        self.of_output = bool(arguments) and arguments[0].name.lower() in OUTPUT_NAMES
        self.x: np.ndarray | None = None

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        self.x = x.copy()
        name = self.activation.__name__
        return as_array(call(name, self.activation, x), name)

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        assert self.x is not None, "backward before forward"
        at = self.x.copy()
        if self.of_output:
            at = as_array(call(self.activation.__name__, self.activation, at), self.activation.__name__)
        name = self.derivative.__name__
        return dout * as_array(call(name, self.derivative, at), name), {}


#: how the flag that turns an activation into its derivative is named: `sigmoid(x, derivative=False)`
FLAG_NAMES = ("derivative", "deriv", "derive", "der", "prime", "grad", "gradient", "backward", "backprop", "diff",
              "derivate", "d", "dx")
#: calls a derivative computed from the output alone may make (a mask, a cast); any other call recomputes something
_ARITHMETIC_CALLS = frozenset({"where", "astype", "array", "asarray", "ones_like", "zeros_like", "greater", "float",
                               "int", "heaviside", "clip", "minimum", "maximum", "full_like", "float64", "multiply",
                               "subtract", "square", "logical_and", "bool", "any", "all"})


def flag_argument(fn: Any) -> str | None:
    """The name of `fn`'s derivative flag (an argument past the first, by a usual name, defaulting to False), or
    None: `sigmoid(x, derivative=False)` has one, the textbook's `sigmoid(x)` does not."""
    params = _positional(fn)[1:]
    try:
        params += [p for p in signature(fn).parameters.values() if p.kind is p.KEYWORD_ONLY]
    except (TypeError, ValueError):
        return None
    return next((p.name for p in params if p.name.lower() in FLAG_NAMES and p.default is False), None)


def defines_flag_activation(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether a definition read from source, not run, is an activation with a derivative flag (`def sigmoid(x,
    derivative=False)`): a folder's file holding only such functions is a file of layers."""
    from gradlab.conventions.function_inputs import loss_pair_kind

    kind = loss_pair_kind(node.name)
    if kind is None or kind.is_loss:
        return False
    arguments = node.args.args[1:] + node.args.kwonlyargs
    defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + list(node.args.defaults)
    defaults = defaults[1:] + list(node.args.kw_defaults)
    return any(a.arg.lower() in FLAG_NAMES and isinstance(d, ast.Constant) and d.value is False
               for a, d in zip(arguments, defaults))


def _flag_branch(fn: Any, flag: str) -> list[ast.AST] | None:
    """The statements (or the expression) `fn` runs when `flag` is set: the `if flag:` body, the `else:` of `if not
    flag:`, the first value of `a if flag else b`."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        # `if flag:` blocks, and the one-line `return x * (1 - x) if flag else 1 / (1 + np.exp(-x))`
        if isinstance(node, (ast.If, ast.IfExp)) and \
                any(isinstance(n, ast.Name) and n.id == flag for n in ast.walk(node.test)):
            negated = isinstance(node.test, ast.UnaryOp) and isinstance(node.test.op, ast.Not)
            taken = node.orelse if negated else node.body
            return list(taken) if isinstance(taken, list) else [taken]
    return None


def derivative_of_output(fn: Any, flag: str) -> bool:
    """Whether the flag's branch computes from the function's first argument alone with arithmetic (then the
    argument is the activation's output: `x * (1 - x)`); False when it calls anything else or reads a value the
    function computed before (it then takes the input, as the activation does), or when the source is out of
    reach."""
    branch = _flag_branch(fn, flag)
    arguments = _positional(fn)
    if not branch or not arguments:
        return False
    argument = arguments[0].name
    for node in (n for stmt in branch for n in ast.walk(stmt)):
        if isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called not in _ARITHMETIC_CALLS:
                return False
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and \
                node.id not in (argument, "np", "numpy", *_ARITHMETIC_CALLS):
            return False
    return True


class FlagDerivative:
    """`fn(a, flag=True)`, named and signed as a derivative function: its one argument named as the activation's
    output (`out`) when the flag's branch reads it so (`derivative_of_output`), else as its input (`x`), which is
    what `ActivationPairLayer` reads. Not a plain function, on purpose: the fix search edits the user's `fn`."""

    def __init__(self, fn: Any, flag: str):
        self.fn, self.flag = fn, flag
        self.__name__ = f"{fn.__name__}(..., {flag}=True)"
        self.__module__ = fn.__module__
        name = "out" if derivative_of_output(fn, flag) else "x"
        self.__signature__ = inspect.Signature([inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)])

    def __call__(self, a: Any) -> Any:
        return self.fn(a, **{self.flag: True})
