"""SELU: λ·x where x > 0 and λ·α(eˣ − 1) where x ≤ 0, with the self-normalising constants α ≈ 1.6733 and
λ ≈ 1.0507 (Klambauer et al. 2017); element-wise, no learned parameter.

Names: `SELU`/`Selu`, `selu_forward/backward(x)`, and ML-From-Scratch's activation object (`__call__(x)`,
`gradient(x)`). Courses write the constants to four decimals or to full precision: the gradient is checked
against the layer's own forward, whichever it uses, and the grader accepts either (to 1e-4 of each).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradlab.core.kind import Case, ForwardCheck, Kind
from gradlab.core.tolerances import FORWARD_ATOL
from gradlab.kinds.common import draw_elementwise_shape, elementwise_batch_spec, elementwise_case, exp_overflow_extremes

ALPHA = 1.6732632423543772
SCALE = 1.0507009873554805
#: how far a constant written to four decimals (1.6733, 1.0507) lies from the exact one, relatively, and a margin
CONSTANT_RTOL = 1e-4
#: how close (relative, in norm) dx must be to a slip's formula, with the layer's own constants, to be read as it
SAME = 1e-5


def forward_accepts(out: np.ndarray, case: Case) -> ForwardCheck:
    """out = λx where x > 0 and λα(eˣ − 1) where x < 0, λ and α each within CONSTANT_RTOL of SELU's."""
    x = case.x
    if out.shape != x.shape:
        return ForwardCheck(False, f"forward returned shape {out.shape}, expected {x.shape}")
    exact = SCALE * np.where(x > 0, x, ALPHA * np.expm1(np.minimum(x, 0.0)))
    atol = FORWARD_ATOL * max(1.0, float(np.abs(exact).max(initial=0.0)))
    if np.allclose(out, exact, rtol=3 * CONSTANT_RTOL, atol=atol):
        return ForwardCheck(True)
    return ForwardCheck(False, f"forward output is not a SELU: it must equal λ·x where x > 0 and λ·α(exp(x) − 1) "
                               f"where x ≤ 0, with λ = {SCALE:.4f} and α = {ALPHA:.4f}")


@dataclass(frozen=True)
class SwappedBranches:
    """`Kind.explain`: dx with SELU's two derivatives at each other's side of 0 (λαeˣ where x > 0 and λ where
    x <= 0) holds the right values at the wrong positions, `misrouted`; the general diagnosis reads `mismatch`.
    The formula is evaluated with the layer's own constants, read off its forward (four decimals or in full)."""

    reads_upstream: bool = True

    def __call__(self, case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray, out: np.ndarray,
                 upstream: np.ndarray | None = None) -> tuple[str, str] | None:
        x = case.x
        pos, neg = x > 1e-3, x < -1e-3
        if upstream is None or target != "x" or out.shape != x.shape or not pos.any() or not neg.any():
            return None
        scale = float(np.median(out[pos] / x[pos]))
        scale_alpha = float(np.median(out[neg] / np.expm1(x[neg])))
        swapped = upstream * np.where(x > 0, scale_alpha * np.exp(x), scale)
        if float(np.linalg.norm(analytic - swapped)) > SAME * float(np.linalg.norm(swapped)):
            return None
        return ("misrouted", "dx has SELU's two derivatives on each other's side of 0: scale * alpha * exp(x) where "
                "x > 0 and scale where x <= 0; scale belongs where x > 0 and scale * alpha * exp(x) where x <= 0 "
                "(the comparison or the branches of the np.where swapped)")


KIND = Kind("selu", ("selu", "scaledelu", "scaledexponentiallinearunit"), elementwise_case, draw_elementwise_shape,
            elementwise_batch_spec, function_stems=("selu",), extreme_specs=exp_overflow_extremes,
            forward_accepts=forward_accepts,
            explain=SwappedBranches())
