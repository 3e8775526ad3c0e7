"""CELU, the continuously differentiable ELU: x where x > 0, α(e^(x/α) − 1) where x ≤ 0, for one α > 0 of the
layer's choosing (1 by default, where it is the ELU).

Names: `CELU`/`Celu`, `celu_forward/backward(x)`. The grader accepts any one α > 0, found from the output at the
input's most negative value (α(e^(x/α) − 1) falls from 0 towards x as α grows, so one value fixes α), then checked
everywhere else.
"""

from __future__ import annotations

import numpy as np

from gradlab.core.kind import Case, ForwardCheck, Kind
from gradlab.core.tolerances import FORWARD_ATOL, FORWARD_RTOL
from gradlab.kinds.common import draw_elementwise_shape, elementwise_batch_spec, elementwise_case, exp_overflow_extremes
from gradlab.kinds.elu import OWN_ALPHA


def curve(x: np.ndarray, alpha: float) -> np.ndarray:
    """α(e^(x/α) − 1), the negative side."""
    return alpha * np.expm1(x / alpha)


def fitted_alpha(x: float, out: float) -> float | None:
    """The α > 0 with α(e^(x/α) − 1) = out at one x < 0 (bisection on log α), or None when out lies outside (x, 0)."""
    if not x < out < 0:
        return None
    low, high = -20.0, 20.0
    for _ in range(200):
        middle = (low + high) / 2
        if curve(np.array(x), float(np.exp(middle))) > out:
            low = middle
        else:
            high = middle
    return float(np.exp((low + high) / 2))


def forward_accepts(out: np.ndarray, case: Case) -> ForwardCheck:
    """out = x where x > 0 and α(e^(x/α) − 1), one α > 0, where x < 0."""
    x = case.x
    if out.shape != x.shape:
        return ForwardCheck(False, f"forward returned shape {out.shape}, expected {x.shape}")
    pos, neg = x > 0, x < -1e-3  # away from 0, where the curve vanishes and says nothing about α
    ok = bool(np.allclose(out[pos], x[pos], rtol=FORWARD_RTOL, atol=FORWARD_ATOL))
    if ok and neg.any():
        at = int(np.argmin(np.where(neg, x, np.inf)))
        alpha = fitted_alpha(float(x.flat[at]), float(out.flat[at]))
        ok = alpha is not None and bool(np.allclose(out[neg], curve(x[neg], alpha), rtol=FORWARD_RTOL,
                                                    atol=FORWARD_ATOL * max(1.0, alpha)))
    if ok:
        return ForwardCheck(True)
    return ForwardCheck(False, "forward output is not a CELU: it must equal x where x > 0 and α(exp(x / α) − 1), "
                               "one α > 0, where x < 0")


KIND = Kind("celu", ("celu", "continuouselu", "continuouslydifferentiableelu"), elementwise_case,
            draw_elementwise_shape, elementwise_batch_spec, function_stems=("celu",),
            extreme_specs=exp_overflow_extremes, forward_accepts=forward_accepts, own_settings=OWN_ALPHA)
