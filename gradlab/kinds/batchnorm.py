"""Batch normalisation in training mode: normalise each feature over the batch, then γ·x̂ + β.

Names: `BatchNormalization(gamma, beta)` (class, `forward(x, train_flg=True)`) and
`batchnorm_forward(x, gamma, beta, bn_param)` (function, `bn_param["mode"] = "train"`). It mixes
samples by design, and on one or two samples it is degenerate (zero variance, dx ~ 0), so cases
have N >= 4. The grader accepts any of the usual epsilons. Its forward law: in training, each
feature's outputs over the batch have mean β and standard deviation γ; a forward normalising each
sample over its features (layer norm) with a backward to match passes every gradient check, not this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.normalising import StatsPathReader

#: epsilons courses use; the reference's first
EPSILONS = (1e-5, 1e-7, 1e-8, 1e-6, 1e-4, 1e-3, 0.0)


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, D = spec["N"], spec["D"]
    x = values(rng, (N, D), spec) + rng.standard_normal((D,))
    gamma = 1.0 + 0.5 * rng.standard_normal((D,))
    beta = rng.standard_normal((D,))
    return Case(x, None, {"gamma": gamma, "beta": beta}, {"eps": 1e-5, "momentum": 0.9}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    # D >= 2: with one feature a mean over the features is the value itself, and a backward taking the mean's
    # path along the features (the wrong axis) cannot be told from one with a wrong mean path
    return {"D": draw(st.integers(2, 6))}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The normalised output under each usual epsilon."""
    x = case.x.reshape(case.N, -1)
    mu, var = x.mean(axis=0), x.var(axis=0)
    g, b = case.params["gamma"].reshape(-1), case.params["beta"].reshape(-1)
    return [(g * (x - mu) / np.sqrt(var + eps) + b).reshape(case.x.shape) for eps in EPSILONS]


#: samples in the batch the forward law is measured on: the variance's N or N - 1 then moves the outputs'
#: standard deviation by at most 1.3e-3, and the usual epsilons on features of variance >= 1 by 5e-4
LAW_SAMPLES = 400
#: relative tolerance of the law's standard deviation (its mean is exact but for rounding)
LAW_STD_RTOL = 5e-3


def forward_law(forward: Callable[[np.ndarray], np.ndarray], case: Case) -> tuple[str, str] | None:
    """Each feature's training-mode outputs over the batch have mean β and standard deviation |γ| (up to the
    variance's N or N − 1 and epsilon), whatever the layer's epsilon, momentum or running statistics. Measured
    on LAW_SAMPLES samples of the case's features, each feature with its own offset and spread so that a
    statistic taken over another axis cannot agree by chance. A forward that crashes or returns another
    shape here says nothing (the case's own forward is checked next)."""
    gamma, b = case.params["gamma"].reshape(-1), case.params["beta"].reshape(-1)
    g = np.abs(gamma)
    rng = np.random.default_rng([int(case.spec.get("seed", 0)), 7])
    x = 2.0 * rng.standard_normal(g.size) + (1.0 + rng.random(g.size)) * rng.standard_normal((LAW_SAMPLES, g.size))
    out = forward(x)
    if out.shape != x.shape or not np.all(np.isfinite(out)):
        return None
    mean, std = out.mean(axis=0), out.std(axis=0)
    size = 1.0 + np.abs(b) + g
    if np.all(np.abs(mean - b) <= 1e-4 * size) and np.all(np.abs(std - g) <= LAW_STD_RTOL * g + 1e-4 * size):
        return None
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    over_features = [gamma * (x - mu) / np.sqrt(var + eps) + b for eps in EPSILONS]
    if any(np.allclose(out, ln, rtol=1e-4, atol=1e-6 * float(size.max())) for ln in over_features):
        return ("couples-samples", "forward normalised each sample over its features: that is layer norm. Batch "
                "norm normalises each feature over the batch (mean and variance over axis 0), so that in training "
                "every feature's outputs have mean β and standard deviation γ over the samples")
    j = int(np.argmax(np.abs(mean - b) / size + np.abs(std - g) / (g + size)))
    return ("mismatch", f"in training, batch norm's outputs for each feature have mean β and standard deviation γ "
            f"over the batch; feature {j} has mean {mean[j]:.4g} (β = {b[j]:.4g}) and standard deviation "
            f"{std[j]:.4g} (|γ| = {g[j]:.4g}) over {LAW_SAMPLES} samples: are the mean and variance taken over "
            "axis 0 and used as (x − mean) / sqrt(var + eps)?")


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 3}


def columns(case: Case, a: np.ndarray) -> np.ndarray:
    """One row per normalised group: a feature over the batch."""
    return a.reshape(a.shape[0], -1).T


def sizes(case: Case) -> dict[str, int]:
    """`BatchNorm(num_features)`."""
    return {"features": int(case.params["gamma"].size)}


KIND = Kind(
    "batchnorm", ("batchnormalization", "batchnorm"), build, draw_shape, batch_spec,
    function_stems=("batchnorm",), params=("gamma", "beta"), mixes_samples=True, min_batch=4,
    param_dict="bn_param", param_dict_keys={"eps": "eps", "momentum": "momentum"},
    param_dict_fixed={"mode": "train"}, forward_candidates=forward_candidates, training_role="batchnorm",
    sizes=sizes, forward_law=forward_law, explain=StatsPathReader(columns, "of each feature over the batch"),
)
