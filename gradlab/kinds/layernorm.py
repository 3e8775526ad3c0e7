"""Layer normalisation: normalise each sample over its features, then γ·x̂ + β (same in training and test).

Names: `LayerNorm(gamma, beta)`/`LayerNormalization` and CS231n's `layernorm_forward(x, gamma, beta,
ln_param)` (`ln_param["eps"]`). Unlike batch norm it does not mix samples, so the per-sample rule
holds: γ's and β's batch gradients are sums over the samples. D >= 3 (one feature normalises to 0,
two to ±1, and a dx without the variance's path is then indistinguishable), and a normalisation over
the batch axis shows as samples coupled (its forward law names it: that is batch norm).
The grader accepts any of the usual epsilons.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.norm_law import Grouping, NormLaw
from gradlab.kinds.normalising import StatsPathReader, normalised


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, D = spec["N"], spec["D"]
    x = values(rng, (N, D), spec) + rng.standard_normal((N, 1))
    gamma = 1.0 + 0.5 * rng.standard_normal((D,))
    beta = rng.standard_normal((D,))
    return Case(x, None, {"gamma": gamma, "beta": beta}, {"eps": 1e-5}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return {"D": draw(st.integers(3, 7))}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The normalised output under each usual epsilon."""
    return normalised(case.x, (1,), case.params["gamma"], case.params["beta"])


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 4}


def rows(case: Case, a: np.ndarray) -> np.ndarray:
    """One row per normalised group: a sample's features."""
    return a.reshape(a.shape[0], -1)


#: each sample's outputs are γ·(x − mean)/σ + β over its own features: measured on LAW_SAMPLES samples, enough
#: for a normalisation over the batch (batch norm) to show as one
LAW_SAMPLES = 400


def law_shape(case: Case) -> tuple[int, ...]:
    return (LAW_SAMPLES, int(case.params["gamma"].size))


def by_feature(case: Case, a: np.ndarray) -> np.ndarray:
    """Each feature over the batch (batch norm's groups)."""
    return a.T


def at_once(case: Case, a: np.ndarray) -> np.ndarray:
    """Every value of the batch in one group."""
    return a.reshape(1, -1)


LAW = NormLaw(
    law_shape, Grouping("each sample over its features", rows),
    (Grouping("each feature over the batch", by_feature, "batch norm"),
     Grouping("the whole batch at once, every sample together", at_once, "one mean and variance for all samples")),
    "sample", "each sample's outputs, scaled back by γ and shifted by β, have mean 0 and standard deviation 1 "
    "over its features",
    "Layer norm normalises each sample over its own features (mean and variance over axis 1); over the batch "
    "(axis 0) one sample's output depends on the others")


def sizes(case: Case) -> dict[str, int]:
    """`LayerNorm(num_features)`."""
    return {"features": int(case.params["gamma"].size)}


KIND = Kind(
    "layernorm", ("layernorm", "layernormalization", "layernormalisation"), build, draw_shape, batch_spec,
    function_stems=("layernorm",), params=("gamma", "beta"), param_dict="ln_param",
    param_dict_keys={"eps": "eps"}, hyper_args=("eps",), forward_candidates=forward_candidates, sizes=sizes,
    forward_law=LAW, without_params=(("gamma", 1.0), ("beta", 0.0)),
    explain=StatsPathReader(rows, "of each sample over its features"),
)
