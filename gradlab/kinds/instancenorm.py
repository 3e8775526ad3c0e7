"""Instance normalisation over (N, C, H, W): each channel of each sample normalised over its own H x W values, then
γ·x̂ + β per channel (the style-transfer and GAN norm written from scratch).

Names: `InstanceNorm(gamma, beta)` (or built from its size, `InstanceNorm2d(num_features)`), `InstanceNormalization`,
and `instancenorm_forward(x, gamma, beta)` / `instance_norm_forward` returning (out, cache) with a backward returning
(dx, dgamma, dbeta); a forward that takes its ε after β keeps its own default, and the grader accepts the usual
epsilons. γ and β are (C,); a gradient returned as (1, C, 1, 1) is taken as theirs. It does not mix samples. Each
channel holds >= 3 values (so a dx without the variance's path is told apart), and C, H and W differ. Its forward law:
each channel of each sample has outputs γ·(x − mean)/σ + β over its own values; a layer norm or a spatial batch norm
with a backward to match passes every gradient check, not this.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.norm_law import Grouping, NormLaw
from gradlab.kinds.normalising import StatsPathReader, normalised
from gradlab.kinds.spatial_batchnorm import by_channel_of_sample, by_sample, channels


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C, H, W = spec["N"], spec["C"], spec["H"], spec["W"]
    x = values(rng, (N, C, H, W), spec) + rng.standard_normal((1, C, 1, 1))
    gamma = 1.0 + 0.5 * rng.standard_normal((C,))
    beta = rng.standard_normal((C,))
    return Case(x, None, {"gamma": gamma, "beta": beta}, {"eps": 1e-5}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    C, H = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    W = draw(st.sampled_from([w for w in (3, 4, 5) if w not in (C, H)]))  # each channel holds >= 3 values
    return {"C": C, "H": H, "W": W}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "H": 2, "W": 3}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The normalised output under each usual epsilon."""
    C = case.x.shape[1]
    return normalised(case.x, (2, 3), case.params["gamma"].reshape(1, C, 1, 1),
                      case.params["beta"].reshape(1, C, 1, 1))


#: samples in the law's input, of the case's own C, H and W (a layer may keep state sized by them)
LAW_N = 8


def law_shape(case: Case) -> tuple[int, ...]:
    return (LAW_N, *case.x.shape[1:])


LAW = NormLaw(
    law_shape, Grouping("each channel of each sample over H and W", by_channel_of_sample),
    (Grouping("each sample over all its channels, H and W", by_sample, "layer norm"),
     Grouping("each channel over N, H and W", channels, "spatial batch norm")),
    "channel of a sample", "each channel of each sample, scaled back by γ and shifted by β, has mean 0 and standard "
    "deviation 1 over its H x W values",
    "Instance norm normalises each channel of each sample over its H x W values (mean and variance over axes (2, 3), "
    "keepdims=True)")


def gradient_shapes(shape: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """(C,) and (1, C, 1, 1) are the same parameter."""
    C = int(np.prod(shape))
    return ((C,), (1, C, 1, 1))


def sizes(case: Case) -> dict[str, int]:
    """`InstanceNorm2d(num_features)`."""
    return {"features": int(case.params["gamma"].size)}


KIND = Kind(
    "instancenorm", ("instancenorm", "instancenorm2d", "instancenormalization", "instancenormalisation",
                     "instancenormalization2d", "instnorm"),
    build, draw_shape, batch_spec,
    function_stems=("instancenorm", "instance_norm", "instance_normalization"), params=("gamma", "beta"),
    forward_candidates=forward_candidates, gradient_shapes=gradient_shapes, sizes=sizes, forward_law=LAW,
    explain=StatsPathReader(by_channel_of_sample, "of each channel of a sample, over H and W"),
)
