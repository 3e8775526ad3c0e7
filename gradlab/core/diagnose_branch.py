"""Diagnosis of one branch of an element-wise derivative that leaves out a constant term: ELU's derivative written as
its output `out` where `out + alpha` belongs for x <= 0, the other branch right. A hypothesis tested on the layer, on
inputs drawn around the case (`gradlab.core.diagnose_mirror.draws`): the elements where backward is wrong and those
where it is right lie on the two sides of one threshold of x, and on the wrong side the analytic derivative is the
true one plus one constant (a - n = c * dout there); or, wrong at every input, the whole derivative is. `dropped-term`:
a term of that branch's sum is missing.
Non-goal: a branch off by a factor (`gradlab.core.diagnose_formula.scaled_on_a_branch`).
"""

from __future__ import annotations

__all__ = ["constant_left_out_on_a_branch"]

import numpy as np

from gradlab.core.diagnose_mirror import draws
from gradlab.core.diagnose_where import AGREES, Found, norm
from gradlab.core.evidence import Evidence

#: each side holds at least this many elements
MIN_SIDE = 4
#: the difference is one constant to this fraction of itself
CONSTANT = 1e-4


def constant_left_out_on_a_branch(name: str, ev: Evidence | None) -> Found | None:
    """See the module docstring; None: no such reading."""
    if ev is None or not ev.shape_preserving:
        return None
    seen = draws(ev)
    if seen is None:
        return None
    x, _, G, a, n = seen
    scale = max(float(np.abs(n).max(initial=0.0)), float(np.abs(a).max(initial=0.0)))
    usable = np.abs(G) > 1e-3 * max(float(np.abs(G).max(initial=0.0)), 1e-300)
    wrong = (np.abs(a - n) > AGREES * scale) & usable
    right = ~wrong & usable
    if wrong.sum() < MIN_SIDE:
        return None
    if not right.any():  # wrong everywhere: the whole derivative off by one constant (tanh' as -y**2, no 1)
        d = (a - n)[wrong] / G[wrong]
        c = float(np.mean(d))
        if not c or norm(d - c) > CONSTANT * abs(c) * np.sqrt(d.size):
            return None
        return Found("dropped-term", f"{name} is the true derivative {'minus' if c < 0 else 'plus'} the constant "
                     f"{abs(c):.4g} at every input: a constant term of the derivative is "
                     f"{'missing' if c < 0 else 'extra'} (e.g. tanh' written -y**2 where 1 - y**2 belongs)")
    if right.sum() < MIN_SIDE:
        return None
    below = float(x[wrong].max()) < float(x[right].min())
    if not below and not float(x[wrong].min()) > float(x[right].max()):
        return None
    d = (a - n)[wrong] / G[wrong]
    c = float(np.mean(d))
    if not c or norm(d - c) > CONSTANT * abs(c) * np.sqrt(d.size):
        return None
    side = "below" if below else "above"
    lo, hi = (float(x[wrong].max()), float(x[right].min())) if below else (float(x[right].max()), float(x[wrong].min()))
    edge = 0.0 if lo <= 0.0 <= hi else (lo + hi) / 2  # the threshold lies between the two sides: 0 if it can
    return Found("dropped-term", f"{name} is right on one side of the input x and, where x lies {side} "
                 f"{edge:.3g}, its derivative is the true one {'minus' if c < 0 else 'plus'} the constant "
                 f"{abs(c):.4g}: a constant term of that branch's derivative is {'missing' if c < 0 else 'extra'} "
                 "(e.g. ELU's out + alpha for x <= 0 written out alone)")
