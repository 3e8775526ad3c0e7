"""Activation and loss *objects* of the numpy deep-learning libraries, checked as layers.

An activation object has `__call__(x)` and `gradient(x)` (ML-From-Scratch) or `grad(x)` (numpy-ml): the
derivative of `__call__`, element by element, so the layer gradlab checks is `forward(x) = obj(x)`,
`backward(dout) = dout * obj.gradient(x)`. A loss object has `loss(y, p)` and `gradient(y, p)`, the
loss per element (or already summed) and its derivative with respect to p: the layer is `forward(p,
y) = sum(obj.loss(y, p))`, `backward(1) = obj.gradient(y, p)`.

A function that couples the elements of a sample (softmax) has a Jacobian per sample, not one number
per element: such a library's `gradient(x)` can only be the Jacobian's diagonal, dy_i/dx_i, and that is
what it is checked against (`DiagonalOnly`), with a warning that `dout * gradient(x)` is not its
backward. Whether the diagonal is the contract is measured, never assumed: it applies only when the
forward couples elements and the backward does not.
Non-goal: a library's models or training loops.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from gradlab.conventions.calling import as_array, call, signature
from gradlab.core.protocol import Layer, LayerSignatureError
from gradlab.kinds import Case, Kind, kind_for_class

__all__ = ["ActivationObjectLayer", "DiagonalOnly", "LossObjectLayer", "activation_names", "object_role"]

GRADIENT_METHODS = ("gradient", "grad", "derivative")


def _defines_call(cls: type) -> bool:
    return any("__call__" in vars(c) for c in cls.__mro__ if c is not object)


def _gradient_method(obj: Any) -> str | None:
    return next((m for m in GRADIENT_METHODS if callable(getattr(obj, m, None))), None)


def _required(fn: Any) -> int:
    try:
        params = list(signature(fn).parameters.values())
    except (TypeError, ValueError):
        return -1
    if params and params[0].name == "self":  # a method looked up on the class
        params = params[1:]
    return sum(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def object_role(cls: Any) -> str | None:
    """"activation" for a class with `__call__(x)` and `gradient(x)`/`grad(x)`, "loss" for one with
    `loss(y, p)` and `gradient(y, p)`/`grad(y, p)`, None otherwise (a layer has forward/backward)."""
    if not isinstance(cls, type) or any(callable(getattr(cls, m, None)) for m in ("forward", "backward",
                                                                                    "forward_pass")):
        return None
    method = _gradient_method(cls)
    if method is None:
        return None
    loss = getattr(cls, "loss", None)
    if callable(loss):
        # a model has loss(x, t) and gradient(x, t) too (the textbook's TwoLayerNet), and predicts
        model = any(callable(getattr(cls, m, None)) for m in ("predict", "accuracy", "numerical_gradient"))
        return "loss" if not model and _required(getattr(cls, method)) == 2 and _required(loss) == 2 else None
    return "activation" if _defines_call(cls) and _required(getattr(cls, method)) == 1 else None


def activation_names(cls: type, module: ModuleType) -> tuple[str, dict[str, Kind | None]] | None:
    """(the constructor argument, {name: kind}) for a layer built from an activation's name,
    ML-From-Scratch's `Activation(name)`: the names are the keys of a dict of its module mapping names to
    activation objects (`activation_functions = {name: class, ...}`); the kind is None for a class gradlab
    does not know (SELU)."""
    required = [p for p in _init_params(cls) if p.default is p.empty and p.name != "self"]
    if len(required) != 1 or "activation" not in cls.__name__.lower():
        return None
    found: dict[str, Kind | None] = {}
    for value in vars(module).values():
        if isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
            for key, target in value.items():
                if object_role(target) == "activation":
                    kind = kind_for_class(target.__name__)
                    found[key] = kind if kind is not None and not kind.params and not kind.is_loss else None
    return (required[0].name, found) if any(found.values()) else None


def _build(cls: type) -> Any:
    if any(p.default is p.empty for p in _init_params(cls)):
        raise LayerSignatureError(f"{cls.__name__}() needs arguments gradlab cannot supply; give them defaults")
    return call(f"{cls.__name__}()", cls)


def _init_params(cls: type) -> list[Any]:
    try:
        return [p for p in signature(cls).parameters.values() if p.kind in (p.POSITIONAL_ONLY,
                                                                            p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


class ActivationObjectLayer(Layer):
    """`obj(x)` forward, `dout * obj.gradient(x)` backward, for an activation object."""

    def __init__(self, cls: type, kind: Kind, case: Case):
        self.kind, self.obj = kind, _build(cls)
        self.method = _gradient_method(self.obj) or "gradient"
        self.params: dict[str, np.ndarray] = {}
        self.grad_names: dict[str, str] = {}
        self.x: np.ndarray | None = None

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        self.x = x.copy()
        name = type(self.obj).__name__
        return as_array(call(f"{name}.__call__", self.obj, x), f"{name}.__call__")

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        name = f"{type(self.obj).__name__}.{self.method}"
        return dout * as_array(call(name, getattr(self.obj, self.method), self.x), name), {}


class LossObjectLayer(Layer):
    """`sum(obj.loss(y, p))` forward, `obj.gradient(y, p)` backward, for a loss object."""

    def __init__(self, cls: type, kind: Kind, case: Case):
        self.kind, self.obj = kind, _build(cls)
        self.method = _gradient_method(self.obj) or "gradient"
        self.params: dict[str, np.ndarray] = {}
        self.grad_names: dict[str, str] = {}
        self.p: np.ndarray | None = None
        self.y: np.ndarray | None = None

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        self.p, self.y = x.copy(), t
        name = f"{type(self.obj).__name__}.loss"
        return np.asarray(np.sum(as_array(call(name, self.obj.loss, t, x), name)))

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        name = f"{type(self.obj).__name__}.{self.method}"
        grad = as_array(call(name, getattr(self.obj, self.method), self.y, self.p), name)
        return grad * float(dout), {}


class DiagonalOnly(Layer):
    """`inner` judged on the diagonal of its Jacobian, when its forward couples the elements of a sample and
    its backward does not (see the module docstring); otherwise `inner` exactly as it is.

    The forward gradlab sees is then separable: output element k is inner's output k with only input k
    moved from the case's x, `y_k(x) = f(x0 + (x_k - x0_k) e_k)_k`, whose derivative at x0 is dy_k/dx_k and
    nothing else; its backward is inner's own. One call of inner per moved element."""

    def __init__(self, inner: Layer, case: Case, name: str):
        self.inner, self.x0 = inner, case.x.copy()
        self.params = inner.params
        self.grad_names = getattr(inner, "grad_names", {})
        # measured at a probe of moderate values: at the case's own x (logits of size 30) a softmax is nearly
        # one-hot, and moving one logit moves the others by less than rounding
        probe = np.linspace(-1.0, 1.0, self.x0.size).reshape(self.x0.shape)
        self.diagonal = _couples(inner, probe) and _elementwise_backward(inner, probe)
        self.y0 = np.asarray(inner.forward(self.x0.copy(), None), dtype=np.float64).copy()
        self.diagonal = self.diagonal and self.y0.shape == self.x0.shape
        self.notes: tuple[tuple[str, str], ...] = ((
            "dropped-term", f"{name} couples the elements of a sample (moving one input moves other outputs), so "
            "its gradient(x) can only be the diagonal of its Jacobian, dy_i/dx_i: checked as that, and right as that; "
            "dout * gradient(x) is not its backward (the off-diagonal terms are dropped), right only next to a loss "
            "whose gradient makes up for them"),) if self.diagonal else ()

    def __getattr__(self, name: str) -> Any:  # the inner layer's optional hooks (obj, install_param, ...)
        return getattr(self.inner, name)

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        if not self.diagonal or x.shape != self.x0.shape:
            return self.inner.forward(x, t)
        out = self.y0.astype(np.result_type(self.y0, x))
        for k in np.flatnonzero(x != self.x0):
            moved = self.x0.astype(x.dtype)
            moved.flat[k] = x.flat[k]
            out.flat[k] = np.asarray(self.inner.forward(moved, t)).flat[k]
        self.inner.forward(self.x0.astype(x.dtype), t)  # the backward that follows is at x0
        return out

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        return self.inner.backward(dout)


def _couples(inner: Layer, x0: np.ndarray) -> bool:
    """Whether moving one input of the first sample moves another output."""
    y0 = np.asarray(inner.forward(x0.copy(), None), dtype=np.float64)
    moved = x0.copy()
    moved.flat[0] += 0.5
    y = np.asarray(inner.forward(moved, None), dtype=np.float64)
    if y.shape != y0.shape or y.shape != x0.shape:
        return False
    changed = np.abs(y - y0) > 1e-9 * (1 + np.abs(y0))
    changed.flat[0] = False
    return bool(changed.any())


def _elementwise_backward(inner: Layer, x0: np.ndarray) -> bool:
    """Whether backward of an upstream gradient with one non-zero element is zero everywhere else."""
    y0 = np.asarray(inner.forward(x0.copy(), None))
    dout = np.zeros(y0.shape)
    dout.flat[0] = 1.0
    dx, _ = inner.backward(dout)
    if dx is None or np.shape(dx) != x0.shape:
        return False
    rest = np.array(dx, dtype=np.float64).ravel()[1:]
    return bool(np.all(rest == 0))
