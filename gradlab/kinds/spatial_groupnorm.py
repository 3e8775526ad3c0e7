"""Spatial group normalisation: over (N, C, H, W), split the C channels of each sample into G groups of
C/G contiguous channels and normalise each group over its channels, H and W; then γ·x̂ + β per channel.

Names: CS231n's `spatial_groupnorm_forward(x, gamma, beta, G, gn_param)` (`gn_param["eps"]`) and
`GroupNorm(gamma, beta, G)`. gamma and beta are (1, C, 1, 1) in the notebook and (C,) in the 2019
docstring: both are right. A layer is given (1, C, 1, 1) when it takes it, else (C,) (`optional_input`,
no warning), and a gradient returned in the other of the two shapes is taken as its own. It does not
mix samples; groups hold >= 3 values (so that a dx without the variance's path is told apart), and C, H
and W are drawn distinct (W != C: a (C,) gamma
broadcast against W crashes rather than passing by accident). Its forward law: each group's outputs are
γ·(x − mean)/σ + β over the group's own values; instance norm, layer norm, strided groups or a norm of each
position over its group's channels, with a backward to match, pass every gradient check, not this.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, OptionalInput, Spec
from gradlab.kinds.common import values
from gradlab.kinds.norm_law import Grouping, NormLaw
from gradlab.kinds.normalising import StatsPathReader, normalised
from gradlab.kinds.spatial_batchnorm import by_channel_of_sample, by_sample, channels


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, G, H, W = spec["N"], spec["G"], spec["H"], spec["W"]
    C = G * spec["group"]
    x = values(rng, (N, C, H, W), spec) + rng.standard_normal((1, C, 1, 1))
    shape = (C,) if spec.get("gamma_shape") == "(C,)" else (1, C, 1, 1)
    gamma = (1.0 + 0.5 * rng.standard_normal((C,))).reshape(shape)
    beta = rng.standard_normal((C,)).reshape(shape)
    return Case(x, None, {"gamma": gamma, "beta": beta}, {"G": G, "eps": 1e-5}, spec)


def draw_shape(draw: Draw, *, flat_input: bool = False, **_: Any) -> Spec:
    G, group = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    C = G * group
    H = draw(st.integers(1, 3))
    W = draw(st.sampled_from([w for w in (3, 4, 5, 7) if w not in (C, H)]))  # groups of >= 3 values
    return {"G": G, "group": group, "H": H, "W": W, "gamma_shape": "(C,)" if flat_input else "(1, C, 1, 1)"}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The normalised output under each usual epsilon."""
    N, C, H, W = case.x.shape
    G = int(case.hyper["G"])
    grouped = case.x.reshape(N, G, C // G, H, W)
    ones = np.ones((1, 1, 1, 1, 1))
    outs = normalised(grouped, (2, 3, 4), ones, 0 * ones)
    gamma, beta = case.params["gamma"].reshape(1, C, 1, 1), case.params["beta"].reshape(1, C, 1, 1)
    return [gamma * o.reshape(N, C, H, W) + beta for o in outs]


def groups(case: Case, a: np.ndarray) -> np.ndarray:
    """One row per normalised group: a sample's C / G channels, over H and W."""
    return a.reshape(a.shape[0] * int(case.hyper["G"]), -1)


def strided(case: Case, a: np.ndarray) -> np.ndarray:
    """Groups of channels c, c + G, c + 2G, ... (x.reshape(N, C // G, G, H, W) normalised over axes 1, 3, 4)."""
    N, C = a.shape[:2]
    G = int(case.hyper["G"])
    return a.reshape(N, C // G, G, -1).transpose(0, 2, 1, 3).reshape(N * G, -1)


def positions(case: Case, a: np.ndarray) -> np.ndarray:
    """Each position (h, w) of a group alone, over the group's C / G channels."""
    N, C = a.shape[:2]
    G = int(case.hyper["G"])
    return a.reshape(N, G, C // G, -1).transpose(0, 1, 3, 2).reshape(-1, C // G)


#: samples in the law's input, of the case's own C, H and W (a layer may keep state sized by them)
LAW_N = 8


def law_shape(case: Case) -> tuple[int, ...]:
    return (LAW_N, *case.x.shape[1:])


LAW = NormLaw(
    law_shape, Grouping("each group of C/G neighbouring channels of a sample over them, H and W", groups),
    (Grouping("each channel of each sample over H and W alone", by_channel_of_sample,
              "instance norm (a group of one channel)"),
     Grouping("each sample over all its channels, H and W", by_sample, "layer norm (one group)"),
     Grouping("groups of channels c, c + G, c + 2G, ... (x.reshape(N, C // G, G, H, W))", strided,
              "a group norm with its channels dealt out in turn; a group is C/G neighbouring channels, "
              "x.reshape(N, G, C // G, H, W)"),
     Grouping("each position of a group over the group's C/G channels alone, not over H and W", positions,
              "a layer norm of each position's channels (the columns of x.transpose(0, 2, 3, 1).reshape(-1, C)) "
              "in groups"),
     Grouping("each channel over N, H and W", channels, "spatial batch norm")),
    "group", "each group's outputs, scaled back by γ and shifted by β, have mean 0 and standard deviation 1 over "
    "its channels, H and W",
    "Group norm normalises each sample's G groups of C/G neighbouring channels, each over its channels, H and W "
    "(x.reshape(N, G, C // G, H, W), mean and variance over axes (2, 3, 4))")


def gradient_shapes(shape: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """(C,) and (1, C, 1, 1) are the same parameter."""
    C = int(np.prod(shape))
    return ((C,), (1, C, 1, 1))


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"G": 2, "group": 2, "H": 2, "W": 3, "gamma_shape": "(1, C, 1, 1)"}


def sizes(case: Case) -> dict[str, int]:
    """`GroupNorm(num_channels, ...)`."""
    return {"features": int(case.params["gamma"].size)}


KIND = Kind(
    "spatial_groupnorm", ("spatialgroupnorm", "groupnorm", "groupnormalization", "groupnormalisation",
                          "spatialgroupnormalization"), build, draw_shape, batch_spec,
    function_stems=("spatial_groupnorm", "groupnorm"), params=("gamma", "beta"), param_dict="gn_param",
    param_dict_keys={"eps": "eps"}, positional_hyper=("G",), hyper_args=("G",),
    forward_candidates=forward_candidates, gradient_shapes=gradient_shapes, sizes=sizes, forward_law=LAW,
    explain=StatsPathReader(groups, "of each group of channels of a sample, over H and W"),
    optional_input=OptionalInput(
        probe={"N": 2, "G": 2, "group": 2, "H": 2, "W": 3, "gamma_shape": "(1, C, 1, 1)", "seed": 0, "scale": 1.0},
        output=(2, 4, 2, 3), note=""),
)
