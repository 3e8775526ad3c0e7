"""The layer on one case, held for diagnosis's questions: put back before each, left as diagnosis found it.

A question about a failed gradient is answered by calling the user's layer again (a forward on another batch, a
backward for another upstream gradient). Every question must find the layer as the check's backward found it (`reset`,
`gradlab.core.layer_state`): a layer that updates its own weights in backward, or accumulates its gradients with `+=`,
would otherwise answer each question on the layer the previous one left behind. Once diagnosis is done, the layer is
left as diagnosis found it (`leave`). A layer that raises while answering leaves the question unanswered (`_quietly`).
Non-goal: the questions themselves (`gradlab.core.evidence` and the modules its `Evidence` is built from).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradlab.core.layer_state import LayerState
from gradlab.core.protocol import Layer


def _same(a: np.ndarray) -> np.ndarray:
    return a


@dataclass
class LayerOnCase:
    """The layer on one case (in gradlab's orientation), and how to call it again without changing what it holds."""

    layer: Layer
    target: str  # "x" or a parameter name
    arr: np.ndarray  # the array `target` names (perturbed in place by `evaluate_at`, always restored)
    x: np.ndarray
    t: Any
    y0: np.ndarray
    h: np.ndarray
    evaluate_at: Callable[[int, float], np.ndarray]
    #: the upstream gradient backward was given, and how the user sees the target's and the output's arrays
    G: np.ndarray | None = None
    show: Callable[[np.ndarray], np.ndarray] = field(default=_same)
    show_out: Callable[[np.ndarray], np.ndarray] = field(default=_same)
    #: the true (numeric) gradient, in gradlab's orientation
    n: np.ndarray | None = None
    #: the layer as the check's backward found it (the check records it: `CheckContext.state`); without it, the
    #: layer as it is when the evidence is built
    state: LayerState | None = None
    #: the layer as diagnosis found it, to leave it so (`leave`)
    found: LayerState = field(init=False)

    def __post_init__(self) -> None:
        self.found = LayerState.of(self.layer)
        if self.state is None:
            self.state = self.found
        # the check records its state right after its forward on the case: put back whole, it holds that forward's
        # cache, and a backward on x needs no forward of its own (the user's forward may be slow, or write files)
        self._after_forward = self.state is not self.found and self.state.complete

    def reset(self) -> None:
        """Put the layer back as the check's backward found it: parameters, gradients it accumulates, its caches."""
        assert self.state is not None
        self.state.restore()

    def leave(self) -> None:
        """Put the layer back as diagnosis found it, once every question is answered: diagnosis changes nothing."""
        self.found.restore()

    def _backward_after_forward(self, x: np.ndarray, t: Any, G: np.ndarray) -> tuple[Any, dict[str, Any]]:
        """backward(G) after a forward on `x`, on the layer as the check's backward found it."""
        self.reset()
        return self._backward_as_it_is(x, t, G)

    def _backward_as_it_is(self, x: np.ndarray, t: Any, G: np.ndarray) -> tuple[Any, dict[str, Any]]:
        if not (self._after_forward and x is self.x and t is self.t):
            self.layer.forward(x, t)
        return self.layer.backward(G)

    def _dx_for(self, x: np.ndarray, G: np.ndarray) -> np.ndarray:
        """dx after a forward on `x`, for upstream `G`. A backward that updates the parameters (`stale-parameters`)
        gives no evidence here: its dx may read the update, a sum over every sample's dout."""
        self.reset()
        saved = {k: v.copy() for k, v in self.layer.params.items() if isinstance(v, np.ndarray)}
        y = np.asarray(self.layer.forward(x.copy(), self.t))
        if y.shape != G.shape:
            raise ValueError("not one output per sample of the upstream gradient's shape")
        dx, _ = self.layer.backward(G.copy())
        if dx is None or np.shape(dx) != x.shape:
            raise ValueError("no dx of x's shape")
        if any(not np.array_equal(self.layer.params[k], v) for k, v in saved.items()):
            raise ValueError("backward changed the parameters")
        return np.asarray(dx, dtype=np.float64)

    def _quietly(self, ask: Callable[[], Any]) -> Any:
        """`ask()` on the layer as the check's backward found it, or None if the layer raised; the layer is left
        so (its cache put back to the case's forward, for a layer whose state could not all be recorded)."""
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                self.reset()
                return ask()
        except Exception:  # a layer that cannot answer leaves the hypothesis untested, nothing more
            return None
        finally:
            if not self._after_forward:
                try:
                    self.layer.forward(self.x, self.t)
                except Exception:  # its crash is reported by the step that owns it
                    pass
            self.reset()
