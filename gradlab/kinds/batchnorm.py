"""Batch normalisation in training mode: normalise each feature over the batch, then γ·x̂ + β.

Names: `BatchNormalization(gamma, beta)` (class, `forward(x, train_flg=True)`) and
`batchnorm_forward(x, gamma, beta, bn_param)` (function, `bn_param["mode"] = "train"`). It mixes
samples by design, and on one or two samples it is degenerate (zero variance, dx ~ 0), so cases
have N >= 4. The grader accepts any of the usual epsilons. Its forward law: in training, each
feature's outputs over the batch have mean β and standard deviation γ; a forward normalising each
sample over its features (layer norm) with a backward to match passes every gradient check, not this.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.norm_law import Grouping, NormLaw
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


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 3}


def columns(case: Case, a: np.ndarray) -> np.ndarray:
    """One row per normalised group: a feature over the batch."""
    return a.reshape(a.shape[0], -1).T


def by_sample(case: Case, a: np.ndarray) -> np.ndarray:
    """Each sample over its features (layer norm's groups)."""
    return a.reshape(a.shape[0], -1)


def at_once(case: Case, a: np.ndarray) -> np.ndarray:
    """Every value of the batch in one group."""
    return a.reshape(1, -1)


#: in training each feature's outputs over the batch are γ·(x − mean)/σ + β; measured on LAW_SAMPLES samples,
#: where the variance's N or N - 1 moves the outputs' spread by 1.3e-3
LAW_SAMPLES = 400


def law_shape(case: Case) -> tuple[int, ...]:
    return (LAW_SAMPLES, int(case.params["gamma"].size))


LAW = NormLaw(
    law_shape, Grouping("each feature over the batch", columns),
    (Grouping("each sample over its features", by_sample, "layer norm"),
     Grouping("the whole batch at once, every feature together", at_once, "one mean and variance for all features")),
    "feature", "batch norm's outputs for each feature have mean β and standard deviation γ over the batch",
    "Batch norm normalises each feature over the batch (mean and variance over axis 0), so that in training "
    "every feature's outputs have mean β and standard deviation γ over the samples")


def sizes(case: Case) -> dict[str, int]:
    """`BatchNorm(num_features)`."""
    return {"features": int(case.params["gamma"].size)}


KIND = Kind(
    # PyTorch's name for it on (N, D) inputs, as learners' frameworks copy it: `BatchNorm1d`
    "batchnorm", ("batchnormalization", "batchnorm", "batchnorm1d", "batchnormalization1d"), build, draw_shape,
    batch_spec,
    function_stems=("batchnorm", "batch_norm"), params=("gamma", "beta"), mixes_samples=True, min_batch=4,
    param_dict="bn_param", param_dict_keys={"eps": "eps", "momentum": "momentum"},
    param_dict_fixed={"mode": "train"}, forward_candidates=forward_candidates, training_role="batchnorm",
    sizes=sizes, forward_law=LAW, explain=StatsPathReader(columns, "of each feature over the batch"),
)
