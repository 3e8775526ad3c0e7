"""The second volume's TimeSoftmaxWithLoss: softmax cross-entropy at every time step, averaged over
all N * T steps.

Names: `TimeSoftmaxWithLoss()` and `Simple_TimeSoftmaxWithLoss()` with `forward(xs, ts) -> loss`
and `backward(dout=1) -> dxs`: xs (N, T, V) scores, ts (N, T) class indices. (CS231n's
`temporal_softmax_loss` sums over time and averages over N, with a mask: that is its own kind.)
The book's backward turns its cached softmax into dx in place, so its contract is one backward per
forward (`Kind.one_backward_per_forward`): asking twice is not a bug. T and V differ.
The book's layer has an ignore label, `ignore_label = -1`: a step labelled -1 adds nothing to the loss,
nor to dx, and the mean is over the steps not ignored (`loss /= mask.sum()`). So a drawn case may label
some steps -1 (spec "ignore"; never all of them: 0 / 0). A backward without the mask then gives those steps
a gradient the forward denies them: `missing-mask` (`explain`). A version without an ignore label (the book's
`Simple_TimeSoftmaxWithLoss`) reads -1 as the last class, as numpy's indexing does, in its forward and its
backward alike, so it stays consistent and passes. One-hot labels cannot say -1: they carry none.
Labels are drawn as indices, as the book's own layers take them; a learner's `Simple_TimeSoftmaxWithLoss`
built on a first-volume `SoftmaxWithLoss` that takes one-hot labels only gets one-hot `(N, T, V)` labels
instead (the runner probes which encodings a layer accepts and says so).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import LOSS_SCALES, distinct_sizes, values

#: logits spread (as the other softmax losses): probabilities stay far from 0
LOGIT_STD = 0.5


#: the book's ignore label
IGNORE_LABEL = -1
#: the share of steps labelled IGNORE_LABEL in a case that ignores some
IGNORED_SHARE = 0.4


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, V = spec["N"], spec["T"], spec["V"]
    x = values(rng, (N, T, V), spec) * LOGIT_STD
    t = rng.integers(0, V, size=(N, T))
    if spec.get("labels") == "onehot":
        return Case(x, np.eye(V)[t], {}, {}, spec)
    if spec.get("ignore"):
        ignored = rng.random((N, T)) < IGNORED_SHARE
        ignored.flat[rng.integers(N * T)] = False  # one step at least counts: the mean is over those
        t[ignored] = IGNORE_LABEL
    return Case(x, t, {}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    spec: Spec = dict(zip(("T", "V"), draw(distinct_sizes(2, low=2, high=6))))
    spec["ignore"] = draw(st.booleans())  # shrinks to False: a failure keeps -1 labels only when it needs them
    return spec


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 5, "V": 4}  # V differs from the probe's N = 3: index labels (N,) must not broadcast against (N, V)


def explain(case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray,
            out: np.ndarray) -> tuple[str, str] | None:
    """A dx that flows at the steps labelled IGNORE_LABEL, where the true gradient is zero: the backward left out the
    mask its forward applied (`missing-mask`, as DECISIONS.md has a temporal mask). Without the mask those steps get
    p - onehot(the last class), -1 indexing the last column."""
    if target != "x" or case.t is None or analytic.shape != numeric.shape or analytic.shape[:2] != case.t.shape:
        return None
    ignored = np.asarray(case.t) == IGNORE_LABEL
    scale = max(float(np.abs(numeric).max(initial=0.0)), 1e-300)
    if not ignored.any() or np.abs(numeric[ignored]).max(initial=0.0) > 1e-6 * scale:
        return None
    leaks = ignored & np.any(np.abs(analytic) > 1e-6 * scale, axis=-1)
    if not leaks.any():
        return None
    steps = [f"[{n}, {t}]" for n, t in zip(*np.nonzero(leaks))][:3]
    return ("missing-mask", f"dx flows at time steps labelled {IGNORE_LABEL} ({', '.join(steps)}), which the loss "
            f"ignores: multiply dx by the mask forward applied (ts != {IGNORE_LABEL}, kept for backward), as "
            "dx *= mask[:, np.newaxis] does")


KIND = Kind(
    "time_softmax_with_loss", ("timesoftmaxwithloss", "simpletimesoftmaxwithloss"), build, draw_shape, batch_spec,
    is_loss=True, scales=LOSS_SCALES, one_backward_per_forward=True, label_encodings=("index", "onehot"),
    label_fallback_only=True, explain=explain,
)
