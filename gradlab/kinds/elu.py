"""ELU: x where x > 0, α(eˣ − 1) where x ≤ 0, for one α > 0 of the layer's choosing (1 by default).

Names: `ELU`/`Elu`, `elu_forward/backward(x)`. The grader accepts any one α > 0, as it accepts any
leaky ReLU slope.
"""

from __future__ import annotations

import numpy as np

from gradlab.core.kind import Case, ForwardCheck, Kind
from gradlab.core.tolerances import FORWARD_ATOL, FORWARD_RTOL
from gradlab.kinds.common import draw_elementwise_shape, elementwise_batch_spec, elementwise_case, exp_overflow_extremes

#: α as gradlab gives it to a layer that takes one with a default (`ELU(alpha=1.0)`, `forward(ctx, x, alpha=1.0)`):
#: not 1, at which a backward leaving α out of its negative branch computes the same numbers
OWN_ALPHA = {"alpha": 1.7}


def forward_accepts(out: np.ndarray, case: Case) -> ForwardCheck:
    """out = x where x > 0 and α(eˣ − 1), one α > 0, where x < 0."""
    x = case.x
    if out.shape != x.shape:
        return ForwardCheck(False, f"forward returned shape {out.shape}, expected {x.shape}")
    pos, neg = x > 0, x < -1e-3  # away from 0, where eˣ − 1 vanishes and says nothing about α
    ok = bool(np.allclose(out[pos], x[pos], rtol=FORWARD_RTOL, atol=FORWARD_ATOL))
    if ok and neg.any():
        curve = np.expm1(x[neg])
        alpha = float(np.median(out[neg] / curve))
        ok = alpha > 0 and bool(np.allclose(out[neg], alpha * curve, rtol=FORWARD_RTOL,
                                            atol=FORWARD_ATOL * max(1.0, alpha)))
    if ok:
        return ForwardCheck(True)
    return ForwardCheck(False, "forward output is not an ELU: it must equal x where x > 0 and α(exp(x) − 1), one "
                               "α > 0, where x < 0")


KIND = Kind("elu", ("elu",), elementwise_case, draw_elementwise_shape, elementwise_batch_spec,
            function_stems=("elu",), extreme_specs=exp_overflow_extremes, forward_accepts=forward_accepts,
            own_settings=OWN_ALPHA)
