"""Reshape: a layer told the shapes it maps between, `Reshape(input_shape, output_shape)`, whose backward puts the
gradient back in the input's shape.

Two conventions are met, both right. The "neural network from scratch" videos and their forks take one sample at a
time with no batch axis: `Reshape((1, 28, 28), (28 * 28, 1))` reshapes whatever it is given to `output_shape`
and its gradient to `input_shape`. Keras-like learners' layers take the shapes of one sample and keep the batch
axis (`x.reshape(x.shape[0], *output_shape)`). A layer is probed once with one sample's shapes on a batch of two
(`Kind.optional_input`); where that does not give (N, *output_shape) it is given the whole array's shapes instead,
(N, C, H, W) to (N, C*H*W), which a layer of the first convention maps as the second would. The axes differ in
size, so a gradient put back in another order lands at the wrong positions and shows.
Non-goal: a constructor told only its output shape (Keras' `Reshape(target_shape)`): it is the same map, but
which of its arguments is the input's shape cannot be told from names alone there (`--kind` says it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, ForwardCheck, Kind, OptionalInput, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C, H, W = spec["N"], spec["C"], spec["H"], spec["W"]
    # one sample's shapes, or, for a layer that reshapes whatever it is given (`whole`), the whole batch's
    shapes = {"input_shape": (N, C, H, W), "output_shape": (N, C * H * W)} if spec.get("whole") else \
        {"input_shape": (C, H, W), "output_shape": (C * H * W, 1)}
    return Case(values(rng, (N, C, H, W), spec), None, {}, shapes, spec)


def draw_shape(draw: Draw, *, flat_input: bool = False, **_: Any) -> Spec:
    """(C, H, W) all different; `flat_input` here means the layer takes no batch axis of its own."""
    C, H, W = draw(distinct_sizes(3, low=1, high=4))
    return {"C": C, "H": H, "W": W, **({"whole": True} if flat_input else {})}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "H": 3, "W": 4}


def forward_accepts(out: np.ndarray, case: Case) -> ForwardCheck:
    """Grading: x's values in x's order (C order), with the batch axis first where there is one. The output's shape
    is the layer's own choice of convention ((N, C*H*W, 1) or (N, C*H*W)), so only its values are compared."""
    out = np.asarray(out)
    if out.size != case.x.size:
        return ForwardCheck(False, f"forward returned {out.size} values for an input of {case.x.size}: a reshape "
                                   "keeps every value")
    if not np.array_equal(out.reshape(-1), case.x.reshape(-1)):
        return ForwardCheck(False, "forward's values are not x's in x's order: reshape in C order (numpy's default), "
                                   "with no transpose")
    return ForwardCheck(True)


KIND = Kind("reshape_layer", ("reshape", "reshapelayer"), build, draw_shape, batch_spec,
            hyper_args=("input_shape", "output_shape"), forward_accepts=forward_accepts,
            optional_input=OptionalInput(probe={"N": 2, "C": 2, "H": 3, "W": 4, "seed": 0, "scale": 1.0},
                                         output=(2, 24, 1), note=""))
