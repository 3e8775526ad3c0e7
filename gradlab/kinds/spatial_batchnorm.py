"""Spatial batch normalisation in training mode: over (N, C, H, W), normalise each channel over N, H and W.

Names: CS231n's `spatial_batchnorm_forward(x, gamma, beta, bn_param)` (`bn_param["mode"] = "train"`),
`SpatialBatchNorm(gamma, beta)`/`BatchNorm2d`; gamma and beta are (C,). It mixes samples by design;
C, H and W are drawn distinct so that a channel axis confused with a spatial one shows, and each
channel has at least four values (N·H·W >= 4) so its variance is not degenerate.
The grader accepts any of the usual epsilons. Its forward law: each channel's outputs over N, H and W are
γ·(x − mean)/σ + β; a forward over other groups (per position, x.reshape(-1, C) without the transpose, per
sample) with a backward to match passes every gradient check, not this.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import distinct_sizes, values
from gradlab.kinds.norm_law import Grouping, NormLaw
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


#: values per channel in the law's input
LAW_VALUES = 400


def law_shape(case: Case) -> tuple[int, ...]:
    """The case's own C, H and W (a layer may keep state sized by them) and enough samples for LAW_VALUES per
    channel, where the variance's N or N - 1 moves the spread by 1.3e-3."""
    C, H, W = case.x.shape[1:]
    return (max(4, -(-LAW_VALUES // (H * W))), C, H, W)


def by_position(case: Case, a: np.ndarray) -> np.ndarray:
    """Each channel at each position over the batch alone (the textbook's x.reshape(N, -1))."""
    return a.reshape(a.shape[0], -1).T


def flat(case: Case, a: np.ndarray) -> np.ndarray:
    """x.reshape(-1, C) without moving C last first."""
    return a.reshape(-1, a.shape[1])


def flat_columns(case: Case, a: np.ndarray) -> np.ndarray:
    """The columns of `flat`."""
    return flat(case, a).T


def by_channel_of_sample(case: Case, a: np.ndarray) -> np.ndarray:
    """Each channel of each sample over H and W (instance norm's groups)."""
    return a.reshape(a.shape[0] * a.shape[1], -1)


def by_sample(case: Case, a: np.ndarray) -> np.ndarray:
    """Each sample over its channels, H and W (layer norm's groups)."""
    return a.reshape(a.shape[0], -1)


LAW = NormLaw(
    law_shape, Grouping("each channel over N, H and W", channels),
    (Grouping("each channel at each position over the batch alone", by_position,
              "batch norm of x.reshape(N, C*H*W), one mean per position where spatial batch norm has one per "
              "channel"),
     Grouping("the columns of x.reshape(-1, C), C not moved last first (x.transpose(0, 2, 3, 1))",
              flat_columns, "a batch norm whose columns are not channels", flat),
     Grouping("the columns of x.reshape(-1, C), γ and β per channel", flat_columns,
              "a batch norm whose columns are not channels"),
     Grouping("each channel of each sample over H and W", by_channel_of_sample, "instance norm"),
     Grouping("each sample over its channels, H and W", by_sample, "layer norm")),
    "channel", "spatial batch norm's outputs for each channel, scaled back by γ and shifted by β, have mean 0 and "
    "standard deviation 1 over N, H and W",
    "Spatial batch norm normalises each channel over N, H and W (mean and variance over axes (0, 2, 3)), so that "
    "in training every channel's outputs have mean β and standard deviation γ")


def sizes(case: Case) -> dict[str, int]:
    """`SpatialBatchNorm(num_channels)`."""
    return {"features": int(case.params["gamma"].size)}


KIND = Kind(
    "spatial_batchnorm", ("spatialbatchnorm", "spatialbatchnormalization", "spatialbatchnormalisation",
                          "batchnorm2d", "batchnormalization2d"), build, draw_shape, batch_spec,
    function_stems=("spatial_batchnorm",), params=("gamma", "beta"), mixes_samples=True, min_batch=2,
    param_dict="bn_param", param_dict_keys={"eps": "eps", "momentum": "momentum"},
    param_dict_fixed={"mode": "train"}, forward_candidates=forward_candidates, sizes=sizes, forward_law=LAW,
    explain=StatsPathReader(channels, "of each channel over N, H and W"),
)
