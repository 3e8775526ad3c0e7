"""CS231n's conv-spatial-batchnorm-ReLU sandwich, in training mode: relu(sbn(conv(x, W) + b)),
`conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param)` / `conv_bn_relu_backward(dout,
cache) -> (dx, dw, db, dgamma, dbeta)` (`layer_utils.py`); bn_param is its second dict.

It mixes samples (N >= 2; each channel has >= 4 values). db is 0 (the batch mean removes it).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds import spatial_batchnorm
from gradlab.kinds.sandwich import CONV_KEYS, conv_arrays, conv_hyper, conv_of, draw_conv, norm_arrays


def build(spec: Spec, rng: np.random.Generator) -> Case:
    x, params = conv_arrays(spec, rng)
    return Case(x, None, {**params, **norm_arrays(rng, spec["F"])},
                {**conv_hyper(spec), "eps": 1e-5, "momentum": 0.9}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_conv(draw)  # outputs of 1 x 2 at least: with N >= 2, four values per channel


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "F": 3, "K": 3, "H": 3, "W": 4, "stride": 1, "pad": 1}


#: the inner spatial batch norm's law, on the outputs the ReLU lets through
LAW = replace(spatial_batchnorm.LAW, relu=True, pre=conv_of,
              shape=spatial_batchnorm.law_shape)

KIND = Kind("conv_bn_relu", ("convbnrelu", "convbatchnormrelu"), build, draw_shape, batch_spec,
            function_stems=("conv_bn_relu", "conv_batchnorm_relu"), params=("W", "b", "gamma", "beta"),
            mixes_samples=True, min_batch=2, param_dict="conv_param", param_dict_keys=CONV_KEYS,
            more_param_dicts={"bn_param": ({"eps": "eps", "momentum": "momentum"}, {"mode": "train"})},
            hyper_args=("stride", "pad"), forward_law=LAW)
