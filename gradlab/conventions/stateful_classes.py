"""Class-style time layers called twice with their state carried (`stateful=True`, `Kind.carried_state`).

The second volume's `TimeRNN(Wx, Wh, b, stateful=True)` keeps its last hidden state in `self.h`
after a forward and starts the next forward from it; its backward leaves the gradient with respect to
that carried state in `self.dh`, for the layer that produced it (the encoder of a seq2seq model). So
the layer is built stateful and called a first time, on the case's sequence reversed in time; the
second call, the one checked, starts from the state the first left. The carried h is checked as an
input of the second call: before every forward gradlab puts back the state the first call left (or
that state perturbed, for the numeric side), as the layer's own `set_state` would, and reads its
gradient from `self.dh`. Other carried attributes (an LSTM's c) are put back unchanged.
A layer that cannot be built stateful, or keeps its state under other names, is checked as built
by default (stateful=False), never failed for it.
Non-goal: deciding whether a gradient is right (that is `gradlab.core.check`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from gradlab.conventions.calling import accepts, as_array
from gradlab.conventions.class_style import ClassLayer
from gradlab.kinds import Case, Kind

__all__ = ["StatefulClassLayer"]


class StatefulClassLayer(ClassLayer):
    """A time layer whose checked forward starts from the state its previous forward left (see above)."""

    def __init__(self, cls: type, kind: Kind, case: Case):
        assert kind.carried_state is not None
        self.state = kind.carried_state
        #: the carried states put back before each forward: the checked one (by the state's param name,
        #: gradlab's array or a copy put there by `install_param`) and the held ones (by attribute)
        self.carried: dict[str, np.ndarray] = {}
        self.held: dict[str, np.ndarray] = {}
        if not accepts(cls, "stateful"):
            super().__init__(cls, kind, replace(case, hyper={k: v for k, v in case.hyper.items() if k != "stateful"}))
            return
        super().__init__(cls, kind, case)
        super().forward(np.ascontiguousarray(case.x[:, ::-1]))  # the first call: it leaves the state carried
        found = [getattr(self.obj, a, None) for a in self.state.attributes]
        if not all(isinstance(v, np.ndarray) and v.shape[:1] == case.x.shape[:1] for v in found):
            # the state is kept under other names: a second call from it cannot be arranged
            super().__init__(cls, kind, replace(case, hyper={k: v for k, v in case.hyper.items() if k != "stateful"}))
            return
        first, *others = found
        self.params[self.state.param] = self.carried[self.state.param] = np.array(first, dtype=np.float64)
        self.held = {a: np.array(v, copy=True) for a, v in zip(self.state.attributes[1:], others)}
        self.grad_names[self.state.param] = self.state.gradients[0]

    def install_param(self, canonical: str, array: np.ndarray) -> None:
        if canonical in self.carried:
            self.carried[canonical] = array
        else:
            super().install_param(canonical, array)

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        if self.carried:
            # copies: a layer may update its state in place, and the carried state must stay as it was
            setattr(self.obj, self.state.attributes[0], self.carried[self.state.param].copy())
            for attribute, value in self.held.items():
                setattr(self.obj, attribute, value.copy())
        return super().forward(x, t)

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        dx, grads = super().backward(dout)
        spelled = [g for g in self.state.gradients if hasattr(self.obj, g)]
        if self.carried and spelled:  # a layer with no such attribute at all does not report it: not checked
            value: Any = next((getattr(self.obj, g) for g in spelled if getattr(self.obj, g) is not None), None)
            grads[self.state.param] = None if value is None else np.array(
                as_array(value, f"{type(self.obj).__name__}.{spelled[0]}"), copy=True)
        return dx, grads
