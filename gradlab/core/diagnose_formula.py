"""Diagnosis of a wrong gradient from the layer's formula as a whole, each a hypothesis tested on the layer:

- `wrong-reduction` for dx that is the true Jacobian applied to dout summed (or averaged) over the batch and
  broadcast back (proved for two upstream gradients), where samples merely mixing would be `couples-samples`;
- `misrouted` for a backward that is not linear in dout: the true gradient or nothing at each position, with
  other positions let through for -dout (the mask read from dout's sign, np.maximum(dout, 0));
- `dropped-term` for a parameter's gradient that does not change when an earlier sample does, though the true one
  does: each sample's contribution overwritten by the next (`dW[:, j] = ...` where `+=` belongs);
- for an element-wise layer (its true Jacobian diagonal, so no term between elements can be missing): a
  product rule's term the numbers name (y / x for y = x * g(x)) and a branch without the chain rule's factor
  dout as `dropped-term`, any other wrong derivative as `mismatch`, each said plainly.
Non-goal: the value patterns and the other hypotheses (`gradlab.core.diagnose`, `gradlab.core.diagnose_where`).
"""

from __future__ import annotations

import numpy as np

from gradlab.core import (
    diagnose_activation,
    diagnose_branch,
    diagnose_factors,
    diagnose_masks,
    diagnose_mirror,
    diagnose_misread,
    diagnose_routes,
    diagnose_where,
    numeric,
)
from gradlab.core.diagnose_routes import quietly
from gradlab.core.diagnose_where import AGREES, FITS, ZERO, Found, fit_factor, norm
from gradlab.core.evidence import Evidence


def upstream_summed_over_batch(name: str, ev: Evidence | None) -> Found | None:
    """dx is the true gradient for dout summed (or averaged) over the batch and broadcast back to every sample
    (np.sum(dout, axis=0) * local derivative): for any upstream gradient G, the analytic dx equals the true
    Jacobian applied to G's batch sum. A wrong reduction, proved by the numbers, where couples-samples would
    only say that samples mix (a mean over the wrong axis inside a normalisation mixes them otherwise)."""
    if ev is None or ev.target != "x" or ev.mixes_samples is not False or ev.t is not None:
        return None
    jac = ev.jacobians
    y = ev.y0
    if jac is None or y.ndim < 2 or y.shape[0] < 2 or y.shape[0] != ev.x.shape[0]:
        return None
    A, J = jac
    rng = np.random.default_rng(17)
    factors = []
    for _ in range(2):  # two upstream gradients: one could fit by accident
        G = rng.standard_normal(y.shape)
        a = G.reshape(-1) @ A
        p = np.broadcast_to(G.sum(axis=0, keepdims=True), G.shape).reshape(-1) @ J
        c, residual = fit_factor(a, p)
        if not np.isfinite(c) or residual > FITS or not norm(p):
            return None
        factors.append(c)
    N = y.shape[0]
    if all(abs(c - 1.0) <= 0.02 for c in factors):
        how = "summed"
    elif all(abs(c * N - 1.0) <= 0.02 for c in factors):
        how = "averaged"
    else:
        return None
    batch = ev.batch_axis
    return Found("wrong-reduction", f"{name} is the true gradient for dout {how} over the batch axis {batch} and "
                 "broadcast back to every sample: each sample's dx must use its own dout (no sum over the batch in "
                 "an input's gradient; only a parameter's gradient sums over the samples)")


def gated_by_upstream(name: str, ev: Evidence | None) -> Found | None:
    """A backward must be linear in dout. One that, for dout and for -dout, returns at each position either the
    true gradient or nothing, but lets different positions through for each, reads its mask from dout's sign
    (np.maximum(dout, 0) for dout * (x > 0)): gradient is routed by the upstream gradient, not by the forward.
    Asked of the layer: the Jacobians, built from one-hot (non-negative) upstream gradients, cannot see it."""
    if ev is None or ev.target != "x" or ev.G is None or ev.n is None:
        return None
    G = np.asarray(ev.G, dtype=np.float64)
    n = np.asarray(ev.n, dtype=np.float64)
    # a backward that updates the parameters answers None here (its dx may read the update), as do crashes
    plus, minus = ev.dx_for_upstream(G), ev.dx_for_upstream(-G)
    if plus is None or minus is None or plus.shape != n.shape or minus.shape != n.shape:
        return None
    again = ev.dx_for_upstream(G)
    if again is None or not np.array_equal(again, plus):
        return None  # a forward that draws a new mask each call (dropout) gives no evidence here
    scale = float(np.abs(n).max(initial=0.0))
    if scale == 0.0:
        return None
    tol = AGREES * scale
    live = np.abs(n) > ZERO * scale
    through = [live & (np.abs(d - s * n) <= tol) & (np.abs(d) > tol) for d, s in ((plus, 1.0), (minus, -1.0))]
    blocked = [live & (np.abs(d) <= tol) for d in (plus, minus)]
    # every position that must get gradient gets the true one or none, for either sign (where none is due, a
    # mask read from dout lets some through: misrouted as well)
    if not all(np.all(t[live] | b[live]) for t, b in zip(through, blocked)):
        return None
    if not (blocked[0].any() and np.any(through[0] != through[1])):
        return None
    return Found("misrouted", f"{name} is not linear in dout: it lets the true gradient through at "
                 f"{int(through[0].sum())} of the {int(live.sum())} positions that must get it and blocks the rest, "
                 "and for -dout it lets through other positions: the mask is read from dout's sign (e.g. "
                 "np.maximum(dout, 0)) where it belongs to what the forward let through (dout * (x > 0))")


def diagonal(jacobians: tuple[np.ndarray, np.ndarray] | None) -> bool:
    """The true Jacobian is square and zero off its diagonal: each element of dx depends on its own input and its
    own dout alone (an activation), so no path through another element can be missing."""
    if jacobians is None:
        return False
    J = jacobians[1]
    if J.ndim != 2 or J.shape[0] != J.shape[1] or J.shape[0] < 2:
        return False
    scale = float(np.abs(J).max(initial=0.0))
    off = J - np.diag(np.diag(J))
    return scale > 0 and float(np.abs(off).max(initial=0.0)) <= 1e-6 * scale


def elementwise_formula(name: str, a: np.ndarray, n: np.ndarray, upstream: np.ndarray | None,
                        ev: Evidence | None) -> Found | None:
    """What a wrong gradient of an element-wise layer is, told by the numbers, instead of a dropped term read off
    a partial match: the chain rule's factor dout missing where dx is wrong; one branch of a product rule (the
    layer is y = x * g(x), whose derivative g(x) + x * g'(x) has the term g(x) = y / x the numbers can name); or,
    else, a wrong derivative formula. None: not an element-wise layer the evidence can read."""
    if ev is None or upstream is None or not ev.shape_preserving or upstream.shape != a.shape or a.shape != n.shape:
        return None
    G = upstream.astype(np.float64)
    x = np.asarray(ev.show(ev.x), dtype=np.float64)
    y = np.asarray(ev.output(), dtype=np.float64)
    if x.shape != a.shape or y.shape != a.shape:
        return None
    scale = max(float(np.abs(n).max(initial=0.0)), float(np.abs(a).max(initial=0.0)))
    tol = AGREES * scale
    wrong = np.abs(a - n) > tol
    if not wrong.any():
        return None
    if np.all(np.abs(a[wrong] * G[wrong] - n[wrong]) <= tol * (1.0 + float(np.abs(G).max()))):
        return Found("dropped-term", f"{name} is right on {int((~wrong).sum())} of {a.size} elements, and where it is "
                     f"wrong ({int(wrong.sum())}) it is the local derivative alone: multiplied by dout it is the true "
                     "gradient there. One branch leaves out the chain rule's factor dout (e.g. np.where(x > 0, dout, "
                     "alpha) where alpha * dout belongs)")
    # y = x * g(x): the product rule's two terms are dout * y / x and the rest; where x is not near 0
    usable = np.abs(x) > 1e-3 * max(float(np.abs(x).max(initial=0.0)), 1e-300)
    if usable.sum() >= 2:
        term = G * y / np.where(usable, x, 1.0)
        for kept, what in ((term, "g(x) = y / x"), (n - term, "x * g'(x)")):
            if np.all(np.abs(a[usable] - kept[usable]) <= tol) and norm(n[usable] - kept[usable]) > tol:
                other = "x * g'(x)" if what.startswith("g(x)") else "g(x) = y / x"
                return Found("dropped-term", f"{name} is dout * {what} alone: the layer is y = x * g(x), whose "
                             f"derivative g(x) + x * g'(x) is a product rule, and the term {other} is missing")
        found = _term_scaled(name, a, n, term, usable, tol)
        if found is not None:
            return found
    # a sign inside the derivative (at -x, or one term's), or a constant term left out of one branch
    found = diagnose_mirror.sign_inside(name, a, n, ev) or diagnose_branch.constant_left_out_on_a_branch(name, ev)
    if found is not None:
        return found
    return Found("mismatch", f"{name} is wrong on {int(wrong.sum())} of {a.size} elements, and each element of dx "
                 "depends on its own x and dout alone (the Jacobian is diagonal), so no path or term between "
                 "elements can be missing: the derivative's formula itself is wrong (e.g. 1 - tanh(x) or "
                 "(1 - tanh(x))**2 where 1 - tanh(x)**2 belongs). Write f'(x) out and compare it with a finite "
                 "difference at one point")


#: one term of a product rule "is c times itself" when a constant c leaves at most this fraction of the error
TERM_FIT = 1e-3


def _term_scaled(name: str, a: np.ndarray, n: np.ndarray, term: np.ndarray, usable: np.ndarray,
                 tol: float) -> Found | None:
    """dx of y = x * g(x) whose error a - n is one constant times one of the product rule's terms (dout * g(x) or
    dout * x * g'(x)): that term is written c times (a 0.5 or a 2 left out of GELU's x * (1 - t**2) * c'), the
    other is right. `scaled`, as DESIGN.md has a constant factor: a constant is what to look for, and nothing is
    missing (no dropped term); the whole gradient is no multiple of the true one (the factor fit said so first).
    Needs at least three usable elements, so that one fitted number is tested on two more."""
    if int(usable.sum()) < 3:
        return None
    error = (a - n)[usable]
    for part, what in ((term[usable], "g(x) = y / x"), ((n - term)[usable], "x * g'(x)")):
        size = float(np.vdot(part, part))
        if size <= 0 or norm(part) <= tol:
            continue
        k = float(np.vdot(error, part)) / size
        c = 1.0 + k
        if abs(k) < 0.02 or abs(c) < 0.02 or abs(c + 1.0) <= 0.02:  # no factor; the term dropped; its sign
            continue
        if norm(error - k * part) <= TERM_FIT * norm(error) and np.all(np.abs(error - k * part) <= tol):
            return Found("scaled", f"{name} is right but for one term of its product rule: the layer is y = x * g(x), "
                         f"whose derivative is g(x) + x * g'(x), and the term {what} is {c:.4g} times what it "
                         "should be, the other term right (a constant such as 0.5 or 2 left out of that term, or one "
                         "too many)")
    return None


#: a branch's elements must be at least this many, on the larger input, for one factor there to be evidence
MIN_BRANCH = 4


def scaled_on_a_branch(name: str, ev: Evidence | None) -> Found | None:
    """dx of an element-wise layer that is right where the input lies on one side of a threshold and one constant
    c times the true gradient on the other side (a leaky ReLU's negative side without its slope alpha, an ELU's
    without its alpha): one branch of the derivative off by a constant, `scaled` as DESIGN.md has a constant
    factor. Asked on a larger input, where both sides hold many elements: the elements that are right and the ones
    off by c must be separated by the input's own values (every wrong one below every right one, or above), and c
    must be one number there (not 0: a branch missing, not -1: a sign, `gradlab.core.diagnose_sign`).
    None: not such a layer, or not this bug."""
    seen = ev.elementwise_on_a_larger_input() if ev is not None else None
    if seen is None:
        return None
    x, a, n = (v.reshape(-1) for v in seen)
    scale = max(float(np.abs(n).max(initial=0.0)), float(np.abs(a).max(initial=0.0)))
    if not scale or not np.all(np.isfinite(a)):
        return None
    live = np.abs(n) > ZERO * scale * 1e3  # a true gradient that vanishes (a ReLU's off side) has no ratio
    wrong = np.abs(a - n) > AGREES * scale
    right = live & ~wrong
    wrong &= live
    if int(wrong.sum()) < MIN_BRANCH or int(right.sum()) < MIN_BRANCH or (~live & (np.abs(a) > AGREES * scale)).any():
        return None
    below = float(x[wrong].max()) < float(x[right].min())
    if not below and not float(x[wrong].min()) > float(x[right].max()):
        return None
    c, residual = fit_factor(a[wrong], n[wrong])
    if not np.isfinite(c) or residual > FITS or abs(c) < 0.02 or abs(c + 1.0) <= 0.02 or abs(c - 1.0) <= 0.02:
        return None
    lo, hi = (float(x[wrong].max()), float(x[right].min())) if below else (float(x[right].max()), float(x[wrong].min()))
    edge = 0.0 if lo <= 0.0 <= hi else (lo + hi) / 2  # the threshold lies between the two sides: 0 if it can
    side, other = ("below", "above") if below else ("above", "below")
    return Found("scaled", f"{name} is right where the input x lies {other} {edge:.3g} and {c:.4g} times the true "
                 f"gradient where x lies {side} it: that branch of the derivative is off by a constant factor (e.g. "
                 "a leaky ReLU's dout where alpha * dout belongs for x <= 0, so its slope alpha is left out)")


def asked_of_the_layer(name: str, a: np.ndarray, n: np.ndarray, N: int, evidence: Evidence | None) -> Found | None:
    """What only the layer can say, asked before any pattern in the numbers: each hypothesis is tested on it."""
    found = diagnose_where.wrong_axis(name, N, evidence)
    if found is not None and found.code == "couples-samples":  # made precise where the numbers prove a batch sum
        found = upstream_summed_over_batch(name, evidence) or found
        if a.shape == n.shape and not np.allclose(a, n) and \
                np.allclose(np.sort(a, axis=None), np.sort(n, axis=None), rtol=1e-6, atol=1e-12):
            found = None  # exactly the true values at other positions (an axis order): the value patterns name it
    # another parameter's true gradient is one stored in the wrong place before it is one reading a wrong array
    # (dbeta = sum(dout * x_hat) is dgamma's, not dbeta's formula read with x_hat where ones belong); gradient let
    # through every output the forward holds flat is a mask left out before it is a mask read off a wrong array:
    # the nnfs ReLU's dinputs[self.output < 0] = 0 masks nothing (an output is never below 0), and though
    # self.inputs < 0 in its place would mask right, what backward does is let dout through unmasked; likewise a
    # loss whose mask passes every element where the loss is flat (a hinge's margins >= 0), asked on a larger batch
    # before a misread that a tiny case may fit by chance (x >= 0 in the margins' place, on one sample of 5 classes)
    return found or diagnose_where.wrong_input(name, a, n, evidence) or \
        diagnose_where.stored_in_the_wrong_place(name, a, n, evidence) or \
        diagnose_factors.parameter_from_held_array(name, a, n, evidence) or \
        diagnose_masks.flows_where_flat(name, evidence) or \
        diagnose_routes.loss_unmasked_on_a_larger_batch(name, evidence) or \
        diagnose_misread.stored_array_misread(name, a, n, evidence) or \
        diagnose_activation.activation_of_its_output(name, a, n, evidence) or \
        diagnose_misread.read_in_one_product(name, a, n, evidence) or gated_by_upstream(name, evidence) or \
        samples_overwritten(name, evidence)


#: a parameter's true gradient is computed again (2 calls per element) only up to this size
MAX_OVERWRITE_SIZE = 512


def samples_overwritten(name: str, ev: Evidence | None) -> Found | None:
    """A parameter's gradient that ignores some samples: with one sample's input changed (the others kept),
    backward returns exactly the same gradient, while the true gradient moves, and some other sample does move
    it. Each sample's contribution was overwritten by a later one (`dW[:, j] = ...` where `+=` belongs), and on a
    small batch what is left can even look like one factor. Asked for every sample; the true gradient once."""
    if ev is None or ev.target == "x" or ev.G is None or ev.n is None or ev.x.ndim < 1 or ev.x.shape[0] < 2 \
            or not np.issubdtype(ev.x.dtype, np.floating) or ev.arr.size > MAX_OVERWRITE_SIZE:
        return None
    G, target = np.asarray(ev.G, dtype=np.float64), ev.target

    def moved(i: int) -> np.ndarray:
        x = ev.x.copy()
        x[i] = -1.3 * x[i] + 0.3 * float(np.std(ev.x)) + 0.7
        return x

    def analytic(x: np.ndarray) -> np.ndarray:
        ev.reset()  # a gradient accumulated with += counts this backward alone
        ev.layer.forward(x.copy(), ev.t)
        _, grads = ev.layer.backward(G.copy())
        return np.array(grads[target], dtype=np.float64)

    def ignored() -> list[bool] | None:
        base = analytic(ev.x)
        if not np.array_equal(analytic(ev.x), base):
            return None  # backward does not repeat itself (an update inside it): no evidence here
        return [bool(np.allclose(analytic(moved(i)), base, rtol=1e-12, atol=0.0)) for i in range(ev.x.shape[0])]

    same = quietly(ev, ignored)
    if not same or not any(same) or all(same):
        return None
    first = same.index(True)
    x = moved(first)
    true = quietly(ev, lambda: numeric.looped_gradient(lambda: ev.layer.forward(x, ev.t), ev.arr, G))
    n = np.asarray(ev.n, dtype=np.float64)
    if true is None or np.linalg.norm(true - n) <= 1e-3 * max(float(np.linalg.norm(n)), 1e-300):
        return None
    which = [i for i, s in enumerate(same) if s]
    return Found("dropped-term", f"{name} ignores sample{'s' if len(which) > 1 else ''} "
                 f"{', '.join(map(str, which[:5]))} of the batch of {len(same)}: with "
                 f"{'that' if len(which) == 1 else 'one such'} sample's input changed, backward returns exactly the "
                 f"same {name}, while the true {name} moves. Its contribution was overwritten by a later sample's "
                 f"instead of added to it (= where += belongs, e.g. dW[:, j] = ... in the loop over samples)")
