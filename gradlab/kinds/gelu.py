"""GELU, element-wise and parameter-free: x·Φ(x), `GELU`/`Gelu` or `gelu_forward/backward(x)`.

Courses write it exactly (with erf) or with one of the two usual approximations, 0.5·x·(1 +
tanh(√(2/π)(x + 0.044715x³))) and x·σ(1.702x). The gradient is checked against the layer's own
forward, whichever it computes; the grader accepts any of the three forwards.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab.core.kind import Case, ForwardCheck, Kind
from gradlab.core.tolerances import FORWARD_ATOL, FORWARD_RTOL
from gradlab.kinds.common import draw_elementwise_shape, elementwise_batch_spec, elementwise_case, exp_overflow_extremes


def gelu_forms(x: np.ndarray) -> list[np.ndarray]:
    """The exact GELU, then its tanh and sigmoid approximations."""
    erf = np.vectorize(math.erf, otypes=[float])
    exact = 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))
    tanh = 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    sigmoid = x * np.exp(-np.logaddexp(0.0, -1.702 * x))
    return [exact, tanh, sigmoid]


def forward_accepts(out: np.ndarray, case: Case) -> ForwardCheck:
    """The exact GELU or one of its two usual approximations."""
    if out.shape != case.x.shape:
        return ForwardCheck(False, f"forward returned shape {out.shape}, expected {case.x.shape}")
    for form in gelu_forms(case.x):
        atol = FORWARD_ATOL * max(1.0, float(np.abs(form).max(initial=0.0)))
        if np.allclose(out, form, rtol=FORWARD_RTOL, atol=atol):
            return ForwardCheck(True)
    return ForwardCheck(False, "forward output is not a GELU: it must be x·Φ(x), or 0.5·x·(1 + tanh(√(2/π)(x + "
                               "0.044715·x³))), or x·σ(1.702·x)")


KIND = Kind("gelu", ("gelu",), elementwise_case, draw_elementwise_shape, elementwise_batch_spec,
            function_stems=("gelu",), extreme_specs=exp_overflow_extremes, forward_accepts=forward_accepts)
