"""Diagnosis of a gradient that is the true one moved by a few positions along its spatial axes.

A convolution's backward computes the gradient of the padded input and crops it back; a crop off by the pad
(`dx_pad[:, :, :H, :W]` where `dx_pad[:, :, pad:pad + H, pad:pad + W]` belongs) returns the true gradient moved
by `pad` positions, with the padding's gradient at the border. No value pattern names it (values at the wrong
positions, and values the true gradient does not hold): this asks whether, moved back by a small offset along the
trailing (spatial) axes, the gradient equals the true one wherever the two overlap. Then the right values sit at
the wrong positions: `misrouted`, said with the offset.
Non-goals: a layout's axes in another order (`transposed` is asked first), and moves of more than `MAX_SHIFT`.
"""

from __future__ import annotations

from itertools import product

import numpy as np

from gradlab.core.diagnose_where import Found

__all__ = ["shifted"]

#: offsets up to this many positions along each axis are tried (a pad or a stride's worth)
MAX_SHIFT = 2
#: the overlap must hold at least this fraction of the true gradient's norm (hypothesis's cases are small: a move by 1
#: of a 2 x 2 gradient overlaps on one element of four, which may be small); exact agreement there is the evidence
OVERLAP_NORM = 0.05
#: and agree to this fraction of its norm
AGREES = 1e-6


def shifted(name: str, a: np.ndarray, n: np.ndarray) -> Found | None:
    """`name` is `n` moved by a small offset along its last one or two axes (beyond the batch and channel axes)."""
    if a.shape != n.shape or a.ndim < 3:
        return None
    axes = tuple(range(max(2, a.ndim - 2), a.ndim))
    total = float(np.linalg.norm(n))
    if total == 0:
        return None
    for offset in product(range(-MAX_SHIFT, MAX_SHIFT + 1), repeat=len(axes)):
        if not any(offset):
            continue
        into, outof = [slice(None)] * a.ndim, [slice(None)] * a.ndim
        for axis, d in zip(axes, offset):
            size = a.shape[axis]
            if d and size - abs(d) < 2:  # one position left: a reversed pair (a flipped kernel) looks moved too
                break
            into[axis], outof[axis] = (slice(d, size), slice(0, size - d)) if d >= 0 else \
                (slice(0, size + d), slice(-d, size))
        else:
            moved, true = a[tuple(into)], n[tuple(outof)]
            part = float(np.linalg.norm(true))
            # the move must be visible: the true gradient moved is not itself (one of equal values matches any move)
            visible = float(np.linalg.norm(n[tuple(into)] - true)) > 1e-3 * part
            if visible and part >= OVERLAP_NORM * total and \
                    float(np.linalg.norm(moved - true)) <= AGREES * max(part, 1e-300):
                moved_by = ", ".join(f"{d:+d}" for d in offset)
                return Found("misrouted", f"{name} holds the true gradient moved by ({moved_by}) positions along axes "
                             f"{axes}, wherever the two overlap: the right values at the wrong positions (a crop of a "
                             "padded gradient off by the pad, dx_pad[:, :, :H, :W] where dx_pad[:, :, pad:pad + H, "
                             "pad:pad + W] belongs, or an index off by an offset)")
    return None
