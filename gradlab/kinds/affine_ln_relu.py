"""The affine-layernorm-ReLU sandwich: relu(layernorm(x @ W + b)) as one layer,
`affine_ln_relu_forward(x, w, b, gamma, beta, ln_param)` / `affine_ln_relu_backward(dout, cache) ->
(dx, dw, db, dgamma, dbeta)`, as students add it to CS231n's `layer_utils.py`.

It does not mix samples. M >= 2 (layer norm over one feature is degenerate); b's gradient is 0
(each sample's mean removes it).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds import layernorm
from gradlab.kinds.sandwich import IMAGES, affine_arrays, affine_law_shape, affine_of, draw_affine, norm_arrays


def build(spec: Spec, rng: np.random.Generator) -> Case:
    x, params = affine_arrays(spec, rng)
    return Case(x, None, {**params, **norm_arrays(rng, spec["M"])}, {"eps": 1e-5}, spec)


def draw_shape(draw: Draw, *, flat_input: bool = False, **_: Any) -> Spec:
    return draw_affine(draw, images=not flat_input)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 4, "M": 3}


#: the inner layer norm's law, on the outputs the ReLU lets through
LAW = replace(layernorm.LAW, shape=affine_law_shape, pre=affine_of, relu=True)

KIND = Kind("affine_ln_relu", ("affinelnrelu", "affinelayernormrelu"), build, draw_shape, batch_spec,
            function_stems=("affine_ln_relu", "affine_layernorm_relu"), params=("W", "b", "gamma", "beta"),
            param_dict="ln_param", param_dict_keys={"eps": "eps"}, forward_law=LAW, optional_input=IMAGES)
