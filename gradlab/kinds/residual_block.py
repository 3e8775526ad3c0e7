"""A residual block on (N, D) features: the input plus a two-layer branch, relu(x + relu(x @ W1 + b1) @ W2 + b2)
or any of its variants (the ReLU after the sum or not, another activation inside).

Names: `residual_block_forward(x, w1, b1, w2, b2) -> (out, cache)` / `residual_block_backward(dout, cache) -> (dx,
dw1, db1, dw2, db2)`; a class `ResidualBlock(W1, b1, W2, b2)` (`forward(x)`, `backward(dout) -> dx` with dW1, db1,
dW2, db2) by a comment, `# gradlab: kind=residual_block`, not by its name (see KIND). A kind rather than a generic
layer because its sizes are tied: the branch maps D features to H and back, so W1 is (D, H), W2 (H, D), and the sum
needs out's D to be x's. H and D differ (a transposed weight shows in its shape). What the checker sees in dx is the
sum of the skip path's gradient and the branch's: dropping either is `dropped-term`.
Non-goal: convolutional blocks on (N, C, H, W) (a `# gradlab: kind=generic` comment with their shapes checks them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, D, H = spec["N"], spec["D"], spec["H"]
    params = {"W1": rng.standard_normal((D, H)) / np.sqrt(D), "b1": 0.1 * rng.standard_normal(H),
              "W2": rng.standard_normal((H, D)) / np.sqrt(H), "b2": 0.1 * rng.standard_normal(D)}
    return Case(values(rng, (N, D), spec), None, params, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    D, H = draw(distinct_sizes(2, low=2, high=6))
    return {"D": D, "H": H}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 4, "H": 3}


@dataclass(frozen=True)
class SkipPathDropped:
    """`Kind.explain`: dx that lacks exactly the skip path's share, dout itself (or dout through a ReLU after the
    sum, where the output is positive): x + branch(x) was differentiated as branch(x) alone. The general diagnosis
    sees a gradient right in no element and says mismatch; what is missing is one known term."""

    #: `Kind.explain` protocol: the skip path's share is dout
    reads_upstream: bool = True

    def __call__(self, case: Case, name: str, analytic: np.ndarray, numeric: np.ndarray, output: Any,
                 upstream: np.ndarray | None = None, **_: Any) -> tuple[str, str] | None:
        if name != "x" or upstream is None or upstream.shape != numeric.shape or analytic.shape != numeric.shape:
            return None
        missing = numeric - analytic
        norm = float(np.linalg.norm(numeric))
        shares = [upstream] + ([upstream * (output > 0)] if np.shape(output) == upstream.shape else [])
        if any(np.any(share) and np.linalg.norm(missing - share) <= 1e-6 * norm for share in shares):
            return "dropped-term", ("dx lacks the skip connection's share: out = x + branch(x), so dx is dout (through "
                                    "the activation after the sum, if any) plus the branch's gradient; add dout to dx")
        return None


KIND = Kind(
    # no class names: a class called ResidualBlock in published code is nearly always a convolutional block that
    # keeps its weights in inner layers (self.conv1.W), which gradlab cannot read, and a bare Residual wraps another
    # layer; a dense block says so with `# gradlab: kind=residual_block` or `--kind ResidualBlock=residual_block`
    "residual_block", (), build, draw_shape,
    batch_spec, function_stems=("residual_block", "res_block", "resblock"), params=("W1", "b1", "W2", "b2"),
    explain=SkipPathDropped(),
)
