"""PReLU: x where x > 0 and α·x where x ≤ 0, its slope α learned, as a parameter with a gradient of its own.

Names: `PReLU`/`PRelu`/`ParametricReLU`, `prelu_forward(x, alpha)` → (out, cache) and `prelu_backward(dout,
cache)` → (dx, dalpha). Layers keep α in one of three forms, each right: one number for the whole layer (the
paper's channel-shared variant), one per feature of (N, D), or one per channel of (N, C, H, W). A layer is
probed with each (`ParameterForms`: one number, per channel, then per feature) and checked in the first it
runs with; its dα is the sum over every value α multiplies (the batch, and H and W for a channel). A layer
that keeps one α and a layer per feature that sums dα over every axis by mistake return the same number: the
form a layer runs with is taken as its intent.
The grader accepts the forward for the case's α, as the layer is given it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, ParameterForms, Spec
from gradlab.kinds.common import values

#: spec["alpha"]: one slope for every value, one per feature of (N, D), one per channel of (N, C, H, W)
ONE, FEATURE, CHANNEL = "one", "feature", "channel"


def _x_shape(spec: Spec) -> tuple[int, ...]:
    if spec["alpha"] == CHANNEL:
        return (spec["N"], spec["C"], spec["H"], spec["W"])
    return (spec["N"], spec["D"])


def _alpha_shape(spec: Spec) -> tuple[int, ...]:
    return {ONE: (), FEATURE: (spec["D"],), CHANNEL: (spec["C"],)}[spec["alpha"]]


def build(spec: Spec, rng: np.random.Generator) -> Case:
    """x of its form's shape; α in (0.05, 0.6), away from 1 (where PReLU is the identity and dx cannot tell
    which side of 0 it read) and from 0 (a ReLU, whose dα still shows)."""
    x = values(rng, _x_shape(spec), spec)
    alpha = rng.uniform(0.05, 0.6, size=_alpha_shape(spec))
    return Case(x, None, {"alpha": np.asarray(alpha, dtype=np.float64)}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    """Every form's sizes, so that a probed form overrides `alpha` alone; C, H and W distinct (a (C,) slope
    broadcast against W must crash, not pass by accident)."""
    D = draw(st.integers(2, 6))
    C, H, W = draw(st.lists(st.integers(2, 5), min_size=3, max_size=3, unique=True))
    return {"alpha": FEATURE, "D": D, "C": C, "H": H, "W": W}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run (and of the forms' probe)."""
    return {"alpha": FEATURE, "D": 4, "C": 3, "H": 2, "W": 5}


def broadcast_alpha(alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    """α shaped to multiply x: a channel's slope over (N, C, H, W), a feature's over (N, D)."""
    if alpha.ndim == 1 and x.ndim == 4:
        return alpha.reshape(1, -1, 1, 1)
    return alpha


def forward_candidates(case: Case) -> list[np.ndarray]:
    x = case.x
    return [np.where(x > 0, x, broadcast_alpha(case.params["alpha"], x) * x)]


def gradient_shapes(shape: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """One slope as (), (1,) or (1, 1); a channel's as (C,), (1, C, 1, 1) or (C, 1, 1); a feature's as (1, D)."""
    if shape == ():
        return ((), (1,), (1, 1))
    (n,) = shape
    return ((n,), (1, n), (1, n, 1, 1), (n, 1, 1))


def sizes(case: Case) -> dict[str, int]:
    """`PReLU(num_parameters)`: as many slopes as the case has."""
    return {"features": int(case.params["alpha"].size)}


KIND = Kind(
    "prelu", ("prelu", "parametricrelu", "parametricrectifiedlinearunit"), build, draw_shape, batch_spec,
    function_stems=("prelu",), params=("alpha",), forward_candidates=forward_candidates,
    gradient_shapes=gradient_shapes, sizes=sizes,
    # one number first: a layer that updates itself returns its gradient as the change of its slope, and a single
    # slope's change spread over one per feature (alpha - lr * a_number) has the per-feature form's size
    parameter_forms=ParameterForms("alpha", ({"alpha": ONE}, {"alpha": CHANNEL}, {"alpha": FEATURE})),
)
