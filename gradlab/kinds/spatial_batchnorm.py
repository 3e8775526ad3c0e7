"""Spatial batch normalisation in training mode: over (N, C, H, W), normalise each channel over N, H and W.

Names: CS231n's `spatial_batchnorm_forward(x, gamma, beta, bn_param)` (`bn_param["mode"] = "train"`),
`SpatialBatchNorm(gamma, beta)`/`BatchNorm2d`; gamma and beta are (C,). It mixes samples by design;
C, H and W are drawn distinct so that a channel axis confused with a spatial one shows, and each
channel has at least four values (N·H·W >= 4) so its variance is not degenerate.
The grader accepts any of the usual epsilons.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import distinct_sizes, values
from gradlab.kinds.normalising import StatsPathReader, normalised


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C, H, W = spec["N"], spec["C"], spec["H"], spec["W"]
    x = values(rng, (N, C, H, W), spec) + rng.standard_normal((1, C, 1, 1))
    gamma = 1.0 + 0.5 * rng.standard_normal((C,))
    beta = rng.standard_normal((C,))
    return Case(x, None, {"gamma": gamma, "beta": beta}, {"eps": 1e-5, "momentum": 0.9}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    C, H, W = draw(distinct_sizes(3, low=1, high=4))
    if H * W < 2:  # with N >= 2, every channel then has >= 4 values
        H, W = H + 1, W + 2
    return {"C": C, "H": H, "W": W}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The normalised output under each usual epsilon."""
    C = case.x.shape[1]
    return normalised(case.x, (0, 2, 3), case.params["gamma"].reshape(1, C, 1, 1),
                      case.params["beta"].reshape(1, C, 1, 1))


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "H": 3, "W": 4}


def channels(case: Case, a: np.ndarray) -> np.ndarray:
    """One row per normalised group: a channel, over N, H and W."""
    return a.transpose(1, 0, 2, 3).reshape(a.shape[1], -1)


def sizes(case: Case) -> dict[str, int]:
    """`SpatialBatchNorm(num_channels)`."""
    return {"features": int(case.params["gamma"].size)}


KIND = Kind(
    "spatial_batchnorm", ("spatialbatchnorm", "spatialbatchnormalization", "spatialbatchnormalisation",
                          "batchnorm2d", "batchnormalization2d"), build, draw_shape, batch_spec,
    function_stems=("spatial_batchnorm",), params=("gamma", "beta"), mixes_samples=True, min_batch=2,
    param_dict="bn_param", param_dict_keys={"eps": "eps", "momentum": "momentum"},
    param_dict_fixed={"mode": "train"}, forward_candidates=forward_candidates, sizes=sizes,
    explain=StatsPathReader(channels, "of each channel over N, H and W"),
)
