"""How `gradlab.conventions.discover` finds layers written in a course's or a library's own conventions.

deeplearning.ai's `linear_activation_forward(A_prev, W, b, activation)` (one layer per activation string,
`gradlab.conventions.activation_strings`) and its helpers `relu(Z) -> (A, cache)` with `relu_backward(dA,
cache)`; the numpy libraries' activation and loss objects and their `Activation(name)` layer
(`gradlab.conventions.library_objects`); a loss and its derivative as two functions, `mse(y_true, y_pred)` with
`mse_prime(y_true, y_pred)` (`gradlab.conventions.function_inputs`). A mix-in of the discoverer: it adds entries
and skips to the `Found` of the module being read, as the discoverer does.
Non-goal: running anything (the classes and functions are read, never called).
"""

from __future__ import annotations

import inspect
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradlab.conventions.activation_strings import Bound, activation_argument, activation_strings, returns_pair
from gradlab.conventions.class_results import required_count
from gradlab.conventions.derivative_classes import FlagDerivative, flag_argument
from gradlab.conventions.function_inputs import derivative_names, loss_pair_kind, takes_weights_dict
from gradlab.conventions.library_layers import is_library_class
from gradlab.conventions.library_objects import activation_names, object_role
from gradlab.conventions.registry import Entry
from gradlab.conventions.source_reading import BACKWARD
from gradlab.kinds import KINDS, Kind, kind_for_stem

if TYPE_CHECKING:
    from gradlab.conventions.discover import Found

__all__ = ["ConventionNames", "arguments_given", "fixed_parameters", "kind_for_pair", "required_beyond"]


class ConventionNames:
    """The discoverer's methods for the conventions above (see the module docstring)."""

    found: Found
    module: Any
    objects: dict[str, Any]
    used: set[str]
    given: dict[str, Kind]

    def entry(self, name: str, kind: Kind, convention: str, target: Any) -> Entry:
        raise NotImplementedError

    def add(self, key: tuple[int, ...], name: str, layer: str, what: str, entry: Entry) -> None:
        raise NotImplementedError

    def pair(self, name: str, forward: Any, stem: str, suffix: str) -> None:
        raise NotImplementedError

    def imported_forward(self, name: str) -> bool:
        """`<stem>_backward` defined here whose forward this module imports from a file beside it: deeplearning.ai's
        exports split a notebook in sections, `rnn_cell_forward` in forward_propagation_for_the_basic_rnn.py and, in
        back_propagation_in_rnn.py, `from <that module> import *` above `rnn_cell_backward`. The pair is checked here,
        where both are in reach, as the forward's file cannot know which file holds its backward. False otherwise (a
        forward from a library, or from a file elsewhere)."""
        m = BACKWARD.match(name)
        forward_name = f"{m['stem']}_forward{m['suffix'] or ''}" if m else ""
        forward = getattr(self.module, forward_name, None) if m else None
        if m is None or forward_name in self.objects or not inspect.isfunction(forward) or \
                not _beside(forward, self.module):
            return False
        self.objects[forward_name] = forward  # seen as if defined here, for the one pair it makes
        try:
            self.pair(forward_name, forward, m["stem"], m["suffix"] or "")
        finally:
            del self.objects[forward_name]
        return True

    def library_class(self, name: str, cls: type, kind: Kind | None) -> bool:
        """A numpy library's activation or loss object, or its `Activation(name)` layer (one layer per
        activation its module maps a name to: `Activation[relu]`); False for anything else."""
        role = object_role(cls)
        if role is not None:
            fits = kind is not None and (kind.is_loss if role == "loss" else not kind.is_loss and not kind.params)
            if fits:
                entry = self.entry(name, kind, "class", cls)  # type: ignore[arg-type]
                self.add((id(cls),), name, name, "class", replace(entry, options={"object": role}))
            else:
                self.found.skipped.append((name, f"{'a loss' if role == 'loss' else 'an activation'} object whose "
                                                 f"name gradlab does not know as one; say what it computes with a "
                                                 "'# gradlab: kind=...' comment above it"))
            return True
        named = activation_names(cls, self.module) if kind is None and is_library_class(cls) else None
        if not named:
            return False
        argument, activations = named
        for key, activation_kind in activations.items():
            if activation_kind is None:
                self.found.skipped.append((f"{name}[{key}]", f"{key}: an activation gradlab has no kind for"))
                continue
            entry = self.entry(f"{name}[{key}]", activation_kind, "class", cls)
            self.add((id(cls), hash(key)), entry.name, entry.name, "class",
                     replace(entry, options={"construct_with": {argument: key}}))
        return True

    def activation_pairs(self, forward: Any, backward: Any, layer: str, kind: Kind, stem: str) -> bool:
        """deeplearning.ai's `linear_activation_forward(A_prev, W, b, activation)` and its backward: one layer
        per activation string both handle, `linear_activation[relu]` (`gradlab.conventions.activation_strings`).
        False when the pair takes no activation argument."""
        argument = activation_argument(forward, after=1 + len(kind.params))
        back_argument = activation_argument(backward, after=2)
        if argument is None or back_argument is None or \
                required_beyond(Bound(forward, argument, ""), kind) is not None:
            return False
        forward_strings, backward_strings = activation_strings(forward, argument), activation_strings(backward,
                                                                                                      back_argument)
        if not forward_strings or not backward_strings:
            self.found.skipped.append((layer, f"{forward.__name__} takes {argument!r}, but gradlab cannot read which "
                                              "activations it handles (the course's code compares the argument "
                                              "with their names as strings): not checked"))
            return True
        options = dict(kind.course_stems.get(stem, {}))
        for value in dict.fromkeys(forward_strings + backward_strings):
            name = f"{layer}[{value}]"
            if value not in forward_strings or value not in backward_strings:
                has, lacks = (forward, backward) if value in forward_strings else (backward, forward)
                self.found.skipped.append((name, f"{has.__name__} handles activation {value!r} and "
                                                 f"{lacks.__name__} does not: not checked"))
                continue
            entry = self.entry(name, kind, "function", (Bound(forward, argument, value),
                                                        Bound(backward, back_argument, value)))
            self.add((id(forward), id(backward), hash(value)), name, name, "function",
                     replace(entry, options={**entry.options, **options}))
        return True

    def weights_dict_pair(self, forward: Any, backward: Any, layer: str, kind: Kind, stem: str) -> bool:
        """deeplearning.ai's course 5 cells, `rnn_cell_forward(xt, a_prev, parameters)` with its backward returning a
        dict of gradients (`gradlab.conventions.function_inputs.WeightsDictLayer`), in the course's layout (its
        `Kind.course_stems` options) and named for the outputs checked, `rnn_cell[a_next]`: the course's backward
        does not differentiate the prediction forward also returns. False for any other pair."""
        if not takes_weights_dict(forward, kind):
            return False
        options = dict(kind.course_stems.get(stem, {}))
        checked = options.pop("checked", "")
        name = f"{layer}[{checked}]" if checked else layer
        entry = self.entry(name, kind, "function", (forward, backward))
        self.add((id(forward), id(backward)), forward.__name__, name, "function",
                 replace(entry, options={**entry.options, **options}))
        return True

    def loss_pair(self, name: str, loss: Any) -> bool:
        """A loss or activation function with its derivative next to it, `mse` and `mse_prime`, `tanh` and
        `tanh_prime`: the layer `mse`, `tanh`. False when no derivative is named after it."""
        kind = self.given.get(name) or loss_pair_kind(name)
        prime_name = next((d for d in derivative_names(name) if inspect.isfunction(self.objects.get(d))), None)
        if prime_name is None and kind is not None and not kind.params and not kind.is_loss:
            return self.flag_pair(name, loss, kind)
        if kind is None or kind.params or prime_name is None:
            return False
        if required_count(self.objects[prime_name]) != (2 if kind.is_loss else 1):
            # a derivative taking the upstream gradient too (`softmax_grad(s, dout)`) is another convention
            return False
        self.used.update((name, prime_name))
        entry = self.entry(name, kind, "function", (loss, self.objects[prime_name]))
        self.add((id(loss),), name, name, "function", replace(entry, options={**entry.options, "pair": "prime"}))
        return True

    def flag_pair(self, name: str, activation: Any, kind: Kind) -> bool:
        """An activation that returns its derivative when a flag is set, `sigmoid(x, derivative=False)`: the layer
        `sigmoid`, its derivative `sigmoid(x, derivative=True)` (`gradlab.conventions.derivative_classes`). False
        when it has no such flag, or takes more than its input besides."""
        flag = flag_argument(activation)
        if flag is None or required_count(activation) != 1:
            return False
        self.used.add(name)
        entry = self.entry(name, kind, "function", (activation, FlagDerivative(activation, flag)))
        self.add((id(activation),), name, name, "function", replace(entry, options={**entry.options, "pair": "prime"}))
        return True

    def helper_pair(self, name: str, backward: Any) -> bool:
        """deeplearning.ai's activation helpers: `relu(Z) -> (A, cache)` with `relu_backward(dA, cache)`, the
        layer `relu` (a function returning the array alone is some other helper, the textbook's)."""
        m = BACKWARD.match(name)
        forward = self.objects.get(m["stem"]) if m and not m["suffix"] else None
        kind = kind_for_stem(m["stem"]) if m else None
        if m is None or kind is None or kind.params or not inspect.isfunction(forward) or not returns_pair(forward):
            return False
        self.used.add(name)
        self.add((id(forward), id(backward)), name, m["stem"], "function",
                 self.entry(m["stem"], kind, "function", (forward, backward)))
        return True


def _beside(fn: Any, module: Any) -> bool:
    """Whether function `fn` is defined in a file in `module`'s own folder."""
    try:
        return Path(inspect.getfile(fn)).resolve().parent == Path(module.__file__ or "").resolve().parent
    except (TypeError, OSError):
        return False


def kind_for_pair(forward: Any, stem: str) -> Kind | None:
    """The kind of a `<stem>_forward` function: among the kinds that share the stem, the one whose dict argument
    the forward names (deeplearning.ai's `conv_forward(A_prev, W, b, hparameters)` is its channels-last convolution,
    CS231n's `conv_forward_naive(x, w, b, conv_param)` its own), else the stem's kind. A course's stem
    (`Kind.course_stems`) that comes with a dict is that course's only with its dict: a learner's `pool_forward(X,
    size=2)` is no deeplearning.ai pooling, and stays an unknown name rather than be called with a dict it does not
    take."""
    names = {p.name for p in fixed_parameters(forward) or []}
    found = next((k for k in KINDS.values() if (stem in k.function_stems or stem in k.course_stems) and
                  k.param_dict and k.param_dict in names), None)
    if found is not None:
        return found
    kind = kind_for_stem(stem)
    if kind is not None and stem in kind.course_stems and stem not in kind.function_stems and kind.param_dict:
        return None
    return kind


def fixed_parameters(forward: Any) -> list[inspect.Parameter] | None:
    """The parameters of `forward`'s signature, or None when it has none to read or takes *args (then any number
    of arguments fits)."""
    try:
        params = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        return None
    return None if any(p.kind is p.VAR_POSITIONAL for p in params) else params


def arguments_given(kind: Kind) -> int:
    """How many positional arguments a forward of `kind` is given: x, the parameters, positional
    hyper-parameters, the dicts."""
    return 1 + len(kind.params) + len(kind.positional_hyper) + bool(kind.param_dict) + len(kind.more_param_dicts)


def required_beyond(forward: Any, kind: Kind) -> str | None:
    """The required arguments of `forward` past those a forward of `kind` is given (`arguments_given`), or None:
    CS231n students' `affine_relu_forward_helper(x, w, b, gamma, beta, bn_param, normalization, dropout,
    do_param)` is a helper, not an affine-ReLU."""
    params = fixed_parameters(forward)
    if params is None:
        return None
    given = arguments_given(kind)
    extra = [p.name for p in params[given:] if p.default is p.empty and p.kind is not p.VAR_KEYWORD]
    return ", ".join(extra) or None
