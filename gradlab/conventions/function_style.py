"""Function-style layers (CS231n): `<stem>_forward(x, *params[, param_dict]) -> (out, cache)`,
`<stem>_backward(dout, cache) -> dx or (dx, dparam1, ...)`, and losses `<name>(x, y) -> (loss, dx)` (or in
their kind's own arguments: a linear classifier's `svm_loss_naive(W, X, y, reg) -> (loss, dW)`).

Non-goal: deciding whether a gradient is right (that is `gradlab.core.check`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.conventions.calling import RandomStateKeeper, as_array, call, labels_as_indices, signature
from gradlab.conventions.eval_mode import with_test_mode
from gradlab.conventions.function_inputs import settings_in_place_of_dict
from gradlab.core.protocol import Layer, LayerCrash, LayerSignatureError
from gradlab.kinds import Case, Kind

__all__ = ["FunctionLayer", "LossFunctionLayer"]


class FunctionLayer(Layer):
    """A function-style pair: `<stem>_forward(x, *params[, param_dict]) -> (out, cache)` and
    `<stem>_backward(dout, cache) -> dx or (dx, dparam1, ...)`."""

    def __init__(self, forward: Callable[..., Any], backward: Callable[..., Any], kind: Kind, case: Case):
        self.kind, self.fwd, self.bwd, self.case = kind, forward, backward, case
        try:
            names = list(signature(forward).parameters)[1:]
        except (TypeError, ValueError):
            names = []
        not_params = {kind.param_dict, *kind.more_param_dicts, *kind.positional_hyper}
        param_args = [n for n in names if n not in not_params][: len(kind.params)]
        if len(param_args) < len(kind.params):
            raise LayerSignatureError(
                f"{forward.__name__} takes ({', '.join(['x', *names])}); a {kind.name} forward takes "
                f"(x, {', '.join([p.lower() for p in kind.params] + list(kind.positional_hyper))}"
                f"{''.join(', ' + d for d in (kind.param_dict, *kind.more_param_dicts) if d)})"
            )
        self.params = {c: case.params[c] for c in kind.params}
        self.grad_names = {c: "d" + n for c, n in zip(kind.params, param_args)}
        self.cache: Any = None
        self.widths: list[int] = []
        self.rng = RandomStateKeeper(int(case.hyper.get("seed", 0))) if kind.stochastic else None
        # a learner's batchnorm_forward(x, gamma, beta, eps=1e-5) keeps its settings itself, Kratzert's (x, gamma, beta,
        # eps) takes them by position: no bn_param to give
        self.settings = settings_in_place_of_dict(forward, kind)
        # a setting of the layer's own choosing, taken with a default (`elu_forward(x, alpha=1.0)`): not its default
        self.own = {n: v for n, v in kind.own_settings.items() if n in names[len(param_args):]}

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        if self.rng is not None:
            self.rng.reset()
        # the dicts afresh at every call: CS231n's batchnorm writes its running mean into bn_param
        extra: Any = map(_with_key_aliases, self.kind.function_extra_args(self.case.hyper))
        if self.settings is not None:
            given = self.kind.function_param_dict(self.case.hyper)
            extra = [given[k] for k in self.settings]
        args: list[Any] = [x, *(self.params[c] for c in self.kind.params), *extra]
        result = call(self.fwd.__name__, self.fwd, *args, **self.own)
        outs = self.kind.outputs or ("out",)
        if not (isinstance(result, tuple) and len(result) == len(outs) + 1):
            raise LayerCrash(self.fwd.__name__,
                             f"returned {type(result).__name__}, expected ({', '.join(outs)}, cache)")
        *parts, self.cache = result
        arrays = [as_array(p, self.fwd.__name__) for p in parts]
        if len(arrays) == 1:
            return arrays[0]
        # several outputs (an LSTM step's h and c): one array to gradlab, split again for backward
        self.widths = [a.shape[-1] if a.ndim else 1 for a in arrays]
        try:
            return np.concatenate([a.reshape(a.shape or (1,)) for a in arrays], axis=-1)
        except ValueError:
            raise LayerCrash(self.fwd.__name__, f"returned {', '.join(outs)} of shapes "
                             f"{', '.join(str(a.shape) for a in arrays)}, which do not share a batch shape") from None

    def forward_eval(self, x: np.ndarray) -> np.ndarray:
        """The output in evaluation mode (the settings dict's "mode" set to "test"), for `Kind.mode_law`; LayerCrash
        for a forward whose settings hold no mode. The cache of the last forward is left as it was."""
        given = [x, *(self.params[c] for c in self.kind.params), *self.kind.function_extra_args(self.case.hyper)]
        args = with_test_mode(given) if self.settings is None else None
        if args is None:
            raise LayerCrash(self.fwd.__name__, "has no evaluation mode to ask")
        if self.rng is not None:
            self.rng.reset()
        result = call(self.fwd.__name__, self.fwd, *args, **self.own)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise LayerCrash(self.fwd.__name__, f"returned {type(result).__name__} in test mode, expected (out, cache)")
        return as_array(result[0], self.fwd.__name__)

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        upstream = np.split(dout, np.cumsum(self.widths)[:-1], axis=-1) if self.kind.outputs else [dout]
        # the course's contract is one backward per forward, and a backward may consume its cache
        # (`cache.pop()` over the time steps): each call gets the cache's containers afresh
        result = call(self.bwd.__name__, self.bwd, *upstream, fresh_containers(self.cache))
        parts = list(result) if isinstance(result, tuple) else [result]
        if not self.kind.x_differentiable and len(parts) == 1 and len(self.kind.params) == 1:
            parts = [None, *parts]  # CS231n's word_embedding_backward returns dW alone: x has no gradient
        expected = 1 + len(self.kind.params)
        wanted = f"(dx{''.join(', ' + self.grad_names[c] for c in self.kind.params)})"
        if result is None and expected > 1:  # a template returns its tuple of Nones; a bare None is a lost return
            raise LayerCrash(self.bwd.__name__, f"returned None (is its return statement missing?), expected "
                             f"{expected} values {wanted}: end it with return {wanted[1:-1]}")
        if len(parts) != expected:
            raise LayerCrash(self.bwd.__name__, f"returned {len(parts)} value(s), expected {expected} {wanted}")
        dx = None if parts[0] is None else as_array(parts[0], self.bwd.__name__)
        grads = {c: None if g is None else self.kind.as_param_shape(self.params[c], as_array(g, self.bwd.__name__))
                 for c, g in zip(self.kind.params, parts[1:])}
        return dx, grads


#: other keys learners read a course's parameter dict by, as their own models build it (conv_param['padding'],
#: pool_param['pool_stride'] where the course writes 'pad' and 'stride'): the dict gradlab passes holds both
#: spellings, so either reading gets the value
_KEY_ALIASES = {"pad": ("padding",), "stride": ("strides", "pool_stride")}


def _with_key_aliases(arg: Any) -> Any:
    if not isinstance(arg, dict) or not any(k in arg for k in _KEY_ALIASES):
        return arg
    extra = {alias: arg[k] for k, aliases in _KEY_ALIASES.items() if k in arg for alias in aliases if alias not in arg}
    return {**arg, **extra}


def fresh_containers(cache: Any) -> Any:
    """`cache` with its lists, tuples and dicts copied (recursively) and its arrays shared, so that a
    backward may empty or rebind what it was given without changing what the next backward gets, while
    a write into an array (x itself, cached) is still seen."""
    if isinstance(cache, list):
        return [fresh_containers(c) for c in cache]
    if isinstance(cache, tuple) and type(cache) is tuple:
        return tuple(fresh_containers(c) for c in cache)
    if isinstance(cache, dict) and type(cache) is dict:
        return {k: fresh_containers(v) for k, v in cache.items()}
    return cache


class LossFunctionLayer(Layer):
    """A function-style loss `<name>(x, y) -> (loss, dx)`, or in its kind's own arguments (`loss_args`:
    `svm_loss_naive(W, X, y, reg) -> (loss, dW)`): forward and backward in one call."""

    def __init__(self, fn: Callable[..., Any], kind: Kind, case: Case):
        self.fn, self.kind = fn, kind
        self.params: dict[str, np.ndarray] = {k: case.params[k] for k in kind.params}
        self.hyper = dict(case.hyper)
        self.grad_names: dict[str, str] = {k: f"d{k}" for k in kind.params}
        self.grad: np.ndarray | None = None
        #: one-hot labels handed as they are: the loss crashed on their indices (deeplearning.ai's
        #: `softmax_cross_entropy_loss(Z, Y)` reads `m = Y.shape[1]` of one-hot Y)
        self.as_given = False

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        y = labels_as_indices(t) if self.kind.index_labels and not self.as_given else t
        given = {**self.hyper, **self.params, "x": x, "y": y}
        if self.kind.label_args is not None and t is not None:
            given.update(self.kind.label_args(t))
        try:
            result = call(self.fn.__name__, self.fn, *(given[a] for a in self.kind.loss_args))
        except LayerCrash:
            if self.as_given or t is None or y is t or np.ndim(t) != 2:
                raise
            self.as_given = True
            return self.forward(x, t)
        what = "dx" if self.kind.x_differentiable else self.grad_names[self.kind.params[0]]
        if not (isinstance(result, tuple) and len(result) == 2):
            from gradlab.conventions.autograd_functions import autograd_value

            raise autograd_value(result, self.fn.__name__) or \
                LayerCrash(self.fn.__name__, f"returned {type(result).__name__}, expected (loss, {what})")
        loss, grad = result
        self.grad = None if grad is None else as_array(grad, self.fn.__name__)
        return as_array(loss, self.fn.__name__)

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        grad = None if self.grad is None else self.grad * float(dout)
        if self.kind.x_differentiable:
            return grad, {}
        return None, {self.kind.params[0]: grad}
