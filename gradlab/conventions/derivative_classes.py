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
(`sigmoid_derivative(s)`, `(a)`, `(y)`, `(output)`) is given the activation's output, as its callers do. When the
name says nothing (`x`), the calls in its file say it (`self.activation_prime(self.input)`: the input); when no call
does, its body: arithmetic on its argument alone (`sigmoid_derivative(x): return x * (1 - x)`) of a one-to-one
activation is f' written in terms of the output, as a flag's branch is read below (`takes_the_output`).
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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from gradlab.conventions.calling import as_array, call, signature
from gradlab.core.protocol import Layer
from gradlab.kinds import Case, Kind

__all__ = ["ActivationPairLayer", "DerivativeClassLayer", "FlagDerivative", "callers_give", "defines_flag_activation",
           "derivative_layer", "flag_argument", "pair_layer", "one_to_one", "takes_its_input",
           "takes_the_output"]

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
    input (as forward's own first argument is named, or as one of `INPUT_NAMES`), or whose backward takes nothing."""
    if not isinstance(cls, type) or kind.params or kind.is_loss or kind.forward_inputs:
        return False
    forward, backward = getattr(cls, "forward", None), getattr(cls, "backward", None)
    if not callable(forward) or not callable(backward):
        return False
    if _takes_nothing(backward):  # backward(self) returns f' from what forward kept (CMU 11-785's activations, 2022)
        return True
    given = [p for p in _positional(backward) if p.default is p.empty]
    if len(given) != 1 or len(_positional(backward)) != 1:
        return False
    name = given[0].name
    inputs = _positional(forward)
    return bool(inputs) and (name == inputs[0].name or name.lower() in INPUT_NAMES)


def _takes_nothing(fn: Any) -> bool:
    try:
        params = list(signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    return not params or len(params) == 1 and params[0].name == "self"


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
        self.takes_nothing = _takes_nothing(cls.backward)  # type: ignore[attr-defined]
        argument = "" if self.takes_nothing else _positional(cls.backward)[0].name  # type: ignore[attr-defined]
        takes = "takes nothing and returns the local derivative f'(x) from what forward kept" if self.takes_nothing \
            else f"takes the layer's input and returns the local derivative f'({argument})"
        self.notes: tuple[tuple[str, str], ...] = ((
            "dropped-term", f"{name}.backward({argument}) {takes}, not dout * f'(x): checked as that (dout * "
            f"backward({'' if self.takes_nothing else 'x'})), and right as that; the layer that calls it must "
            "multiply in the upstream gradient"),)

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        self.x = x.copy()
        name = type(self.obj).__name__
        return as_array(call(f"{name}.forward", self.obj.forward, x), f"{name}.forward")

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        name = f"{type(self.obj).__name__}.backward"
        given = () if self.takes_nothing else (None if self.x is None else self.x.copy(),)
        derivative = as_array(call(name, self.obj.backward, *given), name)
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
        self.of_output = takes_the_output(derivative, activation)
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
    return _arithmetic_of(branch, arguments[0].name)[0]


def _arithmetic_of(statements: Sequence[ast.AST], argument: str) -> tuple[bool, bool]:
    """Whether `statements` compute from `argument` alone (numpy's arithmetic, no other call, no other name), and
    whether some operation takes the argument itself as an operand (`x * (1 - x)`; a mask `(x > 0)` does not)."""
    on_argument = False
    for node in (n for stmt in statements for n in ast.walk(stmt)):
        if isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called not in _ARITHMETIC_CALLS:
                return False, False
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and \
                node.id not in (argument, "np", "numpy", *_ARITHMETIC_CALLS):
            return False, False
        elif isinstance(node, (ast.BinOp, ast.UnaryOp)) and any(
                isinstance(operand, ast.Name) and operand.id == argument
                for operand in ((node.left, node.right) if isinstance(node, ast.BinOp) else (node.operand,))):
            on_argument = True
    return True, on_argument


def _source_tree(fn: Any) -> ast.AST | None:
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, ValueError, IndentationError):
        return None


def _last_name(node: ast.AST) -> str | None:
    """`self.input` -> "input", `z` -> "z"; None for anything else (a call, a subscript)."""
    if isinstance(node, ast.Attribute):
        return node.attr.lower()
    return node.id.lower() if isinstance(node, ast.Name) else None


#: what a caller's array is named when the name alone says which it is; single letters do not (the first volume's
#: `a` is the pre-activation and `z` the activation's output, the reverse of many courses'), nor does `h`
_CALLER_INPUT_NAMES = frozenset({"x", "input", "inputs", "input_data", "inp", "x_in", "pre_activation",
                                 "preactivation", "last_input", "layer_input"})
_CALLER_OUTPUT_NAMES = frozenset({"out", "output", "outputs", "output_data", "activation", "activations", "activated",
                                  "last_output", "layer_output"})


def callers_give(derivative: Any) -> str | None:
    """"output" or "input" when the calls of a derivative in its own module all pass an array named so
    (`tanh_prime(self.input)`, `self.activation_prime(self.output)`, `sigmoid_prime(z)`), None when no call says (none
    found, or calls that disagree). A call through an attribute named like any derivative (`activation_prime`)
    counts: that is how a layer holding the pair calls it."""
    from gradlab.conventions.function_inputs import DERIVATIVE_SUFFIXES

    try:  # the whole file the derivative is written in (a user's file is loaded under a name of gradlab's own)
        tree: ast.AST | None = ast.parse(Path(inspect.getsourcefile(derivative) or "").read_text(encoding="utf-8"))
    except (OSError, TypeError, SyntaxError, ValueError):
        tree = None
    own = getattr(derivative, "__name__", "")
    if tree is None or not own:
        return None
    said = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or len(node.args) != 1:
            continue
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if called != own and not (isinstance(node.func, ast.Attribute) and called.endswith(DERIVATIVE_SUFFIXES)):
            continue
        name = _last_name(node.args[0])
        if name in _CALLER_OUTPUT_NAMES:
            said.add("output")
        elif name in _CALLER_INPUT_NAMES:
            said.add("input")
    return said.pop() if len(said) == 1 else None


def _arithmetic_on_argument_alone(fn: Any) -> bool:
    """Whether `fn`'s body computes from its one argument alone, with arithmetic on the argument itself (`x * (1 -
    x)`, `1 - x ** 2`): f' written in terms of f, so the argument is the activation's output. A mask alone (`(x >
    0).astype(float)`) says nothing (its sign reads the same at the input or the output of a sign-keeping
    activation), nor does a body that calls the activation or anything but arithmetic, or a lambda."""
    tree = _source_tree(fn)
    arguments = _positional(fn)
    if tree is None or len(arguments) != 1:
        return False
    definition = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))), None)
    if definition is None:
        return False
    alone, on_argument = _arithmetic_of(definition.body, arguments[0].name)
    return alone and on_argument


#: where an activation is probed for being one-to-one: wide enough to reach sigmoid's and tanh's flat tails
_PROBE = np.linspace(-6.0, 6.0, 241).reshape(1, -1)


def one_to_one(activation: Any) -> bool:
    """Whether `activation` is strictly monotonic on [-6, 6], so that f' can be written in terms of f's output alone
    (s * (1 - s), 1 - t ** 2, out + alpha); hard swish or GELU give one output at two inputs, so their derivative
    takes the input. False when the activation cannot be run on an array."""
    try:
        with np.errstate(all="ignore"):
            y = np.asarray(activation(_PROBE.copy()), dtype=float).reshape(-1)
    except Exception:  # a learner's activation that fails here is judged by the check itself, not by this probe
        return False
    if y.shape != (_PROBE.size,) or not np.all(np.isfinite(y)):
        return False
    steps = np.diff(y)
    return bool(np.all(steps > 0) or np.all(steps < 0))


def takes_the_output(derivative: Any, activation: Any = None) -> bool:
    """Whether an activation's derivative function takes the activation's output: its argument named as the output
    (`sigmoid_derivative(s)`); else what its callers in its module pass it (`callers_give`); else, when neither says
    and the activation is one-to-one (`one_to_one`), its body: arithmetic on the argument alone
    (`sigmoid_derivative(x): return x * (1 - x)`) is f' written in terms of the output, as `derivative_of_output`
    reads a flag's branch."""
    arguments = _positional(derivative)
    if not arguments:
        return False
    if arguments[0].name.lower() in OUTPUT_NAMES:
        return True
    if isinstance(derivative, FlagDerivative):  # its argument's name already says what its flag's branch reads
        return False
    given = callers_give(derivative)
    if given is not None:
        return given == "output"
    return _arithmetic_on_argument_alone(derivative) and activation is not None and one_to_one(activation)


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
