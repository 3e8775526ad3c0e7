"""Softmax cross-entropy at every time step, counted only where the mask is on, summed over time and
averaged over the batch: loss = -sum(mask * log p[y]) / N.

Names: `temporal_softmax_loss(x, y, mask) -> (loss, dx)` (CS231n assignment 3): x (N, T, V) scores,
y (N, T) indices in [0, V), mask (N, T) booleans. gradlab keeps y and mask in one labels array
(N, T, 2), so that a sample's slice holds both (`Kind.label_args`); the function gets them as its
own arguments. A dx that flows at masked steps is `missing-mask`, and so is a loss that counts them: a loss
whose mask is applied nowhere has a dx right for itself, and only the law of its forward shows it. T and V differ.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import LOSS_SCALES, distinct_sizes, values

#: logits spread (as the other softmax losses): probabilities stay far from 0
LOGIT_STD = 0.5
#: the share of time steps the mask keeps
KEEP = 0.6


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, V = spec["N"], spec["T"], spec["V"]
    x = values(rng, (N, T, V), spec) * LOGIT_STD
    y = rng.integers(0, V, size=(N, T))
    mask = rng.random((N, T)) < KEEP
    mask[:, 0] = True  # every caption has a first word: each sample contributes to the loss
    return Case(x, np.stack([y, mask], axis=-1).astype(np.float64), {}, {}, spec)


def label_args(t: np.ndarray) -> dict[str, np.ndarray]:
    """The labels array (N, T, 2) as the function's y (N, T) ints and mask (N, T) booleans."""
    return {"y": np.rint(t[..., 0]).astype(np.int64), "mask": t[..., 1] > 0.5}


def explain(case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray,
            out: np.ndarray) -> tuple[str, str] | None:
    """A dx that flows at masked time steps (where the loss does not look) is the mask ignored."""
    if target != "x" or case.t is None or analytic.shape != numeric.shape:
        return None
    off = ~label_args(case.t)["mask"]
    scale = max(float(np.abs(numeric).max(initial=0.0)), 1e-300)
    leaks = np.abs(analytic[off]).max(initial=0.0) > 1e-6 * scale
    if not leaks or np.abs(numeric[off]).max(initial=0.0) > 1e-6 * scale:
        return None
    steps = [f"[{n}, {t}]" for n, t in zip(*np.nonzero(off & np.any(analytic != 0, axis=-1)))][:3]
    return ("missing-mask", f"dx flows at masked time steps ({', '.join(steps)}), which the loss leaves out: "
            "multiply dx by mask[:, :, None]")


#: how far the law moves each masked step's scores; relative change of the loss that counts as a change
MOVE, LAW_RTOL = 1.0, 1e-6


def forward_law(forward: Callable[[np.ndarray], np.ndarray], case: Case) -> tuple[str, str] | None:
    """The loss must not see the masked time steps: moving only their scores leaves it as it was. A loss that
    ignores the mask everywhere (in the loss and in dx) passes every gradient check, its dx being right for it."""
    if case.t is None:
        return None
    off = ~label_args(case.t)["mask"]
    if not off.any():
        return None
    moved = case.x.copy()
    moved[off] += MOVE * np.random.default_rng(int(case.spec.get("seed", 0))).standard_normal(moved[off].shape)
    before, after = float(np.sum(forward(case.x.copy()))), float(np.sum(forward(moved)))
    if abs(after - before) <= LAW_RTOL * max(abs(before), abs(after), 1e-300):
        return None
    return ("missing-mask", f"the loss changes from {before:.6g} to {after:.6g} when only the scores at masked time "
            "steps (mask False) change: those steps must not count; weigh each step's loss by the mask (and dx by "
            "mask[:, :, None])")


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return dict(zip(("T", "V"), draw(distinct_sizes(2, low=2, high=6))))


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 5, "V": 3}


KIND = Kind(
    "temporal_softmax_loss", (), build, draw_shape, batch_spec,
    loss_functions=("temporal_softmax_loss",), loss_args=("x", "y", "mask"), label_args=label_args,
    is_loss=True, scales=LOSS_SCALES, explain=explain, forward_law=forward_law,
)
