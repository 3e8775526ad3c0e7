"""The one home of every tolerance and default the checker, the runner and the plugin share.

Kept free of imports so that pytest start-up (the plugin reads DEFAULT_EXAMPLES) stays cheap.
Non-goal: constants private to one algorithm (diagnosis thresholds, projection margins live with
the code they tune).
"""

from __future__ import annotations

#: relative tolerance of the element-wise comparison in float64: a backward 0.1% off fails
RTOL = 1e-4
#: absolute tolerance, as a fraction of the largest true gradient element
ATOL = 1e-7
#: the absolute tolerance never goes below this many times the finite differences' rounding noise
NOISE_MARGIN = 100.0
#: the smallest rtol a layer computing in float32 / float16 can honour. float32's is its measured noise
#: with the margin: central differences with the float32 step h = eps ** (1/3) are off by rounding
#: (eps / h) and truncation (h ** 2), each eps ** (2/3) = 2.4e-5 relative, so 2.4e-3: a backward 1% off fails
RTOL_FLOAT32 = NOISE_MARGIN * (2.0 ** -23) ** (2 / 3)
RTOL_FLOAT16 = 2e-1
#: below float64, the rounding noise of the outputs adds in quadrature; the atol floor is this many times it
NOISE_MARGIN_FLOAT32 = 30.0
#: the grader's comparison of a student's forward output with the reference layer's
FORWARD_RTOL = 1e-4
FORWARD_ATOL = 1e-6  # times max(1, largest |reference output|)
#: batch and per-sample runs do the same arithmetic in another order: agreement to this is "the same"
PER_SAMPLE_RTOL = 1e-6
#: hypothesis cases per layer by default, and with the deep profile / --gradlab-deep
DEFAULT_EXAMPLES = 50
DEEP_EXAMPLES = 500
#: the seed of a run when none is given
DEFAULT_SEED = 0
