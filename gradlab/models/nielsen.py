"""Calling a Nielsen-style network: per-sample columns, `weights` / `biases` lists, `backprop(x, y)`.

Its parameters are `net.weights[i]` and `net.biases[i]`; `net.backprop(x, y) -> (nabla_b, nabla_w)` for one sample,
x a (D, 1) column and y a one-hot (C, 1) column. Its loss is `net.cost.fn(a, y)` when it has a cost object
(`net.cost(a, y)` for a cost instance with `delta` and no `fn`), else the one its own cost method declares
(`net.loss_function(y_true, y_pred)`), else the quadratic cost 0.5 ||a - y||^2 that
`cost_derivative(a, y) = a - y` implies, with a = `net.feedforward(x)`. Learners' ports rename feedforward and
backprop, and some return (nabla_w, nabla_b): both are read as written.
Non-goal: seeding, data, the other conventions (`gradlab.models.adapters`), judging (`gradlab.models.check`).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from gradlab.models.errors import ModelError, NotImplementedYet

__all__ = ["BACKPROP_NAMES", "FEEDFORWARD_NAMES", "backprop_of", "feedforward_of", "nielsen_gradients",
           "nielsen_loss", "nielsen_nablas", "nielsen_parameters"]

#: how learners' ports spell Nielsen's feedforward and backprop (the book's names first)
FEEDFORWARD_NAMES = ("feedforward", "forward", "feed_forward")
BACKPROP_NAMES = ("backprop", "backpropagate", "back_prop", "backpropagation")


def nielsen_parameters(model: Any) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """(the network's weights and biases by name, the last layer's first; how its code names each gradient)."""
    weights, biases = getattr(model, "weights", None), getattr(model, "biases", None)
    if weights == [] and biases == []:
        raise NotImplementedYet(f"not implemented yet: {type(model).__name__} has empty weights and biases lists "
                                "after it is built (fill in its constructor)")
    if not isinstance(weights, list) or not isinstance(biases, list) or len(weights) != len(biases) or not weights:
        raise ModelError(f"{type(model).__name__} has no weights and biases lists of the same length after it "
                         "is built: a Nielsen-style network keeps them in self.weights and self.biases")
    params: dict[str, np.ndarray] = {}
    names: dict[str, str] = {}
    for i in reversed(range(len(weights))):  # backprop visits the last layer first
        params[f"weights[{i}]"], names[f"weights[{i}]"] = weights[i], f"nabla_w[{i}]"
        params[f"biases[{i}]"], names[f"biases[{i}]"] = biases[i], f"nabla_b[{i}]"
    return params, names


#: a network's own method giving its cost, in the ports that write one instead of a cost object
COST_METHODS = ("loss_function", "cost_function", "loss_fn", "cost_fn", "compute_loss", "compute_cost")
#: how such a method names the labels (then they come first: `loss_function(y_true, y_pred)`)
_LABEL_NAMES = ("y_true", "y", "target", "targets", "t", "label", "labels", "expected", "desired", "truth")


def nielsen_loss(net: Any, x: np.ndarray, y: np.ndarray) -> Any:
    """The network's cost of one sample: its cost object's, else its own cost method's, else the quadratic cost its
    cost_derivative implies."""
    a = feedforward_of(net)(x)
    cost = getattr(net, "cost", None)
    fn = getattr(cost, "fn", None)
    if callable(fn):
        return fn(a, y)
    if callable(getattr(cost, "delta", None)) and callable(cost) and not isinstance(cost, type):
        return cost(a, y)  # a cost instance whose __call__(a, y) is the cost, beside its delta (no fn)
    own = _own_cost(net, a, y)
    if own is not None:
        return own
    return 0.5 * float(np.sum((np.asarray(a) - y) ** 2))


def _own_cost(net: Any, a: Any, y: np.ndarray) -> float | None:
    """The cost the network's own method declares (`loss_function(y_true, y_pred, prime=False)`, whose derivative
    branch gives backprop its output delta), or None. A cost is what gradient descent lowers, so it is never
    negative: a method whose value is negative is the log-likelihood written without its minus sign (Σ y ln a +
    (1 - y) ln(1 - a)), and its negative is the cost its backprop descends."""
    method = next((m for m in (getattr(net, n, None) for n in COST_METHODS) if callable(m)), None)
    if method is None:
        return None
    try:
        required = [p for p in inspect.signature(method).parameters.values()
                    if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return None
    if len(required) != 2:
        return None
    args = (y, a) if required[0].name.lower() in _LABEL_NAMES else (a, y)
    try:
        value = float(np.sum(method(*args)))
    except Exception:  # noqa: BLE001 - a method that is no cost of (a, y): the quadratic cost stands
        return None
    return -value if value < 0 else value


def feedforward_of(net: Any) -> Any:
    """A Nielsen-style network's feedforward(a), or forward(a) / feed_forward(a) in the ports that rename it."""
    return next(f for f in (getattr(net, n, None) for n in FEEDFORWARD_NAMES) if callable(f))


def backprop_of(net: Any) -> Any:
    """A Nielsen-style network's backprop(x, y), or backpropagate(x, y) in the ports that rename it."""
    return next(f for f in (getattr(net, n, None) for n in BACKPROP_NAMES) if callable(f))


def nielsen_nablas(returned: Any, net: Any) -> tuple[Any, Any]:
    """(nabla_b, nabla_w) from what backprop(x, y) returned. The book's order is (nabla_b, nabla_w);
    a network that returns (nabla_w, nabla_b) (its own update code reads them so) is read in its order,
    recognised by the shapes: swapped, more of them fit the weights and biases than in order (a count, not
    all of them: one gradient of a wrong shape must not turn the reading of every other one around)."""
    if not (isinstance(returned, (tuple, list)) and len(returned) == 2):
        raise ModelError(f"backprop(x, y) returned {type(returned).__name__}, not (nabla_b, nabla_w)")
    first, second = returned

    def fitting(grads: Any, params: list[np.ndarray]) -> int:
        if not isinstance(grads, (list, tuple)):
            return 0
        return sum(np.shape(g) == p.shape for g, p in zip(grads, params))

    swapped = fitting(first, net.weights) + fitting(second, net.biases)
    if swapped > fitting(first, net.biases) + fitting(second, net.weights):
        return second, first
    return first, second


def nielsen_gradients(returned: Any, net: Any) -> dict[str, Any]:
    """What backprop(x, y) returned, keyed as `nielsen_parameters` names the parameters (None where one is missing)."""
    nabla_b, nabla_w = nielsen_nablas(returned, net)
    out: dict[str, Any] = {}
    for i in range(len(net.weights)):
        out[f"weights[{i}]"] = nabla_w[i] if i < len(nabla_w) else None
        out[f"biases[{i}]"] = nabla_b[i] if i < len(nabla_b) else None
    return out
