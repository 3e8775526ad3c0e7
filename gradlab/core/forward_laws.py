"""The laws of a layer's forward itself, asked before any gradient: a kind's own (`Kind.forward_law`, dropout's
kept units scaled by one factor), the one every deterministic loss obeys (`gradlab.core.loss_law`), and the one
between a training and an evaluation mode (`Kind.mode_law`). A gradient check cannot see these: a dropout that
never scales has a backward right for its forward.
Non-goal: the forward's value against a reference layer (the grader's `forward_accepts`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Kind
from gradlab.core.loss_law import batch_loss_law
from gradlab.core.protocol import LayerCrash

__all__ = ["asks_a_law", "broken_law"]


def asks_a_law(kind: Kind) -> bool:
    """Whether the kind has a law of the forward to ask."""
    return kind.forward_law is not None or (kind.is_loss and not kind.stochastic) or kind.mode_law is not None


def broken_law(layer: Any, kind: Kind, case: Case) -> tuple[str, str] | None:
    """(code, sentence) of the first law the layer's forward breaks, or None. A crash is raised to the caller."""
    law, t = kind.forward_law, case.t

    def train(x: np.ndarray) -> np.ndarray:
        return np.asarray(layer.forward(x, None if t is None else t.copy()), dtype=np.float64)

    broken = law(train, case) if law else None
    if broken is None and kind.is_loss and not kind.stochastic:
        broken = batch_loss_law(layer.forward, case.x, t)
    # a layer that cannot be asked (no forward_eval hook: the grader's proxy of a jailed layer) is asked neither law
    evaluate = getattr(layer, "forward_eval", None)
    if broken is not None or evaluate is None:
        return broken
    if kind.mode_law is None and kind.modeless_law is None:
        return None
    if _has_a_mode(evaluate, case):  # asked once: it runs the layer
        return None if kind.mode_law is None else kind.mode_law(
            lambda x: np.asarray(layer.forward(x, None), dtype=np.float64),
            lambda x: np.asarray(evaluate(x), dtype=np.float64), case)
    if kind.modeless_law is not None:
        return kind.modeless_law(lambda x: np.asarray(layer.forward(x, None), dtype=np.float64), case)
    return None


def _has_a_mode(evaluate: Any, case: Case) -> bool:
    """Whether the layer's evaluation mode runs (`forward_eval` raises LayerCrash where the layer has none)."""
    try:
        evaluate(case.x.copy())
    except LayerCrash:
        return False
    return True
