"""CS231n's affine-batchnorm-ReLU sandwich, in training mode: relu(bn(x @ W + b)) as one layer,
`affine_bn_relu_forward(x, w, b, gamma, beta, bn_param)` / `affine_bn_relu_backward(dout, cache) ->
(dx, dw, db, dgamma, dbeta)`, as students add it to `layer_utils.py` for `FullyConnectedNet`.

It mixes samples (the batch norm does), so N >= 4. b has no gradient through a batch norm (the batch
mean removes it): db is 0, and a layer returning 0 there is right.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds import batchnorm
from gradlab.kinds.sandwich import IMAGES, affine_arrays, affine_law_shape, affine_of, draw_affine, norm_arrays


def build(spec: Spec, rng: np.random.Generator) -> Case:
    x, params = affine_arrays(spec, rng)
    return Case(x, None, {**params, **norm_arrays(rng, spec["M"])}, {"eps": 1e-5, "momentum": 0.9}, spec)


def draw_shape(draw: Draw, *, flat_input: bool = False, **_: Any) -> Spec:
    return draw_affine(draw, images=not flat_input)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 4, "M": 3}


#: the inner batch norm's law, on the outputs the ReLU lets through
LAW = replace(batchnorm.LAW, shape=affine_law_shape, pre=affine_of, relu=True)

KIND = Kind("affine_bn_relu", ("affinebnrelu", "affinebatchnormrelu"), build, draw_shape, batch_spec,
            function_stems=("affine_bn_relu", "affine_batchnorm_relu"), params=("W", "b", "gamma", "beta"),
            mixes_samples=True, min_batch=4, param_dict="bn_param",
            param_dict_keys={"eps": "eps", "momentum": "momentum"}, param_dict_fixed={"mode": "train"},
            forward_law=LAW, optional_input=IMAGES)
