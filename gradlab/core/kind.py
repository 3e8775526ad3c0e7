"""What a layer kind is: the one record the checker, the runner, the adapters and the grader read.

A *kind* (affine, relu, conv, ...) is everything gradlab knows about a layer without knowing who
wrote it. Each kind is one module of `gradlab.kinds` that builds one `Kind`; nothing outside that
module switches on a kind's name. A `Case` is one concrete test case built from a small shape spec.
Non-goal: calling layers (that is `gradlab.conventions`) or judging them (that is `gradlab.core.check`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Spec = dict[str, Any]
#: hypothesis's `draw` inside an `@st.composite` strategy
Draw = Callable[[Any], Any]


@dataclass
class Case:
    """One concrete test case: float64 arrays and the spec they were built from."""

    x: np.ndarray
    t: np.ndarray | None
    params: dict[str, np.ndarray]
    hyper: dict[str, Any]
    spec: Spec

    @property
    def N(self) -> int:
        return int(self.spec["N"])

    def describe(self) -> str:
        return describe_spec(self.spec)


def describe_spec(spec: Mapping[str, Any]) -> str:
    """A short human description such as `N=2, in_shape=3, out=2`."""
    parts = [f"N={spec['N']}"]
    for key, value in spec.items():
        if key in ("N", "seed"):
            continue
        if isinstance(value, tuple):
            value = "x".join(map(str, value)) if value else "()"
        parts.append(f"{key}={value}")
    return ", ".join(parts)


@dataclass(frozen=True)
class ForwardCheck:
    """The grader's verdict on one forward output; `zeros`/`size` let it see that dropout drops."""

    ok: bool
    message: str = ""
    zeros: int = 0
    size: int = 0


@dataclass(frozen=True)
class OptionalInput:
    """A richer input some versions of a layer take and others do not (a choice, not a bug).

    The layer is probed once on `probe` (a spec); if its output does not have shape `output` (or, with
    `backward_too`, its backward raises), it is checked on plain inputs only (`flat_input=True` in `draw_shape`)
    and `note` is a warning.
    """

    probe: Spec
    output: tuple[int, ...]
    note: str  # formatted with {name} and {checked} ("checked" or "graded"); "" when either is as right
    #: whether backward must take it too: where either input is a layer's own contract (an embedding's (N,) or
    #: (N, T) indices), a forward that indexes either (W[xs]) says nothing of a backward written for one
    backward_too: bool = False


@dataclass(frozen=True)
class ParameterForms:
    """The shapes one parameter takes in layers that are all right: PReLU's slope is one number in some, one per
    feature of (N, D) in others, one per channel of (N, C, H, W) in others still.

    Each form is a spec override. The layer is probed once with each, in order, and its cases are drawn with the
    first under which forward keeps x's shape and backward returns `param`'s gradient with as many values as the
    parameter has: a layer written for one slope returns one number when given one per feature, where the shape
    alone cannot say whether it meant one slope or summed over every axis by mistake; its own code can. A layer
    under which no form runs is checked on the kind's own draws, where its gradient shows what is wrong.
    """

    param: str
    forms: tuple[Spec, ...]


@dataclass(frozen=True)
class CarriedState:
    """A time layer's contract to carry its state from one forward to the next (`stateful=True`).

    A case whose hyper-parameters say `stateful` builds the layer with `stateful=True` and calls it
    twice: the first forward (on the case's sequence reversed in time) leaves its last state in the
    attributes `attributes` (h, then c); the second, the one checked, starts from it. That carried
    h is then checked as an input of the second call, named `param`, its gradient read from the first
    of `gradients` the layer has (the book's `self.dh`); the other state attributes are held as carried.
    """

    attributes: tuple[str, ...] = ("h",)
    gradients: tuple[str, ...] = ("dh",)
    param: str = "h0"


def _no_extremes(convention: str) -> list[Spec]:
    return []


def _no_cautions(convention: str) -> list[tuple[Spec, str]]:
    return []


def _not_drawn(*args: Any, **kwargs: Any) -> Spec:
    raise NotImplementedError("this kind is built from fixed specs only (it has no draw_shape / batch_spec)")


@dataclass(frozen=True)
class Kind:
    """Everything about one kind of layer; see any module of `gradlab.kinds` for a filled-in one."""

    name: str
    #: class names it goes by, normalised (lower case, no underscores)
    class_names: tuple[str, ...]
    #: build a concrete case from a spec and a seeded generator (values reproducible from spec['seed'])
    build: Callable[[Spec, np.random.Generator], Case]
    #: draw the kind's part of a spec (sizes, labels, hyper-parameters); N, scale and seed are drawn around it
    draw_shape: Callable[..., Spec] = _not_drawn
    #: a small fixed spec (N excluded) for the batch-versus-per-sample run, given the convention
    batch_spec: Callable[[str], Spec] = _not_drawn
    function_stems: tuple[str, ...] = ()
    #: function stems of one course that imply a convention (layout, weights, gradients of the batch
    #: mean): deeplearning.ai's `linear_forward`/`linear_backward` is an affine layer in its own
    course_stems: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    loss_functions: tuple[str, ...] = ()
    #: how a loss function of this kind is called: "x" the input, "y" the labels, a parameter's name, a
    #: hyper-parameter's name (CS231n assignment 1's `svm_loss_naive(W, X, y, reg)`); it returns (loss,
    #: gradient of the first differentiable argument)
    loss_args: tuple[str, ...] = ("x", "y")
    #: parameters in canonical order (the order of constructor arguments and of backward's tuple)
    params: tuple[str, ...] = ()
    is_loss: bool = False
    mixes_samples: bool = False
    stochastic: bool = False
    x_differentiable: bool = True
    #: batch norm on one or two samples is degenerate (zero variance, dx ~ 0): nothing to diagnose there
    min_batch: int = 1
    #: input scales drawn for a case (ordinary first: shrinking goes there); () draws none
    scales: tuple[float, ...] = (1.0, 0.01, 30.0)
    #: fixed cases every run adds, checked for finiteness only (logits of magnitude 1000 for a softmax)
    extreme_specs: Callable[[str], list[Spec]] = _no_extremes
    #: fixed cases a layer that is right may still turn non-finite on, each with the sentence that says why: checked
    #: for finiteness only, and a non-finite result there is a warning, never a failure (a softmax loss written
    #: -log(p[y]), as a course's own provided code is, is inf where p[y] underflows to 0)
    caution_specs: Callable[[str], list[tuple[Spec, str]]] = _no_cautions
    #: the function-style dict argument (e.g. "conv_param"): its keys from case.hyper, and fixed entries
    param_dict: str | None = None
    param_dict_keys: Mapping[str, str] = field(default_factory=dict)
    param_dict_fixed: Mapping[str, Any] = field(default_factory=dict)
    #: function style: hyper-parameters a forward takes positionally after its parameters and before
    #: `param_dict` (CS231n's `spatial_groupnorm_forward(x, gamma, beta, G, gn_param)`)
    positional_hyper: tuple[str, ...] = ()
    #: function style: further dicts after `param_dict`, by name, each (its keys from case.hyper, its fixed
    #: entries): a sandwich layer takes one per inner layer (`conv_relu_pool_forward(x, w, b, conv_param,
    #: pool_param)`)
    more_param_dicts: Mapping[str, tuple[Mapping[str, str], Mapping[str, Any]]] = field(default_factory=dict)
    #: the other shapes a parameter's gradient may come in and still be taken (reshaped) as the parameter's,
    #: given the parameter's shape: CS231n documents group norm's gamma as (C,) (2019) and (1, C, 1, 1)
    #: (since), and a layer written for either is right
    gradient_shapes: Callable[[tuple[int, ...]], tuple[tuple[int, ...], ...]] | None = None
    #: constructor arguments besides the parameters, named in a "how gradlab constructs it" message
    hyper_args: tuple[str, ...] = ()
    #: settings of the layer's own choosing (an ELU's alpha, 1 by default), by argument name, and the value gradlab
    #: gives a forward or constructor that takes one with a default: at the usual default a slip leaving it out of
    #: the backward (`np.exp(x)` where `alpha * np.exp(x)` belongs) computes the same numbers and passes
    own_settings: Mapping[str, float] = field(default_factory=dict)
    #: the label encodings a case may draw (spec key "labels") for a loss whose targets are classes;
    #: a layer that accepts only some of them is checked with those, and told so
    label_encodings: tuple[str, ...] = ()
    #: False: the cases use the first encoding, the others are only a fallback for a layer that refuses it (the
    #: second volume's time loss takes indices; a learner's copy on a one-hot-only softmax gets one-hot), so a
    #: layer that accepts the first is not told it refuses the others
    label_fallback_only: bool = False
    #: grading: the outputs accepted as a correct forward (None: the reference layer's output only)
    forward_candidates: Callable[[Case], list[np.ndarray]] | None = None
    #: grading: a custom acceptance test of the forward output, replacing the comparison above
    forward_accepts: Callable[[np.ndarray, Case], ForwardCheck] | None = None
    #: grading: a forward that never zeroes an output over many cases is the wrong function (dropout)
    must_drop: bool = False
    #: a richer input that not every version of the layer takes (the textbook's 4-D Affine)
    optional_input: OptionalInput | None = None
    #: the shapes a parameter may take in a right layer, the one checked found by probing (PReLU's slope)
    parameter_forms: ParameterForms | None = None
    #: the sizes a constructor that builds its own parameters takes (`Dense(n_in, n_out)`), by role:
    #: "in", "out", "features", "vocab", "dim"; the conventions map argument names to roles
    sizes: Callable[[Case], dict[str, int]] | None = None
    #: a kind's own reading of a failing gradient, where it knows a term the general diagnosis cannot
    #: (a linear classifier's regularisation): (case, parameter name or "x", analytic, numeric, the layer's
    #: output) -> (code, sentence), or None to keep the general diagnosis. A reading whose `reads_upstream`
    #: attribute is True is also given `upstream=` the dout backward was given (a normalisation's mean and
    #: variance paths are sums of it)
    explain: Callable[..., tuple[str, str] | None] | None = None
    #: a law the forward itself must obey, beyond what its gradients show (dropout's kept units scaled by
    #: 1 / the fraction kept, or not at all): (forward on any input of the case's kind, case) -> (bug code,
    #: what is wrong), or None. A backward consistent with a wrongly scaled forward passes every gradient check
    forward_law: Callable[[Callable[[np.ndarray], np.ndarray], Case], tuple[str, str] | None] | None = None
    #: a law relating the forward's training and evaluation modes, for a layer whose convention has both
    #: (`forward_eval`): (forward in training, forward in evaluation, case) -> (bug code, what is wrong), or None.
    #: A dropout scaled in neither mode agrees with its backward; only its two modes side by side show it
    mode_law: Callable[[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray], Case],
                       tuple[str, str] | None] | None = None
    #: the law for a layer of such a kind that has no evaluation mode at all (at test it is left out, or passes x):
    #: (forward in training, case) -> (bug code, what is wrong), or None
    modeless_law: Callable[[Callable[[np.ndarray], np.ndarray], Case], tuple[str, str] | None] | None = None
    #: the role the MNIST trainer may give it (see gradlab.training.verified.ROLE_KINDS), if any
    training_role: str | None = None
    #: function style: the names of a forward's several outputs before its cache (`lstm_step_forward`
    #: returns next_h, next_c, cache); gradlab sees them joined along the last axis, and the backward
    #: gets the upstream gradient split back, one argument per output (`lstm_step_backward(dnext_h,
    #: dnext_c, cache)`)
    outputs: tuple[str, ...] = ()
    #: parameters that hold one row per sample (an RNN's initial hidden state h0, `prev_h`): a sample
    #: run alone takes its own row, and their batch gradient is compared row by row, as dx is
    batch_params: tuple[str, ...] = ()
    #: a loss function's arguments carried in the labels array t (`temporal_softmax_loss`'s y and mask,
    #: stacked on a last axis), so that a sample's slice of t holds all of them: t -> {argument: array}
    label_args: Callable[[np.ndarray], dict[str, np.ndarray]] | None = None
    #: the layer's contract is one backward per forward (the second volume's TimeSoftmaxWithLoss turns
    #: its cached softmax into dx in place): a class-style layer is run forward again, on the same
    #: inputs, before a second backward, so that asking twice is not taken for state kept between calls
    one_backward_per_forward: bool = False
    #: class style: parameters a class takes as forward arguments after x, not in its constructor (the
    #: second volume's `RNN.forward(x, h_prev)`, `LSTM.forward(x, h_prev, c_prev)`); backward returns their
    #: gradients after dx (`(dx, dh_prev, dc_prev)`) and takes one upstream gradient per output
    forward_inputs: tuple[str, ...] = ()
    #: class style: a layer that is not a loss whose forward still takes the case's integer array t after x
    #: (the second volume's `EmbeddingDot.forward(h, idx)`: which rows of W each sample is scored against)
    forward_takes_t: bool = False
    #: class style: the state a `stateful=True` layer carries between calls, checked in the cases whose hyper
    #: says `stateful` (the second volume's TimeRNN, TimeLSTM, TimeGRU); None: no such contract
    carried_state: CarriedState | None = None
    #: class style: parameters an earlier published version of the layer does not have (the second volume's
    #: first GRU(Wx, Wh) and TimeGRU(Wx, Wh, stateful=False) had no bias): a class that keeps none is checked
    #: with it held at zero in the case, and its gradient is not asked for
    optional_params: tuple[str, ...] = ()
    #: constants a layer may keep where an optional parameter would be (a fixed sinusoidal table where a learned
    #: one is W), for the parameter's shape: an array holding one of them is not that parameter
    constant_tables: Callable[[tuple[int, ...]], list[np.ndarray]] | None = None
    #: class style: the values a version with no parameters at all applies them at (a LayerNorm without gamma and
    #: beta normalises only: gamma 1, beta 0); a class that takes and keeps no array is checked with them held there
    without_params: tuple[tuple[str, float], ...] = ()
    #: those of `optional_params` a version without them applies as the identity, not as zero (a self-attention
    #: without its output projection Wo): held at the identity matrix in the case
    identity_params: tuple[str, ...] = ()
    #: class style: a loss whose `backward(dvalues, y_true)` is given what its forward left in `self.output` (the
    #: nnfs book's combined softmax and cross-entropy takes the softmax's probabilities), not the input x
    backward_takes_output: bool = False

    @property
    def class_targets(self) -> bool:
        """A loss whose targets are classes of (N, C) scores (else real targets shaped like its input)."""
        return bool(self.label_encodings)

    @property
    def index_labels(self) -> bool:
        """A loss function of this kind is called with class indices, never one-hot labels (CS231n)."""
        return "index" in self.label_encodings

    def holds_constant(self, held: Any, ours: np.ndarray) -> bool:
        """Whether the array a layer keeps where an optional parameter would be holds one of the kind's constants
        (`constant_tables`), at the precision it is kept in: a transformer's fixed sinusoidal table, stored as
        `self.encoding` for more positions than a case has, is no learned table."""
        if self.constant_tables is None or not isinstance(held, np.ndarray) or held.ndim != ours.ndim or \
                any(h < o for h, o in zip(held.shape, ours.shape)):
            return False
        part = held[tuple(slice(0, o) for o in ours.shape)].astype(np.float64)
        tol = 1e-4 if held.dtype == np.float32 else 1e-9
        return any(np.allclose(part, table, rtol=0.0, atol=tol) for table in self.constant_tables(ours.shape))

    def hold_absent(self, name: str, value: np.ndarray) -> None:
        """Holds the optional parameter `name` in a case where the layer has none: at the value a version without
        parameters applies it at (`without_params`), the identity, or zero."""
        fixed = dict(self.without_params)
        value[...] = fixed[name] if name in fixed else \
            np.eye(*value.shape) if name in self.identity_params and value.ndim == 2 else 0

    def case(self, spec: Spec) -> Case:
        """The concrete float64 case for `spec` (reproducible from spec['seed'])."""
        return self.build(spec, np.random.default_rng(int(spec.get("seed", 0))))

    def function_param_dict(self, hyper: Mapping[str, Any]) -> dict[str, Any]:
        """The dict a function-style forward takes (`conv_param`, `bn_param`, ...) for a case's hyper."""
        out = {key: hyper[source] for key, source in self.param_dict_keys.items() if source in hyper}
        out.update(self.param_dict_fixed)
        return out

    def function_extra_args(self, hyper: Mapping[str, Any]) -> list[Any]:
        """What a function-style forward takes after x and the parameters: positional hyper-parameters,
        then `param_dict` and `more_param_dicts` in order."""
        args: list[Any] = [hyper[h] for h in self.positional_hyper]
        if self.param_dict:
            args.append(self.function_param_dict(hyper))
        for keys, fixed in self.more_param_dicts.values():
            args.append({**{key: hyper[source] for key, source in keys.items() if source in hyper}, **fixed})
        return args

    def as_param_shape(self, param: np.ndarray, grad: np.ndarray, *, update_law: bool = True) -> np.ndarray:
        """`grad` in `param`'s shape when it comes in one of the shapes the kind takes as the same
        (`gradient_shapes`) and the update `param - lr * grad` keeps param's shape; otherwise as it came (a wrong
        shape is the checker's to report). A (C,) dgamma of a (1, C, 1, 1) gamma holds the right values, but the
        update would make gamma (1, C, 1, C): the notebook's own check broadcasts it, and `gamma -= lr * dgamma`
        raises. Without `update_law` (a class handed gradlab's parameter, whose shape gradlab drew, not the caller
        the layer was written for: either shape of gamma may be the one it expects), any accepted shape is taken."""
        if self.gradient_shapes is None or grad.shape == param.shape:
            return grad
        if grad.shape not in self.gradient_shapes(param.shape) or \
                update_law and not _update_keeps(param.shape, grad.shape):
            return grad
        return grad.reshape(param.shape)


def _update_keeps(have: tuple[int, ...], got: tuple[int, ...]) -> bool:
    """Whether `param - lr * grad` keeps param's shape `have` for a gradient of shape `got`."""
    try:
        return np.broadcast_shapes(have, got) == tuple(have)
    except ValueError:
        return False
