"""Affine (fully connected): out = x.reshape(N, -1) @ W + b.

Names: `Affine`/`Dense`/`Linear`/`FullyConnected`, `affine_forward/backward(x, w, b)`. The
textbook's final Affine also flattens a 4-D input (N, C, H, W); its chapter-5 version takes (N, D)
only, a choice rather than a bug, so such a layer is checked on 2-D input with a warning.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, OptionalInput, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, in_shape, M = spec["N"], tuple(spec["in_shape"]), spec["out"]
    D = int(np.prod(in_shape))
    x = values(rng, (N, *in_shape), spec)
    W = rng.standard_normal((D, M)) / np.sqrt(D)
    b = rng.standard_normal((M,))
    return Case(x, None, {"W": W, "b": b}, {}, spec)


def draw_shape(draw: Draw, *, flat_input: bool = False, **_: Any) -> Spec:
    # D != M: a square W hides a transposed dW
    D, M = draw(distinct_sizes(2, low=1, high=7))
    # shrinking goes towards the plain 2-D input; 4-D stays only when the failure needs it
    if flat_input or not draw(st.booleans()):
        in_shape: tuple[int, ...] = (D,)
    else:  # a 4-D input that the layer must flatten and whose dx it must reshape back
        in_shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(2, 3)))
        if int(np.prod(in_shape)) == M:  # flattened, it would be square again
            M += 1
    return {"in_shape": in_shape, "out": M}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"in_shape": (5,), "out": 3}


def sizes(case: Case) -> dict[str, int]:
    """`Dense(n_in, n_out)`: the flattened input size and the output size (read off b and W's size, so
    that a case whose W is kept (out, in), as for samples as columns, gives the same sizes)."""
    M = int(case.params["b"].size)
    return {"in": int(case.params["W"].size) // M, "out": M}


KIND = Kind(
    "affine", ("affine", "dense", "linear", "fullyconnected", "fc", "affinelayer", "denselayer", "linearlayer",
               "fullyconnectedlayer"), build, draw_shape,
    batch_spec=batch_spec,
    function_stems=("affine",), params=("W", "b"),
    # deeplearning.ai: Z = W @ A + b with samples as columns, W (out, in), b (out, 1); dW and db are
    # means over the m samples (its cost is the mean), dA_prev is not. Its linear_activation_forward(A_prev,
    # W, b, activation) is the same affine map followed by the activation the string names
    course_stems={stem: {"layout": "columns", "weights": "out_in", "param_gradients": "mean"}
                  for stem in ("linear", "linear_activation")},
    training_role="affine", sizes=sizes,
    optional_input=OptionalInput(
        probe={"N": 2, "in_shape": (2, 1, 3), "out": 4, "seed": 0, "scale": 1.0}, output=(2, 4),
        note="{name} does not take 4-D input (N, C, H, W) to (N, M); it was {checked} on 2-D input (N, D) only"),
)
