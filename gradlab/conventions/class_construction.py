"""Build a class-style layer as its course builds it, on gradlab's case (`gradlab.conventions.class_style`).

Constructors take the parameter arrays (`Affine(W, b)`) or the sizes (`Dense(n_in, n_out)`: the layer draws its own
weights, which gradlab then replaces with its own), and hyper-parameters by their usual names; a sample's shape, a
window's (height, width) or a learning rate by theirs. A constructor that unpacks a pair or takes shapes where
gradlab gave one number is built again so. A constructor that fails on what gradlab guessed is set aside with what
gradlab gave (`ConventionMismatch`); one named as the course names it that raises has crashed.
A layer of Omar Aflak's "neural network from scratch" article and its forks names its methods
`forward_propagation(input_data)` / `backward_propagation(output_error, learning_rate)`: the object built gets
`forward`/`backward` as other names of the same bound methods (its class is not changed).
Non-goal: calling the layer (`gradlab.conventions.class_style`).
"""

from __future__ import annotations

import inspect
import re
import traceback
from typing import Any

import numpy as np

from gradlab.conventions.calling import ConventionMismatch, crash_report, signature, uses_none
from gradlab.conventions.case_refusals import CaseRefused, one_filter_size, refuse_other_kernels
from gradlab.conventions.class_slots import PARAM_ALIASES, find_slot
from gradlab.conventions.method_names import PROPAGATION_METHODS, PROPAGATION_PAIRS, propagation_pair
from gradlab.conventions.random_sources import RANDOM_NAMES, random_source
from gradlab.conventions.regularisers import strengths
from gradlab.core.protocol import LayerSignatureError
from gradlab.kinds import Case, Kind

__all__ = ["LR_NAMES", "PROPAGATION_METHODS", "PROPAGATION_PAIRS", "SIZE_AND_HYPER_NAMES", "SIZE_NAMES", "STRIDE_NAMES",
           "construct", "given_no_array", "propagation_pair"]


# hyper-parameter names a class constructor may use, mapped to the case's hyper keys
_HYPER_ALIASES = {
    "stride": "stride", "pad": "pad", "padding": "pad",
    # a learner's own words for them: ConvLayer(num_filters, filter_size, channels_in, step=1, zero_pad=0)
    "strides": "stride", "step": "stride", "zero_pad": "pad", "zero_padding": "pad", "pad_size": "pad",
    "pool_h": "pool_h", "pool_height": "pool_h", "pool_size": "pool_h", "ph": "pool_h", "kernel_size": "pool_h",
    # a pooling class's one window size by other names (`AvgPool2D(size=2)`); only pooling cases have a pool_h
    "size": "pool_h", "window": "pool_h", "window_size": "pool_h", "pool": "pool_h",
    "pool_w": "pool_w", "pool_width": "pool_w", "pw": "pool_w",
    "dropout_ratio": "ratio", "ratio": "ratio", "p": "ratio", "drop_rate": "ratio", "rate": "ratio",
    "dropout_rate": "ratio", "drop_ratio": "ratio", "drop_prob": "ratio", "dropout_prob": "ratio",
    "keep_prob": "ratio", "keep_probability": "ratio",
    "eps": "eps", "epsilon": "eps", "momentum": "momentum",
    "G": "G", "num_groups": "G", "groups": "G", "group_num": "G", "n_groups": "G",
    "stateful": "stateful",
    "num_heads": "heads", "n_heads": "heads", "heads": "heads", "heads_num": "heads", "n_head": "heads",
    # the number of kernels of the videos' untied-bias Convolutional(input_shape, kernel_size, depth), respelled
    "kernel_depth": "depth", "n_filters": "depth", "num_filters": "depth", "n_kernels": "depth",
    "num_kernels": "depth", "filter_count": "depth",
}
#: a constructor's names for its stride: a pooling class without one pools its own way (`cases.refusals`)
STRIDE_NAMES = frozenset(name.lower() for name, key in _HYPER_ALIASES.items() if key == "stride")
#: constructor argument names for the sizes a kind reports by role (`Kind.sizes`)
SIZE_NAMES = {
    "in": ("input_size", "in_size", "n_in", "in_features", "input_dim", "in_dim", "fan_in", "n_inputs",
           "num_inputs", "inputs", "n_input", "dim_in", "input_units", "nin", "d_in", "input_nodes", "n_x",
           "units_prev", "units_in", "in_channels", "in_chans", "channels_in", "input_depth", "in_depth"),
    "out": ("output_size", "out_size", "n_out", "out_features", "output_dim", "out_dim", "fan_out", "units",
            "n_neurons", "neurons", "n_outputs", "num_outputs", "outputs", "n_output", "dim_out", "output_units",
            "nout", "d_out", "output_nodes", "n_units", "n_h", "hidden_size", "size", "out_channels", "out_chans",
            # a convolution's number of filters, in the "neural network from scratch" style's Conv2D(input_shape,
            # kernel_size, depth)
            "depth", "num_filters", "n_filters", "num_kernels", "n_kernels", "kernel_depth", "filter_count",
            "n_filter", "num_filter", "out_depth", "output_depth", "channels_out", "filters", "nb_filter"),
    "features": ("num_features", "n_features", "features", "dim", "size", "d", "d_in", "feature_dim", "input_size",
                 "in_features", "n_in", "input_dim", "n_channels", "channels", "num_channels", "normalized_shape",
                 "d_model", "num_parameters"),
    "vocab": ("vocab_size", "num_embeddings", "n_vocab", "vocab", "input_dim", "n_words"),
    "kernel": ("kernel_size", "filter_size", "ksize", "k_size", "kernel", "field", "receptive_field"),
    "dim": ("embedding_dim", "embed_dim", "dim", "d_model", "wordvec_size", "output_dim", "hidden_size"),
}
_ALL_SIZE_NAMES = {n for names in SIZE_NAMES.values() for n in names}
#: the sizes in and out as learners abbreviate them beyond the lists above: `input_d`, `output_d` (CaiFeipeng/numpy-nn's
#: Linear), `in_dimension`, `n_inp`, `in_chan` (a numpy transformer's Linear(in_chan, out_chan)):
#: a word for in or out, then one for a size, each optional but the first
_SIZE_WORDS = r"_?(d|dim|dims|dimension|size|features|units|nodes|neurons|channels|chan|chans|ch)?"
_SPELLED_ROLES = {"in": re.compile(rf"^(n_|num_)?(in|inp|input){_SIZE_WORDS}$"),
                  "out": re.compile(rf"^(n_|num_)?(out|outp|output){_SIZE_WORDS}$")}


def _named_role(name: str, roles: Any) -> str | None:
    """The role among `roles` (a kind's sizes) a constructor argument named `name` (lower case) is: by the lists of
    SIZE_NAMES, else by the in/out spellings above."""
    listed = next((r for r in roles if name in SIZE_NAMES.get(r, ())), None)
    if listed is not None:
        return listed
    return next((r for r in roles if r in _SPELLED_ROLES and _SPELLED_ROLES[r].match(name)), None)
#: the constructor arguments gradlab fills from the case's sizes and hyper-parameters, never an array
SIZE_AND_HYPER_NAMES = frozenset(_ALL_SIZE_NAMES | set(_HYPER_ALIASES))
#: constructor arguments for the shape of one sample, and for a window's (height, width)
_INPUT_SHAPE_NAMES = ("input_shape", "in_shape", "inputs_shape", "shape_in", "d_in", "input_dims", "image_shape")
_WINDOW_SHAPE_NAMES = ("filter_shape", "kernel_shape", "pool_shape", "window_shape", "pool_window")
#: what Python says when a number is used as a shape (`len(D_in)`, `D_in[0]`, `(*shape, n)`)
_NOT_A_SHAPE = ("object of type 'int' has no len()", "'int' object is not subscriptable",
                "'int' object is not iterable")
#: names of a learning rate, in a constructor or as backward's second argument
LR_NAMES = ("lr", "learning_rate", "alpha", "eta", "step_size", "learning_rate_init", "rate_of_learning")


def construct(cls: type, kind: Kind, case: Case) -> tuple[Any, str | None]:
    """The layer object, built as the course builds it, and the attribute holding a constructor's
    learning rate (set to 1, so that an update inside backward is the gradient), if any."""
    try:
        sig = signature(cls)
    except (TypeError, ValueError):
        sig = None
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    lr_name: str | None = None
    if sig is not None:
        args, kwargs, lr_name = _arguments(cls, sig, kind, case)
    _refuse_other_heads(cls, sig, kind, case)
    if one_filter_size(cls):  # F, C, k, _ = self.W.shape: no width to use, as if built from one kernel size
        refuse_other_kernels(cls.__name__, "size of its filters (F, C, k, _ = W.shape)", case, built="reads")
    try:
        obj = cls(*args, **kwargs)
    except TypeError as exc:
        # a constructor that unpacks a pair where gradlab gave one number (stride=None, then `sh, sw = stride`):
        # built again with each window hyper-parameter as a pair, and a kernel's one size as a square's two
        kernels: dict[str, Any] = {k: (v, v) for k, v in kwargs.items()
                                   if k.lower() in SIZE_NAMES["kernel"] and isinstance(v, int)}
        pairs = {k: (v, case.hyper.get("pool_w", v)) if _HYPER_ALIASES[k] == "pool_h" else (v, v)
                 for k, v in kwargs.items() if _HYPER_ALIASES.get(k) in ("stride", "pool_h") and isinstance(v, int)}
        pairs.update(kernels)
        # one that takes its sizes as shapes (`Dense(D_in=(784,), D_out=(10,))`, then `len(D_in)`): built again with
        # each size as a shape of one axis
        shapes = {k: (v,) for k, v in kwargs.items() if k.lower() in _ALL_SIZE_NAMES and isinstance(v, int)}
        unpacks, not_a_shape = "cannot unpack non-iterable int" in str(exc), any(w in str(exc) for w in _NOT_A_SHAPE)
        # a kernel's one size as its (height, width) first: CaiFeipeng/numpy-nn's `Conv2D(in_channels, out_channels,
        # kernel_size)` reads kernel_size[0] and kernel_size[1], and its channels stay numbers
        retries: list[dict[str, Any]] = [pairs] if unpacks else [kernels, shapes] if not_a_shape else []
        retries = [r for r in retries if r]
        if not retries:
            raise _construction_error(cls, sig, kind, exc, kwargs, bool(args)) from exc
        for i, retry in enumerate(retries):
            try:
                obj = cls(*args, **{**kwargs, **retry})
                break
            except (Exception, SystemExit) as again:
                if i == len(retries) - 1:
                    raise _construction_error(cls, sig, kind, again, kwargs, bool(args)) from again
    except (Exception, SystemExit) as exc:
        raise _construction_error(cls, sig, kind, exc, kwargs, bool(args)) from exc
    if kind.params and not any(isinstance(v, np.ndarray) for v in [*args, *kwargs.values()]):
        _built(obj, case)
        _handed_weights(obj, kind, case)
    pair = propagation_pair(type(obj))
    if pair is not None:
        _propagation_named(obj, kind, case, pair)
    _not_kept_inside(obj, kind)
    lr_attribute = None
    if lr_name is not None:
        lr_attribute = next((a for a in (lr_name, "lr", "learning_rate", "alpha", "eta")
                             if isinstance(getattr(obj, a, None), (int, float))), None)
    return obj, lr_attribute


def _built(obj: Any, case: Case) -> None:
    """A Keras-like layer built from its sizes that makes its weights in `build(input_shape)`, which its model (or its
    first forward) calls: called here with the case's input shape, the batch's axis first as Keras gives it, or one
    sample's shape where that raises. Nothing is done for a layer that already holds an array, or has no `build`."""
    build = getattr(obj, "build", None)
    if not callable(build) or any(isinstance(v, np.ndarray) and v.size for v in getattr(obj, "__dict__", {}).values()):
        return
    for shape in (tuple(case.x.shape), tuple(case.x.shape[1:])):
        try:
            build(shape)
            return
        except Exception:  # noqa: BLE001 - a build that refuses the shape leaves the layer as its constructor made it
            continue


#: methods through which a model hands a layer built from its sizes its weights (`set_param(W, b)`, Keras'
#: `set_weights([W, b])`), compared with underscores dropped and in lower case
_SETTERS = ("setparam", "setparams", "setparameters", "setweights", "setweight")


def _handed_weights(obj: Any, kind: Kind, case: Case) -> None:
    """A layer built from its sizes that holds no array until its model calls a setter: given the case's arrays
    through it, by the names of the setter's arguments (`set_param(W, b)`, `set_params(weights, bias)`), in the
    kind's order when the names say nothing, or as one list (`set_weights([W, b])`). `find_slot` then finds them
    where the setter put them. A setter that refuses them leaves the layer as it was built."""
    setter = next((getattr(obj, n) for n in dir(type(obj)) if n.lower().replace("_", "") in _SETTERS
                   and callable(getattr(obj, n, None))), None)
    if setter is None or any(isinstance(v, np.ndarray) and v.size for v in getattr(obj, "__dict__", {}).values()):
        return
    try:
        names = [p.name for p in inspect.signature(setter).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return
    aliases = {a.lower(): c for c in kind.params for a in PARAM_ALIASES.get(c, (c,))}
    arrays = [case.params[c].copy() for c in kind.params]
    given: list[Any]
    if len(names) == 1 and len(kind.params) > 1:
        given = [arrays]
    elif names and all(n.lower() in aliases for n in names):
        given = [case.params[aliases[n.lower()]].copy() for n in names]
    elif len(names) == len(kind.params):
        given = arrays
    else:
        return
    try:
        setter(*given)
    except Exception:  # noqa: BLE001 - a setter that wants something else: the layer stays as built
        return


def _not_kept_inside(obj: Any, kind: Kind) -> None:
    """Raises ConventionMismatch for a layer that keeps its parameters in an inner layer object, not in itself (CMU
    11-785's `Conv1d` holds `self.conv1d_stride1.W` and only passes calls on): the inner layer's class is the one
    to check, and is checked where it is defined."""
    own = vars(obj) if hasattr(obj, "__dict__") else {}
    if not kind.params or "params" in own or any(a in own for a in PARAM_ALIASES.get(kind.params[0], kind.params[:1])):
        return
    for attribute, inner in own.items():
        held = vars(inner) if hasattr(inner, "__dict__") and not isinstance(inner, (type, np.ndarray)) else {}
        if any(isinstance(held.get(a), np.ndarray) for a in PARAM_ALIASES.get(kind.params[0], kind.params[:1])):
            raise ConventionMismatch(
                f"{type(obj).__name__} keeps its parameters in self.{attribute}, a {type(inner).__name__}, and passes "
                f"its calls on: not checked as a whole; check {type(inner).__name__} itself")


def _propagation_named(obj: Any, kind: Kind, case: Case, pair: tuple[str, str] = PROPAGATION_METHODS) -> None:
    """The article's layer under the names gradlab calls; one that keeps no parameter of the kind's shapes is
    written for another layout (its `ConvLayer` is channels last, `input_shape = (i, j, d)`), and set aside."""
    obj.forward, obj.backward = (getattr(obj, m) for m in pair)
    for i, name in enumerate(kind.params):
        try:
            find_slot(obj, name, case.params[name], index=i, count=len(kind.params))
        except LayerSignatureError:
            raise ConventionMismatch(
                f"{type(obj).__name__} keeps no parameter {name!r} of the shape gradlab gives a {kind.name} layer, "
                f"{case.params[name].shape}: written for another layout (channels last, input_shape = (H, W, C)?), "
                "not checked") from None


def _refuse_other_heads(cls: type, sig: inspect.Signature | None, kind: Kind, case: Case) -> None:
    """A case of several attention heads is not one a class taking no number of heads can be handed (a learner's
    single-head SelfAttention(Wq, Wk, Wv)): set aside, as a layer asserting its geometry refuses a case."""
    if "heads" not in kind.hyper_args or case.spec.get("heads", 1) == 1 or sig is None:
        return
    if any(_HYPER_ALIASES.get(p.name) == "heads" or p.name in kind.hyper_args or p.kind is p.VAR_KEYWORD
           for p in sig.parameters.values()):
        return
    raise CaseRefused(f"{cls.__name__}(...)", "takes no number of heads, so it is checked with one head only")


def given_no_array(cls: type, kind: Kind, case: Case) -> bool:
    """Whether `construct` builds the class from sizes and settings alone, handing it no array (its weights are its
    own to make, now or in a later call such as `init(height, width, channels)` or `build(input_shape)`)."""
    try:
        args, kwargs, _ = _arguments(cls, signature(cls), kind, case)
    except (TypeError, ValueError):
        return False
    return not any(isinstance(v, np.ndarray) for v in [*args, *kwargs.values()])


def _arguments(cls: type, sig: inspect.Signature, kind: Kind,
               case: Case) -> tuple[list[Any], dict[str, Any], str | None]:
    positional = [p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    aliases = {a.lower(): c for c in kind.params for a in PARAM_ALIASES.get(c, (c,))}
    first = positional[0].name.lower() if positional else ""
    others = {p.name.lower() for p in positional[1:]}
    # Keras' Conv2D(filters, kernel_size): `filters` names W's array elsewhere, here their number beside other sizes
    counted = first in _ALL_SIZE_NAMES and bool(others & _ALL_SIZE_NAMES) and not others & set(aliases)
    by_array = first in aliases and not counted or not _takes_sizes(positional, kind, case)
    if by_array and positional and positional[0].name.lower() not in aliases and \
            positional[0].name.lower() in (*_INPUT_SHAPE_NAMES, *_ALL_SIZE_NAMES):
        by_array = False  # `Conv2D(D_in, D_out, filter_shape)`: shapes, for a kind that reports no sizes
    # the arrays go to the leading arguments that are not hyper-parameters: TimeGRU(Wx, Wh, stateful=False),
    # a version without bias, takes two
    arrays = next((i for i, p in enumerate(positional) if p.name in _HYPER_ALIASES), len(positional))
    args: list[Any] = [case.params[p] for p in kind.params][: arrays] if by_array else []
    kwargs: dict[str, Any] = {}
    lr_name = None
    sizes = dict(kind.sizes(case)) if kind.sizes is not None and not by_array else {}
    unnamed_roles = [r for r in sizes if not any(_named_role(p.name.lower(), (r,)) for p in positional)]
    for p in positional[len(args):]:
        lower = p.name.lower()
        role = _named_role(lower, sizes)
        if role is not None:
            if role == "kernel":  # one size for both axes: square filters only
                refuse_other_kernels(cls.__name__, p.name, case)
            kwargs[p.name] = sizes[role]
        elif p.name in kind.own_settings and p.default is not p.empty:  # not its default (`ELU(alpha=1.0)`)
            kwargs[p.name] = kind.own_settings[p.name]
        elif _HYPER_ALIASES.get(p.name) in case.hyper:
            kwargs[p.name] = _as_default_is(p, case.hyper, _HYPER_ALIASES[p.name])
        elif p.name in kind.hyper_args and p.name in case.hyper:  # spelled as the kind's own course spells it
            kwargs[p.name] = case.hyper[p.name]
        elif lower in _WINDOW_SHAPE_NAMES and p.default in (None, p.empty) and _window(case) is not None:
            kwargs[p.name] = _window(case)  # `MaxPool2D(filter_shape=(2, 2))`, a kernel's (height, width)
        elif lower in _INPUT_SHAPE_NAMES and p.default in (None, p.empty):
            # a library's layers are told the shape of one sample when a model is built (Keras' input_shape)
            kwargs[p.name] = tuple(case.x.shape[1:])
        elif lower in LR_NAMES and kind.params and (p.default is p.empty or not by_array):
            # the learning rate a layer that builds its own weights updates them with (a leaky ReLU's
            # alpha is its slope; a textbook layer's optional lr stays as it is)
            kwargs[p.name], lr_name = 1.0, p.name
        elif lower in RANDOM_NAMES and p.default is p.empty:
            kwargs[p.name] = random_source(lower)  # what draws the initial weights, which the case's then replace
        elif p.default is p.empty and unnamed_roles:
            kwargs[p.name] = sizes[unnamed_roles.pop(0)]  # `Dense(a, b)`: sizes in the kind's order
        elif p.default is p.empty:
            # gradlab's limit, not the layer's bug: not checked, and said so (a kernel size given as a shape)
            raise ConventionMismatch(
                f"{cls.__name__}.__init__ needs argument {p.name!r}, which gradlab cannot supply for a {kind.name} "
                f"layer; expected {cls.__name__}({', '.join(kind.params + kind.hyper_args)}): give it a default, "
                f"or say what it is with --kind")
    if not positional and any(p.kind is p.VAR_POSITIONAL for p in sig.parameters.values()):
        # `Reshape(*output_shape)`: the target shape written out as the arguments themselves
        args = list(case.hyper.get("output_shape", ()))
    kwargs.update(_keyword_settings(cls, sig, kind, case))
    _refuse_padding(cls, sig, case)
    return args, kwargs, lr_name


def _keyword_settings(cls: type, sig: inspect.Signature, kind: Kind, case: Case) -> dict[str, Any]:
    """Keyword-only hyper-parameters, and nnfs's penalty strengths, non-zero so that the code adding the penalty's
    gradient runs (`gradlab.conventions.regularisers`)."""
    out = {p.name: case.hyper[_HYPER_ALIASES[p.name]] for p in sig.parameters.values()
           if p.kind is p.KEYWORD_ONLY and _HYPER_ALIASES.get(p.name) in case.hyper}
    out.update({name: value for name, (_, _, value) in strengths(cls, kind.params).items()})
    return out


def _refuse_padding(cls: type, sig: inspect.Signature, case: Case) -> None:
    """Raises CaseRefused for a padded case given to a layer built with no padding argument (the "neural network
    from scratch" style's `Conv2D(input_shape, kernel_size, depth)`, valid only): its windows may not fit the image
    (H < kernel) at all, and its output is another function than the case's."""
    if not case.hyper.get("pad") or any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return
    if not any(_HYPER_ALIASES.get(p.name) == "pad" for p in sig.parameters.values()):
        raise CaseRefused(f"{cls.__name__}(...)", "is built with no padding argument, so it takes cases without "
                                                  "padding only")


def _window(case: Case) -> tuple[int, ...] | None:
    """The (height, width) of a pooling window, or of a convolution's kernel W (F, C, HH, WW); None for neither."""
    if "pool_h" in case.hyper:
        return int(case.hyper["pool_h"]), int(case.hyper.get("pool_w", case.hyper["pool_h"]))
    weights = case.params.get("W")
    return tuple(int(n) for n in weights.shape[2:]) if weights is not None and weights.ndim == 4 else None


def _as_default_is(p: inspect.Parameter, hyper: dict[str, Any], key: str) -> Any:
    """The case's hyper-parameter, as a pair when the argument's default is one (`kernel_size=(2, 2)`): the pool's
    (height, width), a stride twice."""
    value = hyper[key]
    if isinstance(p.default, tuple) and len(p.default) == 2 and not isinstance(value, tuple):
        return (value, hyper.get("pool_w", value)) if key == "pool_h" else (value, value)
    return value


def _takes_sizes(positional: list[inspect.Parameter], kind: Kind, case: Case) -> bool:
    """Whether the constructor takes sizes rather than arrays: a size name among its arguments, or
    as many required unnamed arguments as the kind has sizes and no parameter name."""
    if kind.sizes is None or not positional:
        return False
    roles = [r for r in kind.sizes(case) if r != "kernel"]  # a kernel size alone is a pool's or a hyper-parameter
    names = {p.name.lower() for p in positional}
    if any(_named_role(n, roles) for n in names):
        return True
    aliases = {a.lower() for c in kind.params for a in PARAM_ALIASES.get(c, (c,))}
    required = [p for p in positional if p.default is p.empty]
    return not (names & aliases) and len(required) == len(roles) and len(kind.params) != len(required)


def _construction_error(cls: type, sig: inspect.Signature | None, kind: Kind, exc: BaseException,
                        given: dict[str, Any] | None = None, arrays: bool = True) -> Exception:
    positional = [p for p in sig.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)] if sig is not None else []
    left = [p.name for p in positional if p.default is None and p.name not in (given or {})]
    lines = " ".join(f.line or "" for f in traceback.extract_tb(exc.__traceback__))
    left = [n for n in left if re.search(rf"\b{re.escape(n)}\b", lines)] or left  # those the failing lines read
    if left and uses_none(exc):
        # an argument gradlab cannot supply, left at its default None, that the constructor needs (a library's
        # Conv2D(D_in, D_out, filter_shape) told its output shape when its model is built): gradlab's limit
        return ConventionMismatch(
            f"{cls.__name__}({', '.join(p.name for p in positional)}) needs {', '.join(left)}, which gradlab cannot "
            f"supply for a {kind.name} layer (left at its default None, it raised {type(exc).__name__}: {exc}): not "
            f"checked; give {'it' if len(left) == 1 else 'them'} a default, or check it with gradlab.assert_backward")
    names = [p.name for p in positional[: len(kind.params)]]
    expected = [a for p in kind.params for a in PARAM_ALIASES.get(p, (p,))]
    if kind.params and names and not all(n in expected for n in names):
        # arguments not named as the course names them, given what gradlab guessed: its guess failed, not the layer
        what = "the parameter arrays" if arrays else \
            "sizes " + ", ".join(f"{k}={v}" for k, v in (given or {}).items() if isinstance(v, (int, tuple)))
        return ConventionMismatch(
            f"{cls.__name__}({', '.join(p.name for p in positional)}) raised {type(exc).__name__} when given "
            f"{what} ({exc}): not checked; gradlab builds {cls.__name__}({', '.join(kind.params)}) as the course "
            "does, or with sizes named like Dense(input_size, output_size)")
    return crash_report(f"{cls.__name__}(...)", exc)
