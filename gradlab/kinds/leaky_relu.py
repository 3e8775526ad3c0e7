"""Leaky ReLU: x where x > 0, a·x where x < 0, for one slope 0 < a < 1 of the layer's own choosing.

Names: `LeakyRelu`, `leaky_relu_forward/backward(x)`. Courses pick different slopes (0.01, 0.1,
0.2), so the grader accepts any one slope in (0, 1) rather than the reference layer's.
"""

from __future__ import annotations

import numpy as np

from gradlab.core.kind import Case, ForwardCheck, Kind
from gradlab.core.tolerances import FORWARD_ATOL, FORWARD_RTOL
from gradlab.kinds.common import draw_elementwise_shape, elementwise_batch_spec, elementwise_case


def forward_accepts(out: np.ndarray, case: Case) -> ForwardCheck:
    """out = x where x > 0, out = a·x (one slope 0 < a < 1) where x < 0."""
    x = case.x
    if out.shape != x.shape:
        return ForwardCheck(False, f"forward returned shape {out.shape}, expected {x.shape}")
    pos, neg = x > 0, x < 0
    ok = bool(np.allclose(out[pos], x[pos], rtol=FORWARD_RTOL, atol=FORWARD_ATOL))
    if ok and neg.any():
        a = float(np.median(out[neg] / x[neg]))
        ok = 0.0 < a < 1.0 and bool(np.allclose(out[neg], a * x[neg], rtol=FORWARD_RTOL,
                                                atol=FORWARD_ATOL * max(1.0, abs(a))))
    if ok:
        return ForwardCheck(True)
    return ForwardCheck(False, "forward output is not a leaky ReLU: it must equal x where x > 0 and one slope "
                               "0 < a < 1 times x where x < 0")


KIND = Kind("leaky_relu", ("leakyrelu", "lrelu"), elementwise_case, draw_elementwise_shape, elementwise_batch_spec,
            function_stems=("leaky_relu",), forward_accepts=forward_accepts)
