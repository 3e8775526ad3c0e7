"""Diagnosis of gradient at positions that must get none: a mask left out, or gradient sent to the wrong elements.

Asked of a wrong gradient by `gradlab.core.diagnose` after its factor fit, each a hypothesis tested on the numbers
and, where there is one, on the layer itself (`gradlab.core.evidence`):
- `missing-mask`: right (up to one factor) where gradient should flow, and flowing where the forward zeroed the
  output (dropout or ReLU backward without its mask), on this case or, where the case zeroed nothing or
  everything, on a larger batch (`masked_elsewhere`);
- `misrouted`: gradient at positions that must get none (a max-pool window's other elements, an inverted mask),
  said with where it went.
Non-goals: a mask the failing case is too small or too plain to show (`gradlab.core.diagnose_routes`), and the
other hypotheses about where and at what a gradient was computed (`gradlab.core.diagnose_where`).
"""

from __future__ import annotations

__all__ = ["flows_where_flat", "masked_elsewhere", "routing"]

import numpy as np

from gradlab.core.diagnose_names import mask_name
from gradlab.core.diagnose_where import AGREES, FITS, ZERO, Found, fit_factor, norm
from gradlab.core.evidence import Evidence

#: an element "receives gradient" above this fraction of the largest element
RECEIVES = 1e-4
#: at most this many positions are named in a sentence
SHOWN = 3


def _where(mask: np.ndarray) -> str:
    idx = np.argwhere(mask)[:SHOWN]
    shown = ", ".join("[" + ", ".join(map(str, i)) + "]" for i in idx)
    more = int(mask.sum()) - len(idx)
    return shown + (f" and {more} more" if more > 0 else "")


def routing(name: str, a: np.ndarray, n: np.ndarray, upstream: np.ndarray | None,
            ev: Evidence | None) -> Found | None:
    """Gradient at positions that must get none: a missing mask if it is otherwise right, else misrouted."""
    if a.shape != n.shape or a.size < 1:
        return None
    scale = max(float(np.abs(a).max()), float(np.abs(n).max()))
    if scale == 0.0:
        return None
    none_due = np.abs(n) <= ZERO * scale
    gets = np.abs(a) > RECEIVES * scale
    extra = none_due & gets
    if not extra.any():
        return None
    out = ev.output() if ev is not None and ev.shape_preserving else None
    if out is not None and out.shape == a.shape and not np.all(out[extra] == 0):
        # an element-wise layer routes nothing: gradient is due wherever its output was not zeroed, and a
        # true gradient that vanishes there is saturation (a sigmoid at 60), not a position due none
        return None
    live = ~none_due
    unmasked = _missing_mask(name, a, n, upstream, ev, extra=extra, live=live, gets=gets)
    if unmasked is not None or not live.any():
        return unmasked
    missed = live & ~gets
    where = f"(at {_where(extra)})"
    if int(gets.sum()) == int(live.sum()) and np.allclose(np.sort(a[gets]), np.sort(n[live]), rtol=AGREES,
                                                          atol=AGREES * scale):
        head = (f"{name} holds the right values at the wrong positions: {int(extra.sum())} of them sit where the "
                f"true gradient is zero {where}")
    else:
        head = f"{name} sends gradient to {int(extra.sum())} position(s) that must get none {where}"
        if missed.any():
            head += f", and {int(missed.sum())} of the {int(live.sum())} positions that must get gradient got none"
    return Found("misrouted", head + ": route each output's gradient to the elements that produced it (a "
                 "pooling window's maximum only, the positions a mask lets through)")


def _missing_mask(name: str, a: np.ndarray, n: np.ndarray, upstream: np.ndarray | None, ev: Evidence | None, *,
                  extra: np.ndarray, live: np.ndarray, gets: np.ndarray) -> Found | None:
    """Flowing where the forward zeroed, and right up to one factor wherever gradient should flow."""
    out = ev.output() if ev is not None and ev.shape_preserving else None
    if out is not None and out.shape == a.shape:
        zeroed = bool(np.all(out[extra] == 0))
    elif upstream is not None and upstream.shape == a.shape:  # no layer to ask: the ungated upstream flows
        zeroed = fit_factor(a, upstream)[1] <= FITS and extra.sum() == (upstream[~live] != 0).sum()
    else:
        return None
    if not zeroed or (live.any() and not gets[live].all()):
        return None
    if not live.any():  # everything zeroed here: an inverted mask looks the same
        return masked_elsewhere(name, ev, here=f"gets gradient at {int(extra.sum())} position(s) the forward "
                                f"zeroed (at {_where(extra)})")
    c, residual = fit_factor(a[live], n[live])
    if residual > FITS:
        return None
    factor = "" if abs(c - 1.0) <= 0.02 else f"; where it should flow it is also {c:.4g} times the true gradient"
    held, mask = mask_name(ev)
    return Found("missing-mask", f"{name} lets gradient through at {int(extra.sum())} position(s) the forward "
                 f"zeroed (at {_where(extra)}): backward does not apply the forward's mask{factor}. Apply the "
                 f"mask forward used ({held}), as in {mask}")


def masked_elsewhere(name: str, ev: Evidence | None, *, here: str) -> Found | None:
    """What a case too small to show it cannot say (it zeroed nothing, or everything, or got no gradient at
    all), asked of the layer on a larger batch: gradient where the forward zeroed and none where it kept is
    an inverted mask (`misrouted`); gradient where it zeroed and everywhere it kept, a missing mask."""
    counts = ev.flows_where_zeroed() if ev is not None else None
    if counts is None or counts[0] == 0 or counts[1] < 0.9 * counts[0]:
        return None
    zeroed, flowing, kept, blocked = counts
    if kept and blocked >= 0.9 * kept:
        return Found("misrouted", f"{name} {here}; on a larger batch gradient reaches {flowing} of the {zeroed} "
                     f"outputs the forward zeroed and none of the {kept} it kept: the mask is inverted (gradient "
                     "belongs where forward let the input through, e.g. x > 0)")
    if blocked:
        return None
    held, mask = mask_name(ev)
    return Found("missing-mask", f"{name} {here}, and backward ignores the forward's mask: on a larger batch "
                 f"{flowing} of the {zeroed} outputs the forward zeroed still got gradient. Apply the mask "
                 f"forward used ({held}), as in {mask}")


def flows_where_flat(name: str, ev: Evidence | None) -> Found | None:
    """Gradient let through outputs the forward holds flat (zeroed by a mask, clipped at a cap), the rest right: with
    dout zeroed at those outputs, backward returns the true gradient, and with dout whole it does not. Asked of the
    layer whatever its shape (a ReLU inside an affine_relu sandwich, a ReLU6's cap), on the case or, where the case
    holds every output flat, on a larger batch (`Evidence.without_flat_outputs`). An inverted mask, or one read
    from dout, blocks gradient where it is due, so zeroing dout where it is not due does not make it right."""
    seen = ev.without_flat_outputs() if ev is not None else None
    if seen is None:
        return None
    whole, masked, negated, true = seen
    size = norm(true)
    left = max(norm(masked - true), norm(negated + true))
    # right without the flat outputs' dout, for dout and -dout; and wrong with it, well above what is left
    if not size or left > AGREES * size or norm(whole - true) <= 10 * max(left, AGREES * size):
        return None
    held, mask = mask_name(ev)
    return Found("missing-mask", f"{name} lets gradient through outputs the forward holds flat (zeroed or clipped: "
                 "they do not move when the input does): with dout zeroed there, backward returns the true "
                 f"{name}. Apply in backward the mask forward applied ({held}), as in {mask}")
