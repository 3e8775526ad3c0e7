"""One imported module's layers, found by the names courses give them (see `gradlab.conventions.discover`).

A class named as a kind is that kind's layer once its methods say so too: a recurrent step's forward takes its
states, a forward takes no more inputs than the kind's, a constructor does not split a recurrent layer's weights by
gate; a loss class holding its own activation is the combined kind. A forward/backward function pair is one layer
named after its stem, a backward with no forward of its own another backward of its stem's forward; a half of a
pair defined alone in its file is matched with the other half in the file beside it named after that function
(deeplearning.ai's exports, one function a file: linear_forward.py beside linear_backward.py). Each object is
checked once, under the first name it is seen under. The conventions of particular courses and libraries are the
mix-in `ConventionNames`.
Non-goal: running anything (the classes and functions are read, never called), importing the module
(`gradlab.conventions.discover`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import ModuleType
from typing import TYPE_CHECKING, Any

from gradlab.conventions.channels_last import CHANNELS_LAST, takes_channels_last
from gradlab.conventions.class_construction import propagation_pair
from gradlab.conventions.convention_names import (
    ConventionNames,
    arguments_given,
    fixed_parameters,
    kind_for_pair,
    required_beyond,
)
from gradlab.conventions.library_layers import is_library_class
from gradlab.conventions.loss_methods import combined_kind, loss_method
from gradlab.conventions.namesakes import kind_it_takes, namesakes
from gradlab.conventions.registry import Entry
from gradlab.conventions.source_reading import BACKWARD, FORWARD, activation_inside, returns_loss_only
from gradlab.kinds import KINDS, Kind, kind_for_class, kind_for_loss_function, kind_for_stem, normalise_class_name

if TYPE_CHECKING:
    from gradlab.conventions.discover import Found

__all__ = ["LayerFinder", "pair_name"]

#: the suffix of CS231n's reference implementations, which keep the plain stem as their name
_PLAIN_SUFFIXES = ("", "_naive")


def pair_name(stem: str, suffix: str = "") -> str:
    """The name of the layer `<stem>_forward<suffix>` / `<stem>_backward<suffix>`: `conv` for the
    `_naive` pair (and the plain one), `conv_fast`, `max_pool_reshape`, ... for the others."""
    return stem if suffix in _PLAIN_SUFFIXES else f"{stem}{suffix}"


def _defined_here(module: ModuleType) -> dict[str, Any]:
    return {n: o for n, o in vars(module).items()
            if not n.startswith("_") and getattr(o, "__module__", None) == module.__name__}


def _looks_like_layer_class(obj: Any) -> bool:
    return isinstance(obj, type) and (all(callable(getattr(obj, m, None)) for m in ("forward", "backward")) or
                                      all(callable(getattr(obj, m, None)) for m in ("forward_pass", "backward_pass")) or
                                      propagation_pair(obj) is not None)


def _takes_channels_last(entry: Entry, kind: Kind) -> bool:
    from gradlab.conventions.adapters import adapt  # the adapters build on what finds layers

    return takes_channels_last(entry, kind, adapt)


def _takes_states(cls: Any, kind: Kind) -> bool:
    """A recurrent step class's forward takes x and the previous states (`Kind.forward_inputs`): a class
    named `LSTM` whose forward takes a whole sequence alone is some other layer (ML-From-Scratch's
    `RNN.forward_pass(X, training=True)`: a library's optional flags are not states)."""
    library = not callable(getattr(cls, "forward", None))
    try:
        params = list(inspect.signature(cls.forward_pass if library else cls.forward).parameters.values())[1:]
    except (TypeError, ValueError, AttributeError):
        return True
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return True
    return len([p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and
                not (library and p.default is not p.empty)]) >= 1 + len(kind.forward_inputs)


def _weights_split_per_gate(cls: Any, kind: Kind) -> str:
    """Why a recurrent class is skipped when its constructor takes a matrix per gate (a reader's
    `GRU(Wx_z, Wx_r, Wx_h, Wh_z, Wh_r, Wh_h)`): the kind's cases hold the gates side by side in Wx and Wh,
    and which block is which gate cannot be told from the names alone; "" when it does not."""
    if not {"Wx", "Wh"} <= set(kind.params):
        return ""
    try:
        params = list(inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return ""
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    required = [p.name for p in params if p.kind in positional and p.default is p.empty]
    weights = [p for p in kind.params if p not in kind.forward_inputs]
    if len(required) <= len(weights) or not all(n.lower()[:1] in "wub" for n in required):
        return ""
    return (f"its constructor takes its weights split by gate, {len(required)} arrays ({', '.join(required)}); gradlab "
            f"checks {cls.__name__}({', '.join(weights)}) with the gates side by side in Wx and Wh: concatenate "
            "them, or check it with gradlab.assert_backward")


def _given_names(kind: Kind) -> str:
    """What gradlab passes a function-style forward of `kind`, as the course names it."""
    dicts = [d for d in (kind.param_dict, *kind.more_param_dicts) if d]
    return f"({', '.join(['x', *(p.lower() for p in kind.params), *kind.positional_hyper, *dicts])})"


def _own_argument_in_place(forward: Any, kind: Kind) -> str | None:
    """The forward's arguments when it takes fewer than gradlab gives and the last is none of the course's names:
    a learner's `conv_relu_pool_forward(x, w, b, sandwich_param)` holding conv and pool settings in one dict of its
    own. None otherwise (a forward missing the course's argument, `affine_forward(x, w)`, is run and crashes)."""
    params = fixed_parameters(forward)
    if params is None:
        return None
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    given = arguments_given(kind)
    names = {n.lower() for n in (*kind.params, *kind.positional_hyper, kind.param_dict or "", *kind.more_param_dicts)}
    lowered = {n.lower() for n in positional}
    if kind.params and lowered & _WEIGHT_DICTS and not lowered & {n.lower() for n in kind.params}:
        # deeplearning.ai's rnn_forward(X, Y, a0, parameters, vocab_size=71): as many arguments as the course's
        # rnn_forward(x, h0, Wx, Wh, b), but its weights in one dict of its own and its data index sequences
        return f"({', '.join(positional)})"
    if len(positional) >= given or len(positional) < 2 or positional[-1].lower() in names:
        return None
    return f"({', '.join(positional)})"


#: what a forward calls one dict holding all its weights, in place of the arrays a kind's forward is given
_WEIGHT_DICTS = {"parameters", "params", "weights_dict"}


def _labels_only_in_backward(cls: Any) -> bool:
    """forward(inputs) with one argument, backward(dvalues, y_true) with the labels: the loss is not forward's."""
    def positional(method: Any) -> list[inspect.Parameter]:
        try:
            params = list(inspect.signature(method).parameters.values())[1:]
        except (TypeError, ValueError):
            return []
        return [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    forward, backward = getattr(cls, "forward", None), getattr(cls, "backward", None)
    if not (inspect.isfunction(forward) and inspect.isfunction(backward)):
        return False
    return len(positional(forward)) == 1 and len(positional(backward)) >= 2


def _takes_more_inputs(cls: Any, kind: Kind) -> bool:
    """A forward that requires more inputs than x and the kind's `forward_inputs` is another layer of the
    same name: a transformer's `Attention.forward(q, k, v)` is not the second volume's `forward(hs, h)`."""
    try:
        params = list(inspect.signature(cls.forward).parameters.values())[1:]
    except (TypeError, ValueError, AttributeError):
        return False
    required = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    return len(required) > 1 + len(kind.forward_inputs)


class LayerFinder(ConventionNames):
    """One module's layers by their names; an object seen under a second name (an alias) is checked once."""

    def __init__(self, module: ModuleType, found: Found, given: Mapping[str, str],
                 sibling: Callable[..., Any] | None = None):
        self.module, self.found = module, found
        #: name -> the function of that name in the file beside this one named after it, or None; with phase=True,
        #: in the file beside named for the other phase (backward_propagation.py beside forward_propagation.py)
        self.sibling = sibling or (lambda name, phase=False: None)
        self.given = {name: KINDS[k] for name, k in given.items() if k in KINDS}
        self.objects = _defined_here(module)
        self.used: set[str] = set()
        # the first name each object (a class, a loss function, a forward/backward pair) was seen under,
        # and the layer it was checked as
        self.first: dict[tuple[int, ...], tuple[str, str]] = {}

    def add(self, key: tuple[int, ...], name: str, layer: str, what: str, entry: Entry) -> None:
        if key in self.first:
            seen, checked_as = self.first[key]
            self.found.skipped.append((layer, f"{name} is the same {what} as {seen}; checked once, as {checked_as}"))
            return
        self.first[key] = (name, layer)
        self.found.entries.append(entry)

    def entry(self, name: str, kind: Kind, convention: str, target: Any) -> Entry:
        entry = Entry(name, kind.name, convention, target, module=self.module.__name__, source=self.found.path)
        if kind.is_loss and name not in self.given and namesakes(name, kind):
            # a name two losses go by (HingeLoss: multiclass or binary): the one whose arrays the layer takes
            entry = replace(entry, kind=kind_it_takes(entry, kind).name)
        elif convention == "class" and name not in self.given and _takes_channels_last(entry, kind):
            entry = replace(entry, options={**entry.options, "channels": CHANNELS_LAST})  # Keras' Conv2D, MaxPool2D
        return entry

    def classes(self) -> None:
        for name, obj in self.objects.items():
            if isinstance(obj, type):
                kind = self.given.get(name) or kind_for_class(name)
                if kind is None and is_library_class(obj) and name.lower()[-2:] in ("1d", "2d"):
                    kind = _spelled_with_dimensions(name)
                if self.library_class(name, obj, kind):
                    continue
                if kind is not None and loss_method(obj) is not None:
                    # an output layer holding its loss (forward, loss(y), backward()): its activation and the loss
                    kind = combined_kind(kind) or kind
                inner = activation_inside(obj, vars(self.module)) if kind is not None and kind.is_loss else None
                if kind is not None and inner is not None and \
                        normalise_class_name(inner) not in normalise_class_name(name):
                    # a cross-entropy class holding its own Softmax (a learner's CategoricalCrossEntropy building
                    # self.activation = Softmax()) is the combined softmax and loss, on logits
                    combined = kind_for_class(inner + name)
                    if combined is None:
                        self.found.skipped.append((name, f"its forward applies {inner} before the {kind.name} loss, "
                                                         "a combination no kind covers: not checked; check the "
                                                         "activation and the loss apart"))
                        continue
                    kind = combined
                if kind is not None and kind.forward_inputs and not _takes_states(obj, kind):
                    # a recurrent step's second input is its state; an Add's or an attention's is another array
                    what = "previous state, so it is not a {} step" if {"Wx", "Wh"} <= set(kind.params) else \
                        "second input, so it is not the kind {}"
                    self.found.skipped.append((name, f"its forward takes no {what.format(kind.name)} "
                                                     f"(forward(x, {', '.join(kind.forward_inputs)}))"))
                elif kind is not None and kind.forward_inputs and _takes_more_inputs(obj, kind):
                    self.found.skipped.append((name, f"its forward requires more inputs than the {kind.name} kind's "
                                                     f"forward(x, {', '.join(kind.forward_inputs)}): another layer"))
                elif kind is not None and (split := _weights_split_per_gate(obj, kind)):
                    self.found.skipped.append((name, split))
                elif kind is not None and kind.is_loss and _labels_only_in_backward(obj):
                    # a library's combined softmax and cross-entropy whose model computes the loss elsewhere: its
                    # forward(inputs) is the softmax alone, so nothing it returns is the loss backward differentiates
                    self.found.skipped.append((name, f"named like a {kind.name} loss, but its forward takes no labels "
                                                     "and returns no loss (the labels come to backward only): nothing "
                                                     "to check its backward against; not checked"))
                elif kind is not None and _looks_like_layer_class(obj):
                    self.add((id(obj),), name, name, "class", self.entry(name, kind, "class", obj))
                elif kind is not None and callable(getattr(obj, "backward", None)):
                    # the nnfs book's later combined softmax + loss: its Model runs the forward elsewhere
                    self.found.skipped.append((name, f"named like a {kind.name} but has a backward and no forward: "
                                                     "nothing to check its backward against; give it its forward"))
                elif _looks_like_layer_class(obj):
                    self.found.skipped.append((name, "a class with forward/backward, but not a layer name gradlab "
                                                     "knows"))

    def functions(self) -> None:
        for name, obj in self.objects.items():
            if not inspect.isfunction(obj) or name in self.used:
                continue
            if not FORWARD.match(name) and self.loss_pair(name, obj):
                continue
            loss_kind = kind_for_loss_function(name) or (self.given.get(name) if name not in self.pairs() else None)
            if loss_kind is not None and not FORWARD.match(name):
                self.loss_function(name, obj, loss_kind)
            elif (m := FORWARD.match(name)) is not None:
                self.pair(name, obj, m["stem"], m["suffix"] or "")

    def loss_function(self, name: str, fn: Any, kind: Kind) -> None:
        self.used.add(name)
        if returns_loss_only(fn):
            self.found.skipped.append((name, f"{name} returns only the loss, not (loss, dx): a forward helper, not a "
                                             "layer gradlab can check (the textbook's functions.py has one)"))
        else:
            self.add((id(fn),), name, name, "function", self.entry(name, kind, "function", fn))

    def pair(self, name: str, forward: Any, stem: str, suffix: str) -> None:
        layer = pair_name(stem, suffix)
        backward_name = f"{stem}_backward{suffix}"
        backward = self.objects.get(backward_name) or self.alone_in_file(backward_name) or \
            _function_or_none(self.sibling(backward_name, phase=True))
        kind = self.given.get(name) or self.given.get(layer) or kind_for_pair(forward, stem)
        self.used.update((name, backward_name))
        if kind is None and suffix.startswith("_test") and callable(backward):
            # deeplearning.ai's public tests, whatever the layer they test (rnn_cell_forward_test(rnn_cell_forward))
            self.found.skipped.append((layer, f"{name} is a test of a layer, not a layer"))
        elif kind is None:
            self.found.skipped.append((layer, f"{name}: not a layer name gradlab knows"))
        elif not callable(backward):
            self.found.skipped.append((layer, f"{name} has no matching {backward_name}"))
        elif _takes_nothing(forward):  # deeplearning.ai's testCases.py: linear_forward_test_case() -> A, W, b
            self.found.skipped.append((layer, f"{name} takes no input: a helper that makes test data, not a "
                                              "layer"))
        elif suffix.startswith("_test"):  # deeplearning.ai's public_tests.py: linear_forward_test(target)
            self.found.skipped.append((layer, f"{name} is a test of a layer, not a layer"))
        elif self.activation_pairs(forward, backward, layer, kind, stem) or \
                self.weights_dict_pair(forward, backward, layer, kind, stem):
            return
        elif (own := _own_argument_in_place(forward, kind)) is not None:
            self.found.skipped.append((layer, f"{name} takes {own}, where a {kind.name} forward is given "
                                              f"{_given_names(kind)}: its own convention; not checked"))
        elif (extra := required_beyond(forward, kind)) is not None:
            self.found.skipped.append((layer, f"{name} also requires {extra}, which gradlab does not give a "
                                              f"{kind.name} forward: not checked"))
        else:
            entry = self.entry(layer, kind, "function", (forward, backward))
            if stem in kind.course_stems and name not in self.given and layer not in self.given:
                entry = replace(entry, options={**entry.options, **kind.course_stems[stem]})
            self.add((id(forward), id(backward)), name, layer, "function", entry)

    def alone_in_file(self, name: str) -> Any:
        """The function `name` from the file beside this module named after it, when this module defines one
        function only (a module of several keeps its pairs together; a missing half stays missing)."""
        functions = [o for o in self.objects.values() if inspect.isfunction(o)]
        found = self.sibling(name) if len(functions) == 1 else None
        return found if inspect.isfunction(found) else None

    def helper_pair(self, name: str, backward: Any) -> bool:
        """deeplearning.ai's `relu_backward(dA, cache)` (see `ConventionNames.helper_pair`), its `relu(Z)` in the
        file beside it when each is alone in a file of its own name (relu.py, relu_backward.py)."""
        if super().helper_pair(name, backward):
            return True
        m = BACKWARD.match(name)
        stem = m["stem"] if m and not m["suffix"] else ""
        forward = self.alone_in_file(stem) if stem and stem not in self.objects else None
        if forward is None:
            return False
        self.objects[stem] = forward  # seen as if defined here, for the one lookup the helper pair makes
        try:
            return super().helper_pair(name, backward)
        finally:
            del self.objects[stem]

    def pairs(self) -> set[str]:
        return {n for n in self.objects if FORWARD.match(n)}

    def unmatched_backwards(self) -> None:
        for name, obj in self.objects.items():
            if inspect.isfunction(obj) and "_backward" in name and name not in self.used:
                if self.alternative_backward(name, obj) or self.helper_pair(name, obj) or self.imported_forward(name):
                    continue
                m = BACKWARD.match(name)
                forward = f"{m['stem']}_forward{m['suffix'] or ''}" if m else ""
                if m and self.alone_in_file(forward) is not None:
                    self.found.skipped.append((name, f"a backward function with no matching forward here: its "
                                                     f"forward, {forward}, is in {forward}.py and read there"))
                elif m and _function_or_none(self.sibling(forward, phase=True)) is not None:
                    self.found.skipped.append((name, f"a backward function with no matching forward here: its "
                                                     f"forward, {forward}, is in the forward file beside, read there"))
                else:
                    self.found.skipped.append((name, "a backward function with no matching forward"))

    def alternative_backward(self, name: str, backward: Any) -> bool:
        """`<stem>_backward_<alt>` with no `<stem>_forward_<alt>` is another backward of `<stem>_forward`,
        checked against it as the layer `<stem>_<alt>` (CS231n's `batchnorm_backward_alt` takes
        `batchnorm_forward`'s cache)."""
        m = BACKWARD.match(name)
        forward = self.objects.get(f"{m['stem']}_forward") if m and m["suffix"] else None
        kind = kind_for_stem(m["stem"]) if m else None
        if m is None or not inspect.isfunction(forward) or kind is None:
            return False
        layer = f"{m['stem']}{m['suffix']}"
        self.used.add(name)
        if (extra := required_beyond(forward, kind)) is not None:
            # the forward it shares is set aside for the same reason (a learner's batchnorm_forward(x, gamma, beta,
            # bn_param, batchnorm, i, m)): calling it as the kind's forward would only crash
            self.found.skipped.append((layer, f"{m['stem']}_forward also requires {extra}, which gradlab does not "
                                              f"give a {kind.name} forward: not checked"))
            return True
        self.add((id(forward), id(backward)), name, layer, "function",
                 self.entry(layer, kind, "function", (forward, backward)))
        return True


def _spelled_with_dimensions(name: str) -> Kind | None:
    """The libraries' spelling: MaxPooling2D is a max pooling, numpy-ml's BatchNorm1D a batch norm, when the
    kind's input has the dimensions the name says: (N, D) for 1D, (N, C, H, W) for 2D. A Conv1D is no conv,
    and a 2D layer with parameters (numpy-ml's LayerNorm2D) normalises over other axes than gradlab's."""
    kind = kind_for_class(name[:-2])
    if kind is None or name.lower().endswith("2d") and kind.params:
        return None
    try:
        x = kind.case({"N": 2, **kind.batch_spec("class"), "seed": 0}).x
    except Exception:  # noqa: BLE001 - a kind built from fixed specs only: not guessed
        return None
    return kind if x.ndim == (2 if name.lower().endswith("1d") else 4) else None


def _takes_nothing(fn: Any) -> bool:
    try:
        return not any(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
                       for p in inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False


def _function_or_none(obj: Any) -> Any:
    return obj if inspect.isfunction(obj) else None
