"""What a second backward after the same forward says of the state a layer keeps between calls.

The check calls backward twice on one forward (`gradlab.core.check`); a gradient that differs the second time is a
gradient backward adds into, or an update that depends on the ones before it. This says which, in words.
"""

from __future__ import annotations

import numpy as np

from gradlab.core.protocol import Layer

__all__ = ["kept_state"]


def kept_state(layer: Layer, name: str, first: np.ndarray, second: np.ndarray) -> str:
    """What a second backward after the same forward says of the state backward keeps: a gradient it adds into
    (twice the first), an update that depends on the updates before it (a constant factor, momentum's velocity)."""
    said = f"a second backward after the same forward changed {name}: backward keeps state between calls"
    first = np.asarray(first, dtype=np.float64)
    size = float(np.vdot(first, first))
    if not size or not np.all(np.isfinite(second)):
        return said
    c = float(np.vdot(first, second)) / size
    if not np.allclose(second, c * first, rtol=1e-9, atol=1e-12 * float(np.abs(second).max(initial=0.0))):
        return said
    if abs(c - 2.0) <= 1e-9:
        return (f"a second backward after the same forward returned twice the first {name}: backward adds into "
                f"{name} (+=) where it must set it, so each call's gradient piles onto the last one's unless "
                "something zeroes it between steps (set it with =, or zero it where backward starts)")
    if getattr(layer, "updates_itself", False) is True:
        return (f"a second backward after the same forward made an update {c:.3g} times the first one (read as "
                f"{name}): the update backward makes depends on the updates before it (an optimizer's velocity kept "
                "between calls, v = mu * v + g); gradlab reads the gradient from the first; keep the optimizer's "
                "state out of backward")
    return said
