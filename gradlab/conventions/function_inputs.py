"""Function-style pairs whose backward takes forward's inputs instead of, or beside, a cache.

Two conventions met in learners' code next to CS231n's `(out, cache)` / `backward(dout, cache)`:
- backward mirrors forward's arguments after the upstream gradient: `flatten_forward(input) -> out` with
  `flatten_backward(grad, input)`, `sigmoid_forward(input)` with `sigmoid_backward(grad, input)` (a torch-like
  functional style: forward returns only its output and backward recomputes what it needs), or before it:
  `prelu_forward(x, alpha)` with `prelu_backward(x, alpha, grad_output)`;
- backward takes the tuple of forward's inputs and then the cache: `prelu_forward(input, slope) -> (out, cache)`
  with `prelu_backward(grad, inputs, cache)`, `data, slope = inputs`.
Each is recognised from the two signatures alone (argument names, never a failing number) and called so, with the
very arrays forward was given; the gradients come back as in CS231n's style, dx then one per parameter.

A loss comes as a function pair too, in the "neural network from scratch" videos' style and their many forks:
`mse(y_true, y_pred)` returns the loss alone and `mse_prime(y_true, y_pred)` its derivative with respect to the
predictions (`binary_cross_entropy` with `binary_cross_entropy_prime`; `_derivative`, `_derive`, `_grad`, `d_mse` are
other spellings).
The pair is one loss layer, `mse`, its arguments taken in the order their names say (`LossPairLayer`). An
activation comes so too, `tanh(x)` with `tanh_prime(x)` (`gradlab.conventions.derivative_classes`).
Non-goal: deciding whether a gradient is right (that is `gradlab.core.check`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.conventions.calling import as_array, call, signature
from gradlab.core.protocol import Layer, LayerCrash
from gradlab.kinds import Case, Kind, kind_for_class, kind_for_loss_function, kind_for_stem
from gradlab.kinds.common import elementwise_case

__all__ = ["DERIVATIVE_SUFFIXES", "WEIGHTS_DICT", "InputsFunctionLayer", "LossPairLayer", "WeightsDictLayer",
           "derivative_names", "derivative_of", "inputs_layer", "inputs_style", "loss_pair_kind",
           "settings_in_place_of_dict",
           "takes_weights_dict"]

#: how the derivative of a loss `mse` is named next to it: `mse_prime`, `mse_derivative`, `mse_derive`, ...
DERIVATIVE_SUFFIXES = ("_prime", "_derivative", "_deriv", "_derive", "_derivate", "_der", "_grad", "_gradient")
#: ... or before it: `d_sigmoid`, `dsigmoid`, `grad_mse`, `derivative_tanh`
DERIVATIVE_PREFIXES = ("d_", "d", "grad_", "derivative_")


def derivative_names(name: str) -> list[str]:
    """The names the derivative of a function `name` goes by, the usual first."""
    return [name + s for s in DERIVATIVE_SUFFIXES] + [p + name for p in DERIVATIVE_PREFIXES]


def derivative_of(name: str) -> str | None:
    """The function a derivative named `name` is the derivative of, when that names a kind's loss or activation
    (`loss_pair_kind`): `mse` for `mse_prime`, `sigmoid` for `d_sigmoid`; None for any other name."""
    bases = [name[: -len(s)] for s in DERIVATIVE_SUFFIXES if name.endswith(s)] + \
        [name[len(p):] for p in DERIVATIVE_PREFIXES if name.startswith(p)]
    return next((b for b in bases if b and loss_pair_kind(b) is not None), None)

#: a backward's argument holding the tuple of forward's inputs, and one holding forward's cache
_INPUTS_TUPLE = ("inputs", "args", "xs", "saved_inputs", "forward_inputs")
_CACHE = ("cache", "ctx", "context", "saved")


def _positional(fn: Any) -> list[Any]:
    try:
        return [p for p in signature(fn).parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []


def inputs_style(forward: Any, backward: Any, kind: Kind) -> str | None:
    """"mirror" for a backward taking forward's own arguments after the gradient (same names, same order), "mirror,
    gradient last" for one taking them before it (`prelu_backward(x, alpha, grad_output)`), "inputs and cache" for
    `backward(grad, inputs, cache)`, `WEIGHTS_DICT` for deeplearning.ai's weights in one dict (`takes_weights_dict`),
    None for anything else (CS231n's backward(dout, cache))."""
    if takes_weights_dict(forward, kind):
        return WEIGHTS_DICT
    if kind.is_loss or kind.outputs or kind.param_dict or kind.more_param_dicts or kind.positional_hyper:
        return None
    ours, theirs = _positional(backward), _positional(forward)
    if len(ours) < 2 or not theirs:
        return None
    names = [p.name.lower() for p in ours]
    if len(ours) == 3 and names[1] in _INPUTS_TUPLE and names[2] in _CACHE:
        return "inputs and cache"
    if any(n in _CACHE for n in names):
        return None
    if _mirrors([p.name for p in ours[1:]], theirs):
        return "mirror"
    if _mirrors([p.name for p in ours[:-1]], theirs) and ours[-1].name not in {p.name for p in theirs}:
        return "mirror, gradient last"
    return None


def _mirrors(given: list[str], theirs: list[Any]) -> bool:
    """Whether `given` are forward's own arguments, by name and in order, its required ones at least."""
    required = [p.name for p in theirs if p.default is p.empty]
    return bool(required) and given[: len(required)] == required and len(given) <= len(theirs) and \
        given == [p.name for p in theirs[: len(given)]]


class InputsFunctionLayer(Layer):
    """A function-style pair in one of the conventions of the module docstring."""

    def __init__(self, forward: Callable[..., Any], backward: Callable[..., Any], kind: Kind, case: Case,
                 style: str):
        self.kind, self.fwd, self.bwd, self.style = kind, forward, backward, style
        self.params: dict[str, np.ndarray] = {c: case.params[c] for c in kind.params}
        names = [p.name for p in _positional(forward)][1:]
        self.grad_names = {c: "d" + n for c, n in zip(kind.params, names)}
        #: what forward was given and what it returned after its output, for backward
        self.given: tuple[Any, ...] = ()
        self.cache: Any = None

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        self.given = (x, *(self.params[c] for c in self.kind.params))
        result = call(self.fwd.__name__, self.fwd, *self.given)
        if isinstance(result, tuple) and len(result) == 2:
            result, self.cache = result
        elif self.style == "inputs and cache":
            raise LayerCrash(self.fwd.__name__, f"returned {type(result).__name__}, expected (out, cache) for "
                             f"{self.bwd.__name__}(grad, inputs, cache)")
        return as_array(result, self.fwd.__name__)

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        name = self.bwd.__name__
        if self.style == "inputs and cache":
            result = call(name, self.bwd, dout, self.given, self.cache)
        elif self.style == "mirror, gradient last":
            result = call(name, self.bwd, *self.given[: len(_positional(self.bwd)) - 1], dout)
        else:
            result = call(name, self.bwd, dout, *self.given)
        parts = list(result) if isinstance(result, tuple) else [result]
        expected = 1 + len(self.kind.params)
        if len(parts) != expected:
            wanted = ", ".join(["dx", *(self.grad_names[c] for c in self.kind.params)])
            raise LayerCrash(name, f"returned {len(parts)} value(s), expected {expected} ({wanted})")
        dx = None if parts[0] is None else as_array(parts[0], name)
        grads = {c: None if g is None else self.kind.as_param_shape(self.params[c], as_array(g, name))
                 for c, g in zip(self.kind.params, parts[1:])}
        return dx, grads


def inputs_layer(forward: Callable[..., Any], backward: Callable[..., Any], kind: Kind, case: Case,
                 style: str) -> Layer:
    """The layer of a pair in `style` (`inputs_style`)."""
    if style == WEIGHTS_DICT:
        return WeightsDictLayer(forward, backward, kind, case)
    return InputsFunctionLayer(forward, backward, kind, case, style)


#: the style of a pair whose weights travel in one dict (`takes_weights_dict`)
WEIGHTS_DICT = "weights dict"
#: what a course calls the one dict holding all of a layer's weights
_WEIGHTS_DICTS = ("parameters", "params")


def takes_weights_dict(forward: Any, kind: Kind) -> bool:
    """Whether `forward` is deeplearning.ai's `rnn_cell_forward(xt, a_prev, parameters)`: its kind keeps its weights in
    a dict of that name (`Kind.param_dict`), and forward takes x, the states (`Kind.batch_params`) and the dict, no
    more (the course's `rnn_forward(X, Y, a0, parameters, vocab_size)` of the dinosaur names is another layer)."""
    if kind.param_dict not in _WEIGHTS_DICTS or not set(kind.params) - set(kind.batch_params):
        return False
    names = [p.name for p in _positional(forward)]
    return len(names) == 2 + len(kind.batch_params) and names[-1] == kind.param_dict


class WeightsDictLayer(Layer):
    """deeplearning.ai's course 5 cells and sequences: `forward(x, *states, parameters) -> (*outputs, cache)` with the
    weights in one dict, and `backward(*upstream, cache) -> gradients`, a dict keyed by 'd' + each name (dxt or dx for
    the input). The outputs backward takes an upstream gradient for come first (a_next, c_next: as many as backward
    takes before its cache); what follows them (the prediction yt_pred) is not differentiated by the course's
    backward and is not looked at. Several outputs are stacked along the first axis, the features of the course's
    columns, and backward gets the upstream gradient split there. The dict also holds the kind's fixed entries
    (`Kind.param_dict_keys`: the prediction's weights forward reads and nothing checks).

    A cell's 2-D arrays come in the course's columns already (the entry's `layout="columns"`). A sequence's do not:
    gradlab holds x (N, T, D) and the states (N, H) with the samples first, and the course (n_x, m, T_x) and (n_a, m)
    with the features first, so this layer moves the axes itself, as views (a write into x is still seen)."""

    def __init__(self, forward: Callable[..., Any], backward: Callable[..., Any], kind: Kind, case: Case):
        self.kind, self.fwd, self.bwd = kind, forward, backward
        self.params: dict[str, np.ndarray] = {c: case.params[c] for c in kind.params}
        self.grad_names = {c: "d" + c for c in kind.params}
        self.states = tuple(kind.batch_params)
        self.fixed = kind.function_param_dict(case.hyper)
        #: the input's gradient key: 'd' + forward's own name for it (dxt), or dx
        first = [p.name for p in _positional(forward)][:1]
        self.x_keys = tuple(dict.fromkeys(["d" + n for n in first] + ["dx", "dxt"]))
        self.upstream = max(len(_positional(backward)) - 1, 1)
        #: a sequence, whose samples-first arrays the course holds features first (see the class docstring)
        self.sequence = np.ndim(case.x) == 3
        self.heights: list[int] = []
        self.cache: Any = None

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        weights = {**self.fixed, **{c: v for c, v in self.params.items() if c not in self.states}}
        name = self.fwd.__name__
        given = [x, *(self.params[s] for s in self.states)]
        result = call(name, self.fwd, *(map(_features_first, given) if self.sequence else given), weights)
        if not (isinstance(result, tuple) and len(result) >= self.upstream + 1):
            raise LayerCrash(name, f"returned {type(result).__name__}, expected its outputs and then the cache (as "
                                   f"many outputs as {self.bwd.__name__} takes upstream gradients: {self.upstream})")
        outputs, self.cache = [as_array(o, name) for o in result[: self.upstream]], result[-1]
        if len(outputs) == 1:
            return _samples_first(outputs[0]) if self.sequence else outputs[0]
        self.heights = [o.shape[0] if o.ndim else 1 for o in outputs]
        try:
            return np.concatenate([o.reshape(o.shape or (1,)) for o in outputs], axis=0)
        except ValueError:
            raise LayerCrash(name, f"returned outputs of shapes {', '.join(str(o.shape) for o in outputs)}, which do "
                                   "not share their samples' axes") from None

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        from gradlab.conventions.function_style import fresh_containers

        name = self.bwd.__name__
        if self.sequence:
            dout = _features_first(dout)
        upstream = np.split(dout, np.cumsum(self.heights)[:-1], axis=0) if self.heights else [dout]
        result = call(name, self.bwd, *upstream, fresh_containers(self.cache))
        wanted = [self.x_keys[0], *self.grad_names.values()]
        if not isinstance(result, dict):
            raise LayerCrash(name, f"returned {type(result).__name__}, expected the course's dict of gradients "
                                   f"({', '.join(wanted)})")
        missing = [k for k in wanted[1:] if k not in result]
        if missing or not any(k in result for k in self.x_keys):
            lacks = missing if any(k in result for k in self.x_keys) else [self.x_keys[0], *missing]
            raise LayerCrash(name, f"returned a dict without {', '.join(repr(k) for k in lacks)} (it holds "
                                   f"{', '.join(map(repr, result)) or 'nothing'}): return {{{', '.join(wanted)}}} "
                                   "under those keys")
        found = {"x": next(result[k] for k in self.x_keys if k in result),
                 **{c: result[g] for c, g in self.grad_names.items()}}
        arrays = {k: None if g is None else as_array(g, name) for k, g in found.items()}
        if self.sequence:  # the input's and the states' gradients back to the samples first
            arrays = {k: _samples_first(g) if g is not None and (k == "x" or k in self.states) else g
                      for k, g in arrays.items()}
        dx = arrays.pop("x")
        return dx, {c: None if g is None else self.kind.as_param_shape(self.params[c], g) for c, g in arrays.items()}


def _features_first(a: np.ndarray) -> np.ndarray:
    """gradlab's samples-first array as deeplearning.ai's sequences hold it: (N, H) -> (H, N), (N, T, D) -> (D, N,
    T)."""
    return a.T if a.ndim == 2 else np.moveaxis(a, -1, 0)


def _samples_first(a: np.ndarray) -> np.ndarray:
    """The course's features-first array in gradlab's samples-first order (the inverse of `_features_first`); an
    array of another rank as it came (its wrong shape is the checker's to report)."""
    return a.T if a.ndim == 2 else np.moveaxis(a, 0, -1) if a.ndim == 3 else a


#: the keys of a course's dict a layer may as well hold as its own defaults: a batch norm's numerical settings and its
#: training mode, never a geometry (a stride or a padding changes what the layer computes)
_OWN_SETTINGS = frozenset({"eps", "momentum", "mode"})
#: other spellings of those settings as arguments
_SETTING_NAMES = {"epsilon": "eps"}


def settings_in_place_of_dict(forward: Any, kind: Kind) -> tuple[str, ...] | None:
    """What `forward` takes where the kind's dict of settings goes, when it is written without the dict: learners'
    `batchnorm_forward(x, gamma, beta, eps=1e-5)` and `batch_norm_forward(x, gamma, beta)` keep their epsilon (and
    train) themselves (()), and the much-copied `batchnorm_forward(x, gamma, beta, eps)` of Kratzert's post takes it
    by position (("eps",)): the dict's entries are given so, by the names forward spells them. None when forward has
    a place for the dict (a parameter that is required, or defaults to a dict or None, under another name), or the
    dict holds more than a layer's own settings (a geometry: the layer would compute something else)."""
    if not kind.param_dict or kind.more_param_dicts or kind.positional_hyper:
        return None
    try:
        params = list(signature(forward).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    place = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][1 + len(kind.params):]
    if not set(kind.param_dict_keys) | set(kind.param_dict_fixed) <= _OWN_SETTINGS:
        return _geometry_by_name(place, kind)
    named = []
    for p in place:
        key = _SETTING_NAMES.get(p.name.lower(), p.name.lower())
        if key not in _OWN_SETTINGS or key not in set(kind.param_dict_keys) | set(kind.param_dict_fixed):
            break
        named.append(key)
    if named or not place:
        return tuple(named)
    default = place[0].default
    own = default is not place[0].empty and default is not None and not isinstance(default, dict)
    return () if own else None


#: what learners and PyTorch call a geometry setting, by the case's hyper-parameter it is: a pooling window's one
#: size is its height, the width the same (`gradlab.cases.window_shapes` draws such a layer square windows)
_GEOMETRY = {"kernel_size": "pool_h", "pool_size": "pool_h", "size": "pool_h", "window_size": "pool_h",
             "window": "pool_h", "pool_h": "pool_h", "pool_height": "pool_h", "pool_w": "pool_w",
             "pool_width": "pool_w", "stride": "stride", "strides": "stride", "padding": "pad", "pad": "pad"}


def _geometry_by_name(place: list[Any], kind: Kind) -> tuple[str, ...] | None:
    """The dict's keys for a pooling forward that takes the dict's geometry as arguments of their own, by the names
    PyTorch and learners give them: `max_pool2d_forward(x, kernel_size=2, stride=2, padding=0)`, `maxpool_forward(X,
    size=2, stride=2)`, each given the case's values in its place. None where one of the dict's settings has no
    place (a padding may keep its default: the pooling kinds draw no padding) or the forward requires an argument
    gradlab does not know. A pooling's only: a convolution taking `stride=1, padding=1` is as often written for a
    bias of another shape (hipsternet's (F, 1)), and stays set aside as one taking its settings as numbers."""
    key_of: dict[str, str] = {}
    for key, source in kind.param_dict_keys.items():
        key_of.setdefault(source, key)  # CS231n's key first; a later one is an alias the dict carries beside it
    if "pool_h" not in key_of:
        return None
    named: list[str] = []
    for p in place:
        hyper = _GEOMETRY.get(p.name.lower())
        if hyper is None or hyper not in key_of or key_of[hyper] in named:
            if p.default is p.empty:
                return None
            break  # what follows keeps its defaults
        named.append(key_of[hyper])
    covered = {kind.param_dict_keys[k] for k in named}
    if "pool_h" in covered:
        covered.add("pool_w")  # one size: a square window
    needed = set(kind.param_dict_keys.values()) - {"pad"}
    return tuple(named) if named and needed <= covered else None


def loss_pair_kind(name: str) -> Kind | None:
    """The kind a function named `name` computes, when a derivative named after it sits next to it: a loss (`mse`,
    `mean_squared_error`, `binary_cross_entropy`: a kind's loss-function or class name), or an activation applied
    element by element (`tanh`, `sigmoid`, `relu`; `gradlab.conventions.derivative_classes.ActivationPairLayer`)."""
    kind = kind_for_loss_function(name) or kind_for_class(name) or kind_for_stem(name)
    if kind is None or kind.params:
        return None
    if kind.is_loss:
        return kind
    activation = kind.build is elementwise_case and not (kind.stochastic or kind.param_dict or kind.forward_inputs)
    return kind if activation else None


class LossPairLayer(Layer):
    """A loss written as two functions: `loss(y_true, y_pred)` returning the loss alone and `loss_prime(y_true,
    y_pred)` returning dL/dy_pred (either takes its arguments in the order their names say, as
    `gradlab.conventions.class_results.in_named_order` reads them). The derivative is taken at the very arrays the
    loss was given, and scaled by the upstream gradient (1 for the loss itself)."""

    def __init__(self, loss: Callable[..., Any], prime: Callable[..., Any], kind: Kind, case: Case):
        self.kind, self.loss, self.prime = kind, loss, prime
        self.params: dict[str, np.ndarray] = {}
        self.grad_names: dict[str, str] = {}
        self.given: tuple[Any, ...] = ()

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        result = call(self.loss.__name__, self.loss, *_in_named_order(self.loss, x, t))
        self.given = (x, t)
        if isinstance(result, tuple):
            raise LayerCrash(self.loss.__name__, f"returned a tuple of {len(result)}, expected the loss alone (its "
                             f"derivative is {self.prime.__name__})")
        return as_array(result, self.loss.__name__)

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        grad = call(self.prime.__name__, self.prime, *_in_named_order(self.prime, *self.given))
        return as_array(grad, self.prime.__name__) * float(dout), {}


#: a pair's first argument named as predictions (else it takes the labels first, as this style's `mse(y_true, y_pred)`
#: and Keras do; `mse(true, pred)`, `mse(target, output)`)
_PREDICTIONS = ("y_pred", "pred", "preds", "predicted", "prediction", "predictions", "y_hat", "yhat", "output",
                "outputs", "out", "p", "probs", "a", "al", "x", "logits", "scores", "activations", "y_predicted")


def _in_named_order(fn: Any, x: np.ndarray, t: np.ndarray | None) -> tuple[Any, ...]:
    """(t, x), or (x, t) when `fn`'s first argument is named as predictions."""
    arguments = _positional(fn)
    return (x, t) if arguments and arguments[0].name.lower() in _PREDICTIONS else (t, x)
