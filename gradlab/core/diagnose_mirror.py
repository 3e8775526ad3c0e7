"""Diagnosis of a sign written wrong inside an element-wise layer's derivative, each reading a hypothesis tested on the
layer (`gradlab.core.evidence`), asked once the layer is known to act element by element (a diagonal Jacobian):
- the derivative evaluated at -x: backward returns the true gradient at the negated input (softplus' sigmoid written
  1 / (1 + np.exp(x)), where np.exp(-x) belongs);
- a layer y = x * g(x) whose backward evaluates g, and its derivative, at -x (swish's sigmoid(-x) where sigmoid(x)
  belongs): the product rule's g(x) + x * g'(x) read at -x is 2 * g(-x) - f'(-x), both measured on the layer
  (g(-x) = y(-x) / (-x) from its forward, f'(-x) its true derivative there);
- one term of a derivative that is a small polynomial in the input x and the output y written with the wrong sign
  (sigmoid's y * (1 + y) where y * (1 - y) belongs, tanh's 1 + y**2): on a larger input, the true and the analytic
  derivatives are each fitted exactly by 1, x, y, x**2, y**2, x * y, with the same terms, and the coefficients agree
  but for the sign of some.
All three are `sign-flip`: bugs.py has the sign of one term, and here it is the sign inside one.
Non-goal: a sign flipped in a derivative none of these forms holds (it keeps what the rest of diagnosis says).
"""

from __future__ import annotations

__all__ = ["draws", "sign_inside"]

import numpy as np

from gradlab.core.diagnose_routes import quietly
from gradlab.core.diagnose_where import Found, agrees, norm
from gradlab.core.evidence import Evidence

#: a fit of the derivative in the small basis is exact to this fraction of its norm
EXACT = 1e-6
#: coefficients below this fraction of the largest are no term at all
NO_TERM = 1e-6
#: two coefficients are the same (or negatives) to this fraction of the larger
SAME = 1e-4
_BASIS = ("1", "x", "y", "x**2", "y**2", "x * y")


def _at_negated_input(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence) -> Found | None:
    error = norm(a - n)
    mirrored = ev.elementwise_gradient(-ev.x)
    if mirrored is not None and agrees(np.asarray(mirrored, dtype=np.float64), a, error):
        return Found("sign-flip", f"{name} is the true derivative evaluated at -x: a sign inside the derivative is "
                     "flipped (e.g. sigmoid(-x) = 1 / (1 + np.exp(x)) where sigmoid(x) = 1 / (1 + np.exp(-x)) "
                     "belongs)")
    if mirrored is None or ev.G is None:
        return None
    x = np.asarray(ev.x, dtype=np.float64)
    y_neg = _output_at(ev, -x)
    if y_neg is None or y_neg.shape != x.shape:
        return None
    usable = np.abs(x) > 1e-3 * max(float(np.abs(x).max(initial=0.0)), 1e-300)
    if usable.sum() < 2:
        return None
    g_neg = np.asarray(ev.show(ev.G * y_neg / np.where(usable, -x, 1.0)), dtype=np.float64)
    predicted = 2.0 * g_neg - np.asarray(mirrored, dtype=np.float64)
    keep = np.asarray(ev.show(usable.astype(np.float64)), dtype=np.float64) > 0
    if predicted.shape == a.shape and agrees(predicted[keep], a[keep], norm((a - n)[keep])):
        return Found("sign-flip", f"{name} is the product rule of y = x * g(x) with g and its derivative evaluated "
                     "at -x: the sign inside g is flipped (e.g. swish's sigmoid(-x) = 1 / (1 + np.exp(x)) where "
                     "sigmoid(x) belongs, in s + x * s * (1 - s))")
    return None


def _fit(B: np.ndarray, d: np.ndarray) -> np.ndarray | None:
    c, *_ = np.linalg.lstsq(B, d, rcond=None)
    return c if norm(B @ c - d) <= EXACT * max(norm(d), 1e-300) else None


#: at most this many inputs of the case's shape are drawn for the fit, until it holds MIN_POINTS elements
MAX_DRAWS, MIN_POINTS = 16, 36


def _output_at(ev: Evidence, x: np.ndarray) -> np.ndarray | None:
    """The layer's output for input `x` (gradlab's orientation), the layer put back after; None if it raised."""
    def ask() -> np.ndarray:
        return np.asarray(ev.layer.forward(x.copy(), ev.t), dtype=np.float64)
    out: np.ndarray | None = quietly(ev, ask)
    return out


def draws(ev: Evidence) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """(x, y, G, analytic dx, true dx), flat, in the user's orientation, over inputs of the case's shape drawn around
    it (the same upstream gradient each time): enough elements to fit a derivative in six terms."""
    if ev.G is None:
        return None
    rng = np.random.default_rng(17)
    spread = 0.5 * float(np.std(ev.x)) + 0.5 * float(np.abs(ev.x).mean()) + 0.5
    G = np.asarray(ev.show(np.asarray(ev.G, dtype=np.float64)), dtype=np.float64)
    cols: list[list[np.ndarray]] = [[], [], [], [], []]
    for _ in range(min(MAX_DRAWS, -(-MIN_POINTS // max(ev.x.size, 1)))):
        x = np.asarray(ev.x, dtype=np.float64) + spread * rng.standard_normal(ev.x.shape)
        y = _output_at(ev, x)
        a, n = ev.analytic_with_input(x), ev.elementwise_gradient(x)
        if y is None or a is None or n is None or y.shape != x.shape:
            return None
        for col, v in zip(cols, (ev.show(x), ev.show_out(y), G, a, n)):
            col.append(np.asarray(v, dtype=np.float64).reshape(-1))
    x, y, G, a, n = (np.concatenate(c) for c in cols)
    return x, y, G, a, n


def _one_term_flipped(name: str, ev: Evidence) -> Found | None:
    seen = draws(ev)
    if seen is None:
        return None
    x, y, G, a, n = seen
    B = np.stack([np.ones_like(x), x, y, x * x, y * y, x * y], axis=1)
    if not np.all(np.isfinite(B)) or np.linalg.matrix_rank(B) < B.shape[1]:
        return None
    ct, ca = _fit(G[:, None] * B, n), _fit(G[:, None] * B, a)
    if ct is None or ca is None:
        return None
    big = max(float(np.abs(ct).max()), float(np.abs(ca).max()))
    terms = (np.abs(ct) > NO_TERM * big) | (np.abs(ca) > NO_TERM * big)
    same = np.abs(ca - ct) <= SAME * np.maximum(np.abs(ct), np.abs(ca))
    flipped = np.abs(ca + ct) <= SAME * np.maximum(np.abs(ct), np.abs(ca))
    if not (np.all((same | flipped)[terms]) and (flipped & terms).any() and (same & terms & ~flipped).any()):
        return None
    which = ", ".join(_BASIS[i] for i in np.flatnonzero(flipped & terms & ~same))
    return Found("sign-flip", f"{name} has one term of its derivative with the wrong sign: written in the input x and "
                 f"the output y, the true derivative and backward's have the same terms with the same coefficients "
                 f"but the sign of {which} (e.g. sigmoid's y * (1 + y) where y * (1 - y) belongs, tanh's 1 + y**2 "
                 "where 1 - y**2 belongs)")


def sign_inside(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """A sign flipped inside an element-wise layer's derivative (see the module docstring); None: no such reading."""
    if ev is None or not ev.shape_preserving or a.shape != n.shape or not norm(a - n):
        return None
    return _at_negated_input(name, a, n, ev) or _one_term_flipped(name, ev)
