"""The textbook's multiplication node (vol. 1, chapter 5): out = x * y, element by element.

Names: `MulLayer()` (some readers' copies of the book's code say `MultiplyLayer`) with `forward(x, y) -> x * y`
and `backward(dout) -> (dx, dy)`: each input's gradient is dout times the *other* input. Not `Mul`: the third
volume's DeZero `Mul(Function)` reads `self.inputs`, which only its `__call__` sets; nor `MultiplyGate`, a matrix
product `forward(W, x)` in the tutorials that use the name.
y has x's shape and one row per sample, a forward argument (`Kind.forward_inputs`), so its gradient is checked as
dx is. The book calls it on scalars (an apple's price and their number); the cases are arrays of scalars, which
is the same rule at every element. No function style: the `mul_forward`/`mul_backward` found in the wild belong
to autograd engines whose arguments are their own nodes, not CS231n's `(out, cache)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradlab.core.kind import Case, Kind, Spec
from gradlab.kinds.common import draw_elementwise_shape, elementwise_batch_spec, elementwise_case, values

#: how close (relative, in norm) a gradient must be to dout times its own input to be read as that slip: it is
#: computed exactly so in float64, and to a float32 layer's rounding
SAME = 1e-5


def build(spec: Spec, rng: np.random.Generator) -> Case:
    """x and y of one shape (N, *spec['shape']), drawn independently (so a dx written with x for y shows)."""
    case = elementwise_case(spec, rng)
    case.params["y"] = values(rng, case.x.shape, spec)
    return case


@dataclass(frozen=True)
class OwnFactorReading:
    """`Kind.explain`: a product's gradient written with the input's own value where the other factor belongs
    (dx = dout * x for dout * y) is the derivative taken at the wrong array, `wrong-input`. The general diagnosis
    reads it `mismatch`: x and y are independent draws, so dout * x is no pattern of dout * y. Needs the upstream
    gradient (`reads_upstream`)."""

    reads_upstream: bool = True

    def __call__(self, case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray, out: np.ndarray,
                 upstream: np.ndarray | None = None) -> tuple[str, str] | None:
        if upstream is None or target not in ("x", "y"):
            return None
        own = case.x if target == "x" else case.params["y"]
        written = upstream * own
        # the gradient comes as the user's code holds it: with samples as columns (`--layout columns`), transposed
        views = [w for w in (written, written.T if written.ndim == 2 else written) if w.shape == analytic.shape]
        if not np.any(written) or not any(float(np.linalg.norm(analytic - w)) <= SAME * float(np.linalg.norm(w))
                                          for w in views):
            return None
        mine, theirs = ("x", "y") if target == "x" else ("y", "x")
        return ("wrong-input", f"d{mine} is dout * {mine}, where dout * {theirs} belongs: the gradient of a product "
                f"with respect to one input is the upstream gradient times the other input (the book's MulLayer "
                f"swaps them: dx = dout * self.y, dy = dout * self.x)")


KIND = Kind("mul_layer", ("mullayer", "multiplylayer"), build,
            draw_elementwise_shape, elementwise_batch_spec,
            params=("y",), forward_inputs=("y",), batch_params=("y",), explain=OwnFactorReading())
