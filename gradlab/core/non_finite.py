"""What a forward that returns NaN or inf on finite inputs says, when a second run can tell why.

A softmax (or a loss on one) is the same function of its inputs shifted by one constant, so a forward that subtracts
the row maximum before its exp gives the same numbers on inputs of moderate size and on those inputs plus 800, where
one that does not overflows (exp(800) is inf). Run on both:
- the same finite numbers: the exp is stabilised already, and what made NaN or inf on the case is a probability that
  underflowed to 0 and was then given to log (`np.log(probs)` after a stable softmax): the sentence says so, so
  that a student who subtracts the maximum is not told to subtract it;
- finite on the moderate inputs, NaN or inf on the shifted ones, and unchanged by a shift of 5 (shift-invariant, as a
  softmax is and a softplus is not): exp overflows, the row maximum is not subtracted.
Anything else (a layer that is not shift-invariant, a crash on the probes) leaves the plain sentence.
Non-goal: the gradients' NaN (`gradlab.core.check`), and naming any other cause.
"""

from __future__ import annotations

__all__ = ["SHIFT", "forward_non_finite", "max_abs"]

from typing import Any

import numpy as np

from gradlab.core.protocol import Layer

#: the constant added to every input of the probe: exp of it overflows in float64 (exp(710) is inf)
SHIFT = 800.0
#: a shift under which no exp overflows: a softmax is unchanged by it, a softplus is not
SMALL_SHIFT = 5.0
#: the probe's inputs are the case's scaled to this largest magnitude (no softmax under- or overflows there)
MODERATE = 3.0


def max_abs(x: np.ndarray) -> str:
    return f"{np.abs(x).max():.3g}"


def forward_non_finite(layer: Layer, x: np.ndarray, t: Any) -> str:
    """The sentence for a forward that returned NaN or inf on `x`, with what the shift probe tells of its exp."""
    return f"forward returned NaN or inf for finite inputs (max |x| = {max_abs(x)})" + _shift_reading(layer, x, t)


def _shift_reading(layer: Layer, x: np.ndarray, t: Any) -> str:
    x = np.asarray(x)
    if x.size == 0 or not np.issubdtype(x.dtype, np.floating) or not np.any(x):
        return ""
    moderate = x * (MODERATE / float(np.abs(x).max()))
    try:
        plain = np.array(layer.forward(moderate.copy(), _copy(t)), dtype=np.float64)
        shifted = np.array(layer.forward(moderate + SHIFT, _copy(t)), dtype=np.float64)
    except Exception:  # noqa: BLE001 - a probe that cannot run says nothing; the plain sentence stands
        return ""
    if plain.shape != shifted.shape or not np.all(np.isfinite(plain)):
        return ""
    if not np.all(np.isfinite(shifted)):
        if not _shift_invariant(layer, moderate, t, plain):  # a softplus overflows too, and has no maximum to take
            return ""
        return (f"; it is finite on the same inputs scaled to |x| <= {MODERATE:g} and NaN or inf once {SHIFT:g} is "
                "added to every input, which leaves a softmax unchanged: exp overflows, subtract the row maximum "
                "before exp")
    scale = max(float(np.abs(plain).max()), 1e-300)
    if np.allclose(shifted, plain, rtol=1e-6, atol=1e-9 * scale):
        return (f"; adding {SHIFT:g} to every input leaves forward as it was, so its exp is already stabilised (the "
                "row maximum is subtracted): here a probability underflows to 0 and its log is -inf; compute the "
                "log-probabilities as z - log(sum(exp(z))) with z = x - max, not np.log(softmax)")
    return ""


def _shift_invariant(layer: Layer, moderate: np.ndarray, t: Any, plain: np.ndarray) -> bool:
    """Whether forward gives the same numbers once a small constant (no exp overflows) is added to every input."""
    try:
        small = np.array(layer.forward(moderate + SMALL_SHIFT, _copy(t)), dtype=np.float64)
    except Exception:  # noqa: BLE001 - a probe that cannot run says nothing
        return False
    scale = max(float(np.abs(plain).max()), 1e-300)
    return small.shape == plain.shape and bool(np.allclose(small, plain, rtol=1e-6, atol=1e-9 * scale))


def _copy(t: Any) -> Any:
    return t.copy() if isinstance(t, np.ndarray) else t
