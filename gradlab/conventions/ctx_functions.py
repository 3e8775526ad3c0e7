"""Operations written as torch.autograd.Function is, in numpy: static `forward(ctx, x, weight, bias)` and
`backward(ctx, grad_output)`.

A learner imitating PyTorch's custom functions (`class LinearFunction(Function)`) writes both methods static,
forward taking a context first and keeping what backward needs with `ctx.save_for_backward(x, weight)` or as
attributes (`ctx.mask = ...`), backward returning one gradient per input of forward. Such a class is run as the
function pair it is: forward given a fresh context and the inputs, backward that context and the upstream gradient
(`gradlab.conventions.function_style`). A weight read transposed (`x @ weight.T`, PyTorch's `F.linear` layout
(out, in)) is handed transposed and its gradient read back so. Non-goal: a library's engine that calls `apply`
(DeZero's `Function.__call__` is `gradlab.conventions.autograd_functions`).
A loss so written (`forward(ctx, input, target)` returning the loss, `backward(ctx, grad_output)` returning
`(grad_input, None)`) is run as a loss: forward given the prediction and the labels, backward the upstream gradient
of the loss, a number, which it must multiply in.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.conventions.calling import as_array, call, labels_as_indices
from gradlab.core.protocol import Layer
from gradlab.kinds import Case, Kind

__all__ = ["CtxLossLayer", "ctx_pair", "ctx_style"]


class _Context:
    """What a custom function's methods are handed: the arrays forward saves, and any attribute it sets."""

    saved_tensors: tuple[Any, ...] = ()
    #: how many inputs gradlab handed forward (x and the parameters)
    gradlab_given = 0

    def save_for_backward(self, *arrays: Any) -> None:
        self.saved_tensors = arrays


def ctx_style(cls: Any) -> bool:
    """Whether `cls` has static forward and backward whose first parameter is the context."""
    if not isinstance(cls, type):
        return False
    for name in ("forward", "backward"):
        if not isinstance(inspect.getattr_static(cls, name, None), staticmethod):
            return False
        try:
            first = next(iter(inspect.signature(getattr(cls, name)).parameters), "")
        except (TypeError, ValueError):
            return False
        if first != "ctx":
            return False
    return True


def ctx_pair(cls: type) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """A `<stem>_forward(x, *params) -> (out, ctx)` and `<stem>_backward(dout, ctx) -> (dx, *dparams)` running
    `cls`'s methods; forward's signature is the class's without ctx, so its parameters are found by name."""
    sig = inspect.signature(cls.forward)  # type: ignore[attr-defined]
    names = list(sig.parameters)[1:]
    try:
        source = inspect.getsource(cls.forward)  # type: ignore[attr-defined]
    except (OSError, TypeError):
        source = ""
    # the weights forward multiplies transposed, x @ weight.T: handed and read back in gradlab's (in, out)
    flipped = {i for i, n in enumerate(names) if i and re.search(rf"\b{re.escape(n)}\.T\b", source)}

    def forward(*args: Any, **settings: Any) -> tuple[Any, _Context]:
        ctx = _Context()
        ctx.gradlab_given = len(args)
        given = [np.asarray(a).T if i in flipped and np.ndim(a) == 2 else a for i, a in enumerate(args)]
        return cls.forward(ctx, *given, **settings), ctx  # type: ignore[attr-defined]

    def backward(dout: Any, ctx: _Context) -> Any:
        grads = cls.backward(ctx, dout)  # type: ignore[attr-defined]
        if not isinstance(grads, tuple):
            return grads
        # one gradient per input of forward, None for a setting gradlab left at its default (`forward(ctx, x,
        # beta=1.0)` returns `grad * sig, None`): those past what forward was given are no gradients
        while len(grads) > max(ctx.gradlab_given, 1) and grads[-1] is None:
            grads = grads[:-1]
        if len(grads) == 1:
            return grads[0] if grads[0] is None else np.asarray(grads[0])
        return tuple(np.asarray(g).T if i in flipped and g is not None and np.ndim(g) == 2 else g
                     for i, g in enumerate(grads))

    forward.__signature__ = sig.replace(parameters=list(sig.parameters.values())[1:])  # type: ignore[attr-defined]
    forward.__name__ = backward.__name__ = cls.__name__
    return forward, backward


class CtxLossLayer(Layer):
    """A loss written as a custom function: `cls.forward(ctx, x, y)` the loss, `cls.backward(ctx, dout)` its dx (the
    first of what it returns, one gradient per input of forward)."""

    def __init__(self, cls: type, kind: Kind, case: Case):
        del case
        self.cls, self.kind = cls, kind
        self.params: dict[str, np.ndarray] = {}
        self.grad_names: dict[str, str] = {}
        self.ctx = _Context()

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        self.ctx = _Context()
        self.ctx.gradlab_given = 2
        y = labels_as_indices(t) if self.kind.index_labels else t
        name = f"{self.cls.__name__}.forward"
        return as_array(call(name, self.cls.forward, self.ctx, x, y), name)  # type: ignore[attr-defined]

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        name = f"{self.cls.__name__}.backward"
        upstream = np.asarray(dout, dtype=np.float64).reshape(())  # PyTorch hands a loss's 0-d grad_output
        grads = call(name, self.cls.backward, self.ctx, upstream)  # type: ignore[attr-defined]
        return as_array(grads[0] if isinstance(grads, tuple) else grads, name), {}
