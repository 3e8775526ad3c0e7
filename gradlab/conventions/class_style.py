"""Class-style layers (the textbook, its second volume, learners' projects): a class per layer.

`forward(x)` returns the output and `backward(dout)` returns dx, with parameter gradients left where
`gradlab.conventions.class_slots` finds them. Constructors take the parameter arrays (`Affine(W, b)`)
or the sizes (`Dense(n_in, n_out)`, the layer draws its own weights, which gradlab then replaces
with its own), plus hyper-parameters by their usual names (`gradlab.conventions.class_construction`).
A backward that takes a learning rate (`backward(grad, learning_rate)`) and updates the weights itself
is called with a learning rate of 1 on gradlab's arrays: the gradient is `W_before - W_after`, and the
arrays are put back. A forward and backward that return nothing and leave their results in attributes
(the "Neural Networks from Scratch" book's `self.output` and `self.dinputs`, `self.dweights`) are read there.
Which of these a layer's methods take is read from their signatures by `gradlab.conventions.class_signatures`.
Non-goal: deciding whether a gradient is right (that is `gradlab.core.check`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.conventions.calling import (
    ConventionMismatch,
    RandomStateKeeper,
    as_array,
    call,
    has_required_arg,
    keyword_it_takes,
)
from gradlab.conventions.class_construction import construct, given_no_array
from gradlab.conventions.class_results import (
    DX_ATTRIBUTES,
    LOSS_ATTRIBUTES,
    OUTPUT_ATTRIBUTES,
    PreviousLayer,
    adaptive_step,
    as_samples,
    attributes_before,
    in_named_order,
    input_then_gradient,
    labels_only,
    left_in_attribute,
    mean_of_sample_losses,
    predictions_then_labels,
    previous_layer_argument,
    required_count,
    scalar_left_in_attribute,
)
from gradlab.conventions.class_signatures import (
    TRAIN_FLAGS,
    cache_argument,
    forward_takes_what_gradlab_gives,
    holds_no_array,
    keeps_no_array,
    learning_rate_argument,
    only_varargs,
    parameter_names,
)
from gradlab.conventions.class_slots import Slot, find_slot
from gradlab.conventions.eval_mode import class_forward_eval
from gradlab.conventions.gradient_shapes import ShapeNote, hidden_shape_notes
from gradlab.conventions.grads_in_place import held_gradient_arrays, replaced_gradient_notes
from gradlab.conventions.loss_methods import loss_method
from gradlab.conventions.optimizer_objects import record_gradients
from gradlab.conventions.returned_gradients import split_returned
from gradlab.conventions.shape_counts import forward_counting_shapes
from gradlab.conventions.training_mode import enter_training_mode
from gradlab.conventions.unreduced_mean import UNREDUCED
from gradlab.conventions.update_methods import accumulators
from gradlab.core.protocol import Layer, LayerSignatureError
from gradlab.kinds import Case, Kind

__all__ = ["ClassLayer"]


class ClassLayer(Layer):
    """A class-style layer seen through gradlab's native protocol (see the module docstring)."""

    def __init__(self, cls: type, kind: Kind, case: Case):
        self.kind = kind
        self.obj, self.lr_attribute = construct(cls, kind, case)
        #: whether backward takes forward's cache after dout (`forward(x) -> (out, cache)`, `backward(dout, cache)`)
        self.takes_cache = cache_argument(self.obj)
        #: what forward returned after its output, for such a backward
        self.cache: Any = None
        self.params: dict[str, np.ndarray] = {}
        self.slots: dict[str, Slot] = {}
        self.views: dict[str, np.ndarray] = {}
        self.grad_names: dict[str, str] = {}
        #: what the latest backward's gradient shapes say (a (1, M) bias's gradient returned as (M,))
        self.shape_notes: list[ShapeNote] = []
        #: optional parameters (`Kind.optional_params`) this layer does not have, held at zero in the case
        self.held_at_zero: list[str] = []
        self._install_params(cls, kind, case)
        self.zeroed = accumulators(self.obj, list(self.slots.values()))
        self.rng = RandomStateKeeper(int(case.hyper.get("seed", 0)), self.obj) if kind.stochastic else None
        #: the optimizer object backward hands its gradients to, replaced by one that records them
        self.recorder = record_gradients(self.obj) if self.slots else None
        enter_training_mode(self.obj)  # a mode kept in the layer and switched by a call (`is_training(True)`)
        #: parameters the layer replaced with new arrays (self.W = self.W - lr * dW) during a call
        self.rebound: set[str] = set()
        self.train_kw = keyword_it_takes(self.obj.forward, TRAIN_FLAGS)
        # a backward that names the flag too (`backward(dZ, training=False)` passing dZ through unless training)
        self.backward_train_kw = next((f for f in TRAIN_FLAGS if f in parameter_names(self.obj.backward)), None)
        forward_takes_what_gradlab_gives(self.obj, kind)
        # a loss's second argument is its labels (nnfs's backward(dvalues, y_true)), not a learning rate
        #: backward(x, top_diff): given forward's input again, with dout after it (no learning rate)
        self.input_first = not kind.is_loss and input_then_gradient(self.obj.backward)
        #: backward(d_prev, prev_layer): the layer before it, whose output (this layer's input) backward reads
        self.previous_layer = not kind.is_loss and previous_layer_argument(self.obj.backward)
        self.last_x: np.ndarray | None = None
        self.lr_arg = learning_rate_argument(self.obj.backward) and not kind.is_loss and not self.input_first \
            and not self.previous_layer
        self.loss_inputs: tuple[np.ndarray, np.ndarray | None] | None = None
        self.loss_shape: tuple[int, ...] = ()
        #: the inputs of the last forward, and whether a backward followed it (`Kind.one_backward_per_forward`)
        self.last_inputs: tuple[np.ndarray, np.ndarray | None] | None = None
        self.backed = False
        #: parameter gradients the last backward returned after dx (`backward(dout) -> (dx, dW, db)`)
        self.returned: dict[str, Any] = {}

    def _hold_every_param(self, kind: Kind, case: Case) -> None:
        """A layer with none of its kind's parameters, checked with each held where it then has no effect."""
        for canonical in kind.params:
            kind.hold_absent(canonical, case.params[canonical])
            self.params[canonical] = case.params[canonical]
            self.held_at_zero.append(canonical)

    def _install_params(self, cls: type, kind: Kind, case: Case) -> None:
        """Finds where the layer keeps each of its kind's parameters and gives it gradlab's array there; an optional
        parameter the layer does not have is held at zero in the case. Raises as `find_slot` does, or
        ConventionMismatch for a parameter-free namesake of the kind."""
        for i, canonical in enumerate(kind.params):
            try:
                slot = find_slot(self.obj, canonical, case.params[canonical], index=i, count=len(kind.params))
                if canonical in kind.optional_params and kind.holds_constant(slot.get(), case.params[canonical]):
                    raise LayerSignatureError(f"{slot.spelling} is the kind's constant, not a parameter")
            except LayerSignatureError:
                if canonical not in kind.optional_params:
                    if keeps_no_array(self.obj, cls) and {c for c, _ in kind.without_params} >= set(kind.params):
                        self._hold_every_param(kind, case)  # a LayerNorm with no gamma and beta: it normalises
                        return
                    if keeps_no_array(self.obj, cls):
                        raise ConventionMismatch(
                            f"{cls.__name__} takes and keeps no array, so it is not {_a(kind.name)} layer with "
                            f"{', '.join(kind.params)}: a parameter-free layer that shares the name (an identity "
                            "'linear' activation, a normalisation without gamma and beta); not checked. Check it as "
                            "it is with gradlab.assert_backward(forward, backward, inputs={'x': ...})") from None
                    if given_no_array(cls, kind, case) and holds_no_array(self.obj):
                        raise ConventionMismatch(
                            f"{cls.__name__} was built from its sizes and keeps no array yet: its weights are made "
                            "later (by a call such as init(...) or build(input_shape)) or kept where gradlab does not "
                            "look; not checked. Give the constructor the arrays, or check it with "
                            "gradlab.assert_backward(forward, backward, inputs=..., params=...)") from None
                    raise
                # a version of the layer without it (a GRU without bias; an attention without Wo, the identity)
                kind.hold_absent(canonical, case.params[canonical])
                self.params[canonical] = case.params[canonical]
                self.held_at_zero.append(canonical)
                continue
            self.params[canonical] = case.params[canonical]
            self.slots[canonical] = slot
            self.views[canonical] = slot.install(case.params[canonical])
            self.grad_names[canonical] = slot.grad_spelling

    @property
    def updates_itself(self) -> bool:
        """Whether the layer's own update is its way of reporting gradients (a learning rate it was given)."""
        return self.lr_arg or self.lr_attribute is not None

    def _keep_params(self, *, expected: bool = False) -> None:
        """A parameter rebound to a new array is an update the checker must see: note it (unless the
        layer updates itself by contract), and put gradlab's array back."""
        for canonical, slot in self.slots.items():
            if slot.get() is not self.views[canonical]:
                if not expected:
                    self.rebound.add(canonical)
                self.views[canonical] = slot.install(self.params[canonical])

    def install_param(self, canonical: str, array: np.ndarray) -> None:
        """The protocol's `install_param` hook: the layer computes with `array` (gradlab's shape, any
        dtype: the complex step's complex copy) in place of parameter `canonical` until
        `install_param(canonical, self.params[canonical])` puts gradlab's own array back."""
        if canonical in self.slots:  # not an optional parameter the layer does not have
            self.views[canonical] = self.slots[canonical].install(array)

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        if self.rng is not None:
            self.rng.reset()
        if self.kind.one_backward_per_forward:
            self.last_inputs, self.backed = (x.copy(), None if t is None else t.copy()), False
        if self.input_first or self.previous_layer:
            self.last_x = x
        name = type(self.obj).__name__
        try:
            before = attributes_before(self.obj, OUTPUT_ATTRIBUTES)
            before_loss = attributes_before(self.obj, LOSS_ATTRIBUTES) if self.kind.is_loss else {}
            if self.kind.is_loss:
                # the predictions and the labels in the order the code names them; per-sample losses averaged
                self.loss_inputs = as_samples(self.obj, x, t)
                self.loss_shape = x.shape
                ordered = in_named_order(self.obj.forward, *self.loss_inputs)
                if (held := loss_method(type(self.obj))) is not None:  # an output layer holding its loss method
                    call(f"{name}.forward", self.obj.forward, self.loss_inputs[0])
                    out = call(f"{name}.{held}", getattr(self.obj, held), self.loss_inputs[1])
                else:
                    out = mean_of_sample_losses(self.obj, call(f"{name}.forward", self.obj.forward, *ordered),
                                                self.loss_inputs[0])
                if isinstance(out, np.ndarray) and out.ndim >= 1 and _own_call(self.obj):
                    # forward leaves the losses unreduced and calling the object reduces them (a library's
                    # `loss(x, y)` = forward(x, y).mean(), torch's reduction): the loss is what the call returns
                    out = call(f"{name}(...)", self.obj, *ordered)
                out = self._summed_if_unreduced(out)
                if self.kind.backward_takes_output and required_count(self.obj.backward) == 2:
                    # backward(dvalues, y_true) is fed the probabilities forward stored, as the book's loop feeds it
                    stored = left_in_attribute(self.obj, before)
                    if stored is None:
                        raise ConventionMismatch(
                            f"{name}.forward stored no new self.output for backward(dvalues, y_true) to be given: "
                            "not checked; store the softmax's output in self.output in forward")
                    self.loss_inputs = (stored, self.loss_inputs[1])
            elif self.kind.forward_takes_t:
                out = call(f"{name}.forward", self.obj.forward, x, t)
            else:
                kwargs = {self.train_kw: True} if self.train_kw else {}
                out = forward_counting_shapes(self.obj, lambda: call(f"{name}.forward", self.obj.forward, x,
                                                                     **kwargs))
            if out is None and self.kind.is_loss:
                out = scalar_left_in_attribute(self.obj, before_loss)
            if out is None:
                out = left_in_attribute(self.obj, before)
            if self.takes_cache and isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], np.ndarray):
                out, self.cache = out
            if self.kind.is_loss and isinstance(out, tuple) and sum(np.ndim(o) == 0 for o in out) == 1:
                # forward returning (probs, loss) (Georgia Tech CS 7643's SoftmaxCrossEntropy): the loss is the number
                out = next(o for o in out if np.ndim(o) == 0)
            return as_array(out, f"{name}.forward")
        finally:
            self._keep_params()

    def forward_eval(self, x: np.ndarray) -> np.ndarray:
        """The output in evaluation mode, forward's training flag False (`Kind.mode_law`)."""
        if self.rng is not None:
            self.rng.reset()
        return class_forward_eval(self.obj, self.train_kw, x)

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        if self.kind.one_backward_per_forward:
            if self.backed and self.last_inputs is not None:
                self.forward(*self.last_inputs)
            self.backed = True
        if self.updates_itself:
            return self._backward_with_update(dout)
        recorder = getattr(self, "recorder", None)  # (a library's layer, built without this constructor, has none)
        if recorder is not None:
            recorder.clear()
        self._zero_accumulators()
        held, dx = held_gradient_arrays(self.obj), self._call_backward(dout, lr=None)  # (held first: before backward)
        self._keep_params()
        grads = self._gradients()
        self.shape_notes += replaced_gradient_notes(self.obj, held)
        return dx, grads

    def _zero_accumulators(self) -> None:
        for holder, attribute in getattr(self, "zeroed", ()):  # added into (+=) by backward, zeroed by its update
            if isinstance(held_sum := getattr(holder, attribute, None), np.ndarray):
                held_sum[...] = 0

    def _call_backward(self, dout: np.ndarray, *, lr: float | None) -> np.ndarray | None:
        name = type(self.obj).__name__
        before = attributes_before(self.obj, DX_ATTRIBUTES)
        if self.kind.is_loss and self.loss_inputs is not None and only_varargs(self.obj.backward):
            # backward(*args, **kwargs) passing the loss's inputs on (a base class reducing its subclass's gradient)
            dx = call(f"{name}.backward", self.obj.backward, *in_named_order(self.obj.forward, *self.loss_inputs))
            dx = None if dx is None else as_array(dx, f"{name}.backward") * float(dout)
        elif self.kind.is_loss and not has_required_arg(self.obj.backward):
            dx = call(f"{name}.backward", self.obj.backward)
            # backward() that keeps its result (self.dinputs, nnfs-style) and returns nothing
            dx = left_in_attribute(self.obj, before) if dx is None else dx
            dx = None if dx is None else as_array(dx, f"{name}.backward") * float(dout)
        elif self.kind.is_loss and self.loss_inputs is not None and (required_count(self.obj.backward) == 2 or
                                                                     predictions_then_labels(self.obj.backward)):
            # nnfs: backward(dvalues, y_true) with the predictions as dvalues; others: backward(y_true, y_pred); a
            # learner's backward(y_pred, y_true=None) takes them too, its labels optional
            dx = call(f"{name}.backward", self.obj.backward, *in_named_order(self.obj.backward, *self.loss_inputs))
            dx = left_in_attribute(self.obj, before) if dx is None else dx
            dx = None if dx is None else as_array(dx, f"{name}.backward") * float(dout)
            if dx is not None and dx.size == int(np.prod(self.loss_shape)):
                dx = dx.reshape(self.loss_shape)
        elif self.kind.is_loss and self.loss_inputs is not None and labels_only(self.obj.backward):
            # backward(label_tensor): the labels alone, the predictions kept by forward (FAU's exercises)
            dx = call(f"{name}.backward", self.obj.backward, self.loss_inputs[1])
            dx = left_in_attribute(self.obj, before) if dx is None else dx
            dx = None if dx is None else as_array(dx, f"{name}.backward") * float(dout)
        elif self.input_first:
            dx = call(f"{name}.backward", self.obj.backward, self.last_x, dout)
        elif self.previous_layer:
            dx = call(f"{name}.backward", self.obj.backward, dout, PreviousLayer(self.last_x))
        elif lr is not None and self.lr_arg:
            dx = call(f"{name}.backward", self.obj.backward, dout, lr)
        elif self.takes_cache:
            dx = call(f"{name}.backward", self.obj.backward, dout, self.cache)
        else:
            flag = {self.backward_train_kw: True} if self.backward_train_kw else {}
            dx = call(f"{name}.backward", self.obj.backward, dout, **flag)
            if dx is None:
                dx = left_in_attribute(self.obj, before)
            dx, self.returned = split_returned(dx, list(self.slots), f"{name}.backward")
            if not self.kind.x_differentiable and not self.returned and len(self.slots) == 1 and \
                    isinstance(dx, np.ndarray) and dx.shape == np.shape(self.views[next(iter(self.slots))]):
                # an embedding's backward returning dW: its indices have no gradient (as word_embedding_backward)
                self.returned, dx = {next(iter(self.slots)): dx}, None
        if dx is not None or self.kind.x_differentiable:
            dx = as_array(dx, f"{name}.backward") if dx is not None else None
        return dx

    def _summed_if_unreduced(self, out: Any) -> Any:
        """A loss whose forward returns one loss per sample or per element, with nothing of its own reducing them
        (khoanguyen-blip/nn-depth-study's BCE, whose training loop takes their mean): its backward, called with
        no upstream gradient, is the gradient of their sum (an upstream gradient of ones), and is checked so."""
        x = self.loss_inputs[0] if self.loss_inputs is not None else None
        self.unreduced: tuple[int, ...] | None = None
        if not isinstance(out, np.ndarray) or out.ndim == 0 or x is None or x.ndim == 0 or \
                out.shape[:1] != x.shape[:1] or out.size > x.size:
            return out
        # one sample's one loss, (1, 1), says nothing of a reduction: summed, without a word
        self.unreduced = out.shape if out.size > 1 else None
        return np.sum(out)

    def _gradients(self, updates: dict[str, np.ndarray] | None = None,
                   dout: np.ndarray | None = None) -> dict[str, np.ndarray | None]:
        name = type(self.obj).__name__
        grads: dict[str, np.ndarray | None] = {}
        self.shape_notes = []
        if getattr(self, "unreduced", None):
            self.shape_notes.append(ShapeNote(
                "wrong-shape", "warn", f"{name}{UNREDUCED}, not one number: checked as the "
                "gradient of their sum, which backward() with no upstream gradient means; a training loop that "
                "takes their mean needs that gradient divided by N", "dx"))
        for canonical, slot in self.slots.items():
            value = slot.gradient()
            recorder = getattr(self, "recorder", None)
            if value is None and recorder is not None:
                value = recorder.gradient_of(slot.get())  # what backward handed its optimizer for it
            # (a library's layer, built without this constructor, has none)
            value = getattr(self, "returned", {}).get(canonical) if value is None else value
            if value is None and updates is not None:
                value = updates.get(canonical)
                if value is not None and dout is not None and adaptive_step(value, dout):
                    raise ConventionMismatch(
                        f"{name}.backward updates {slot.spelling} by an adaptive step (every change is the learning "
                        "rate itself, as Adam or RMSProp make it), from which the gradient cannot be read: not "
                        f"checked; store the gradient too (self.d{slot.spelling.lstrip('_')}) or move the optimizer "
                        "out of backward")
            if value is not None:
                returned = np.array(as_array(value, f"{name}.{slot.grad_spelling}"), copy=True)
                value = self.kind.as_param_shape(self.params[canonical], slot.from_layer(returned), update_law=False)
                self.shape_notes += hidden_shape_notes(slot.grad_spelling, slot.spelling, np.shape(slot.get()),
                                                       returned, value, self.params[canonical], self.kind)
            grads[canonical] = value
        return grads

    def _backward_with_update(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        """Backward at learning rate 1 on gradlab's arrays: the gradient is what the update took away.
        dx must not depend on the update: backward again at learning rate 0 must give the same dx
        (else it used the updated weights: stale-parameters)."""
        before = {c: v.copy() for c, v in self.params.items()}
        dx = self._with_rate(1.0, dout)
        updates = {c: self.slots[c].to_layer(before[c]) - np.asarray(self.slots[c].get()) for c in self.slots}
        self._restore(before)
        if any(np.any(u != 0) for u in updates.values()):
            dx0 = self._with_rate(0.0, dout)
            self._restore(before)
            if (dx is None) != (dx0 is None) or (dx is not None and dx0 is not None and not np.allclose(dx, dx0)):
                self.rebound.update(c for c, u in updates.items() if np.any(u != 0))
        return dx, self._gradients(updates, dout)

    def _with_rate(self, rate: float, dout: np.ndarray) -> np.ndarray | None:
        if self.lr_attribute is not None:
            setattr(self.obj, self.lr_attribute, rate)
        return self._call_backward(dout, lr=rate)

    def _restore(self, before: dict[str, np.ndarray]) -> None:
        for canonical, values in before.items():
            self.params[canonical][...] = values
        self._keep_params(expected=True)


def _own_call(obj: Any) -> bool:
    """Whether the object's class (or a base of the user's) defines `__call__`."""
    return any("__call__" in vars(c) for c in type(obj).__mro__[:-1])


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"
