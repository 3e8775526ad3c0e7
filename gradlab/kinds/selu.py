"""SELU: λ·x where x > 0 and λ·α(eˣ − 1) where x ≤ 0, with the self-normalising constants α ≈ 1.6733 and
λ ≈ 1.0507 (Klambauer et al. 2017); element-wise, no learned parameter.

Names: `SELU`/`Selu`, `selu_forward/backward(x)`, and ML-From-Scratch's activation object (`__call__(x)`,
`gradient(x)`). Courses write the constants to four decimals or to full precision: the gradient is checked
against the layer's own forward, whichever it uses, and the grader accepts either (to 1e-4 of each).
"""

from __future__ import annotations

import numpy as np

from gradlab.core.kind import Case, ForwardCheck, Kind
from gradlab.core.tolerances import FORWARD_ATOL
from gradlab.kinds.common import draw_elementwise_shape, elementwise_batch_spec, elementwise_case

ALPHA = 1.6732632423543772
SCALE = 1.0507009873554805
#: how far a constant written to four decimals (1.6733, 1.0507) lies from the exact one, relatively, and a margin
CONSTANT_RTOL = 1e-4


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


KIND = Kind("selu", ("selu", "scaledelu", "scaledexponentiallinearunit"), elementwise_case, draw_elementwise_shape,
            elementwise_batch_spec, function_stems=("selu",), forward_accepts=forward_accepts)
