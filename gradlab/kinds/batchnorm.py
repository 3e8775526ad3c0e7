"""Batch normalisation in training mode: normalise each feature over the batch, then γ·x̂ + β.

Names: `BatchNormalization(gamma, beta)` (class, `forward(x, train_flg=True)`) and
`batchnorm_forward(x, gamma, beta, bn_param)` (function, `bn_param["mode"] = "train"`). It mixes
samples by design, and on one or two samples it is degenerate (zero variance, dx ~ 0), so cases
have N >= 4. The grader accepts any of the usual epsilons.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values

#: epsilons courses use; the reference's first
EPSILONS = (1e-5, 1e-7, 1e-8, 1e-6, 1e-4, 1e-3, 0.0)


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, D = spec["N"], spec["D"]
    x = values(rng, (N, D), spec) + rng.standard_normal((D,))
    gamma = 1.0 + 0.5 * rng.standard_normal((D,))
    beta = rng.standard_normal((D,))
    return Case(x, None, {"gamma": gamma, "beta": beta}, {"eps": 1e-5, "momentum": 0.9}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return {"D": draw(st.integers(1, 6))}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The normalised output under each usual epsilon."""
    x = case.x.reshape(case.N, -1)
    mu, var = x.mean(axis=0), x.var(axis=0)
    g, b = case.params["gamma"].reshape(-1), case.params["beta"].reshape(-1)
    return [(g * (x - mu) / np.sqrt(var + eps) + b).reshape(case.x.shape) for eps in EPSILONS]


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 3}


def sizes(case: Case) -> dict[str, int]:
    """`BatchNorm(num_features)`."""
    return {"features": int(case.params["gamma"].size)}


KIND = Kind(
    "batchnorm", ("batchnormalization", "batchnorm"), build, draw_shape, batch_spec,
    function_stems=("batchnorm",), params=("gamma", "beta"), mixes_samples=True, min_batch=4,
    param_dict="bn_param", param_dict_keys={"eps": "eps", "momentum": "momentum"},
    param_dict_fixed={"mode": "train"}, forward_candidates=forward_candidates, training_role="batchnorm",
    sizes=sizes,
)
