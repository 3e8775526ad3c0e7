"""deeplearning.ai's layers that take their activation as a string, and its activation helpers.

Andrew Ng's course writes `linear_activation_forward(A_prev, W, b, activation) -> (A, cache)` and
`linear_activation_backward(dA, cache, activation) -> (dA_prev, dW, db)`, with `activation` one of the
strings the function compares it with (the names of relu, sigmoid, tanh, ...). Each string is another layer:
gradlab checks the pair once per string that both functions handle, as `linear_activation[relu]`, and
says which strings only one of them handles. The strings are read from the source (the comparisons
with the argument), never guessed: a function that handles an activation through a dict lookup it cannot
read is not called with strings it may not know. The course's activation helpers come as
`relu(Z) -> (A, cache)` next to `relu_backward(dA, cache)` (no `_forward` in the name).
Non-goal: judging the gradients (the pair is checked as its base stem's kind, `linear` an affine layer
whose dW and db are means over the samples).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

from gradlab.conventions.calling import signature

__all__ = ["ACTIVATION_ARGUMENTS", "Bound", "activation_argument", "activation_strings", "returns_pair"]

#: how the activation's argument is named in the wild; deeplearning.ai's `pool_forward(A_prev, hparameters,
#: mode="max")` picks max or average pooling by a string in the same way, so `mode` is read as such an argument
#: (only where forward and backward both take it: a dropout's or batch norm's train/test mode travels in the cache)
ACTIVATION_ARGUMENTS = ("activation", "activation_fn", "activation_function", "act_fn", "act", "activation_type",
                        "activation_name", "nonlinearity", "mode")


class Bound:
    """`fn` with its activation argument fixed: what gradlab calls as the layer `<stem>[<activation>]`.

    Not a plain function, on purpose: the fix search edits only the user's own functions, and this one
    is gradlab's. Its signature is `fn`'s without the bound argument, so the adapters read the parameter
    names as the user wrote them."""

    def __init__(self, fn: Callable[..., Any], argument: str, value: str):
        self.fn, self.argument, self.value = fn, argument, value
        self.__name__ = f"{fn.__name__}[{value}]"
        self.__module__ = fn.__module__
        sig = signature(fn)
        self.__signature__ = sig.replace(parameters=[p for p in sig.parameters.values() if p.name != argument])

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args, **{self.argument: self.value})

    def __hash__(self) -> int:
        return hash((self.fn, self.argument, self.value))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bound) and (self.fn, self.argument, self.value) == (other.fn, other.argument,
                                                                                     other.value)


def activation_argument(fn: Callable[..., Any], *, after: int) -> str | None:
    """The name of `fn`'s activation argument among its arguments past the first `after` (x and the
    parameters for a forward, dout and the cache for a backward), when it has one by a usual name."""
    try:
        params = list(signature(fn).parameters.values())[after:]
    except (TypeError, ValueError):
        return None
    return next((p.name for p in params if p.name.lower() in ACTIVATION_ARGUMENTS
                 and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)), None)


def activation_strings(fn: Callable[..., Any], argument: str) -> list[str]:
    """The strings `fn` compares `argument` with (`activation == <a string>`, `activation.lower() in (<strings>)`),
    in source order, each once; [] when the source cannot be read."""
    node = _function_node(fn)
    if node is None:
        return []
    found: list[str] = []
    for compare in (n for n in ast.walk(node) if isinstance(n, ast.Compare)):
        sides = [compare.left, *compare.comparators]
        if not any(isinstance(n, ast.Name) and n.id == argument for side in sides for n in ast.walk(side)):
            continue
        for side in sides:
            found += [n.value for n in ast.walk(side) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return [s for s in dict.fromkeys(found) if s.strip()]


def returns_pair(fn: Callable[..., Any]) -> bool:
    """Whether `fn` returns a pair in every `return` that gives a value (`return A, cache`), as the course's
    `relu(Z)` does; the textbook's `relu(x)` returns the array alone."""
    node = _function_node(fn)
    if node is None:
        return False
    returns = [n for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None]
    return bool(returns) and all(isinstance(r.value, ast.Tuple) and len(r.value.elts) == 2 for r in returns)


def _function_node(fn: Callable[..., Any]) -> ast.FunctionDef | None:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, ValueError):
        return None
    node = tree.body[0] if tree.body else None
    return node if isinstance(node, ast.FunctionDef) else None
