"""Class-style recurrent steps: a layer that takes its previous state as forward arguments.

The second volume's `RNN(Wx, Wh, b)` has `forward(x, h_prev) -> h_next` and `backward(dh_next) ->
(dx, dh_prev)`; its `LSTM` has `forward(x, h_prev, c_prev) -> (h_next, c_next)` and
`backward(dh_next, dc_next) -> (dx, dh_prev, dc_prev)`. The weights live in the object (found as
any class-style layer's are); the states are gradlab's parameters handed to forward at every call
(`Kind.forward_inputs`), and several outputs are joined along the last axis as in function style
(`Kind.outputs`). Non-goal: deciding whether a gradient is right (that is `gradlab.core.check`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from gradlab.conventions.calling import as_array, call, required_parameters
from gradlab.conventions.class_style import ClassLayer
from gradlab.conventions.grads_in_place import held_gradient_arrays, replaced_gradient_notes
from gradlab.core.protocol import LayerCrash
from gradlab.kinds import Case, Kind

__all__ = ["StepClassLayer"]


class StepClassLayer(ClassLayer):
    """A class whose forward takes states after x (see the module docstring)."""

    def __init__(self, cls: type, kind: Kind, case: Case):
        # the constructor and the object's slots know the weights only
        super().__init__(cls, replace(kind, params=tuple(p for p in kind.params if p not in kind.forward_inputs)), case)
        self.step_kind = kind
        #: what forward hands the layer for each state: gradlab's array, or a copy put there by `install_param`
        self.inputs: dict[str, np.ndarray] = {}
        for name in kind.forward_inputs:
            self.params[name] = self.inputs[name] = case.params[name]
            self.grad_names[name] = "d" + name
        self.params = {p: self.params[p] for p in kind.params}  # canonical order
        self.widths: list[int] = []
        #: what the last forward was given and returned, by name: x, out and the states
        self.given: dict[str, np.ndarray] = {}
        # a cell's weight gradients are summed over the time steps BPTT runs it for: a backward adding into them
        # (+=) is the courses' way (CMU's cells, zeroed by zero_grad or the model; the second volume builds a fresh
        # cell per step), so they are zeroed before each backward, as a class layer's own update zeroes them
        self.zeroed += [(self.obj, s.grad_spelling) for s in self.slots.values()
                        if s.grad_spelling.isidentifier() and (self.obj, s.grad_spelling) not in self.zeroed]

    def install_param(self, canonical: str, array: np.ndarray) -> None:
        if canonical in self.inputs:
            self.inputs[canonical] = array
        else:
            super().install_param(canonical, array)

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        name = type(self.obj).__name__
        try:
            result = call(f"{name}.forward", self.obj.forward, x,
                          *(self.inputs[s] for s in self.step_kind.forward_inputs))
        finally:
            self._keep_params()
        parts = list(result) if isinstance(result, tuple) else [result]
        expected = self.step_kind.outputs or ("out",)
        if len(parts) != len(expected):
            raise LayerCrash(f"{name}.forward", f"returned {len(parts)} value(s), expected ({', '.join(expected)})")
        arrays = [as_array(p, f"{name}.forward") for p in parts]
        self.widths = [a.shape[-1] for a in arrays]
        self.given = {"x": x, "out": arrays[0], **self.inputs}
        return arrays[0] if len(arrays) == 1 else np.concatenate(arrays, axis=-1)

    def _forward_values(self) -> list[np.ndarray | None]:
        """What a backward asking for the forward's values back is handed, by the names it gives them after the
        upstream gradients: CMU's `backward(delta, h_t, h_prev_l, h_prev_t)` takes the output h_t, the input
        (h_prev_l: the previous layer's state at this step) and the previous step's state h_prev_t."""
        asked = [p.name.lower() for p in required_parameters(self.obj.backward)][len(self.widths):]
        given = self.given
        state = given.get(self.step_kind.forward_inputs[0])  # (a step class always takes its state in forward)
        values = []
        for word in asked:
            if word.endswith(("_prev_t", "prev_h", "h_prev")):
                values.append(state)
            elif word.endswith(("_prev_l", "x", "x_t")) or word.startswith("x"):
                values.append(given.get("x"))
            else:  # h_t, h, h_next, out: the output
                values.append(given.get("out"))
        return values

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        name = type(self.obj).__name__
        upstream = np.split(dout, np.cumsum(self.widths)[:-1], axis=-1) if len(self.widths) > 1 else [dout]
        held = held_gradient_arrays(self.obj)  # before backward: which arrays a model would have gathered
        self._zero_accumulators()
        handed = self._forward_values()
        result = call(f"{name}.backward", self.obj.backward, *upstream, *handed)
        self._keep_params()
        states = self.step_kind.forward_inputs
        parts: list[Any] = list(result) if isinstance(result, tuple) else [result]
        if len(parts) != 1 + len(states):
            raise LayerCrash(f"{name}.backward", f"returned {len(parts)} value(s), expected "
                             f"(dx, {', '.join('d' + s for s in states)})")
        grads = self._gradients()  # (it starts the notes afresh)
        self.shape_notes += replaced_gradient_notes(self.obj, held)
        for state, g in zip(states, parts[1:]):
            grads[state] = None if g is None else as_array(g, f"{name}.backward")
        dx = None if parts[0] is None else as_array(parts[0], f"{name}.backward")
        if handed:  # CMU's cells: weight gradients averaged over the batch, as the course's writeup asks
            grads = {p: g if g is None or p in states else np.asarray(g) * len(dout) for p, g in grads.items()}
        return dx, {p: grads.get(p) for p in self.step_kind.params}
