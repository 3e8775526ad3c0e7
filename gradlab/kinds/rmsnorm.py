"""RMS normalisation: each sample divided by the root mean square of its features, then scaled, γ·x / rms(x) with
rms(x) = sqrt(mean(x²) + ε) (no mean subtracted, no shift; the norm of transformer code written from scratch).

Names: `RMSNorm(gamma)` (or built from its size, `RMSNorm(dim)`), `RMSNormalization`, and `rmsnorm_forward(x, gamma)`
/ `rms_norm_forward` returning (out, cache) with `rmsnorm_backward(dout, cache) -> (dx, dgamma)`; a forward that
takes its ε after γ keeps its own default. x (N, D), γ (D,). It does not mix samples, so γ's batch gradient is the sum
of the samples'. D >= 3: with one feature the output is ±γ and dx vanishes, hiding every bug of the backward. The
grader accepts any of the usual epsilons.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values

#: the epsilons published RMS norms add under the square root
EPSILONS = (1e-5, 1e-6, 1e-8, 1e-12, 0.0)


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, D = spec["N"], spec["D"]
    x = values(rng, (N, D), spec)
    gamma = 1.0 + 0.5 * rng.standard_normal((D,))
    return Case(x, None, {"gamma": gamma}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return {"D": draw(st.integers(3, 7))}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 4}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The normalised output under each usual epsilon."""
    square = np.mean(case.x ** 2, axis=-1, keepdims=True)
    return [case.params["gamma"] * case.x / np.sqrt(square + eps) for eps in EPSILONS]


def sizes(case: Case) -> dict[str, int]:
    """`RMSNorm(dim)`."""
    return {"features": int(case.params["gamma"].size)}


KIND = Kind(
    "rmsnorm", ("rmsnorm", "rmsnormalization", "rmsnormalisation", "rootmeansquarenorm", "rootmeansquarenormalization",
                "rmslayernorm"),
    build, draw_shape, batch_spec,
    function_stems=("rmsnorm", "rms_norm"), params=("gamma",), forward_candidates=forward_candidates, sizes=sizes,
)
