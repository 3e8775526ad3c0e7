"""The second volume's MatMul: out = x @ W, a weight and no bias.

Names: `MatMul(W)` with `forward(x) -> out` and `backward(dout) -> dx`, its gradient in the
`grads = [dW]` list: x (N, D), W (D, H), out (N, H). D and H differ, so a transposed dW shows in its
shape, and N differs from both, so a gradient summed over the wrong axis does too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, D, H = spec["N"], spec["D"], spec["H"]
    return Case(values(rng, (N, D), spec), None, {"W": rng.standard_normal((D, H)) / np.sqrt(D)}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return dict(zip(("D", "H"), draw(distinct_sizes(2, low=1, high=7))))


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 4, "H": 3}


def sizes(case: Case) -> dict[str, int]:
    """`MatMul(n_in, n_out)` for a layer that draws its own weights."""
    D, H = case.params["W"].shape
    return {"in": int(D), "out": int(H)}


KIND = Kind("matmul", ("matmul",), build, draw_shape, batch_spec, params=("W",), sizes=sizes)
