"""Diagnosis of a sign flipped in one term of a gradient, where the whole is not -1 times the true one.

A term written with the wrong sign leaves the analytic gradient at `a = n - 2 * term`. Wherever that term
is the only one, `a` is exactly `-n`: softmax-with-loss's dx = p - onehot written as -p - onehot is the
negative of the true dx at every class but the target (where p is all there is), and wrong at the target.
So a substantial share of the elements where the true gradient is not small being its exact negative
proves a flipped term; the other elements may be right (the term is zero there) or wrong (it is not alone).
Entry by entry of the Jacobians the same holds for a term that shares every element with another but
stands alone at some entries (softmax's -y y^T off the diagonal, written +y y^T).
For a loss, the term that reads the labels is asked directly: with other labels, dx must change by what the
true gradient changes by; changing by its negative is that term's sign flipped.
A flipped term that is nowhere alone (a GRU's dx = dt Wxh^T + ... with one product negated) the values cannot
tell from any other wrong formula; the layer can, where the term reads a parameter (or one block of a stacked one)
that no other term of the gradient reads: with that block negated after the forward, backward returns the true
gradient (`flipped_through_a_block`).
Non-goal: a flipped term that reads no parameter of its own and is nowhere alone: it keeps what the rest of
diagnosis says.
"""

from __future__ import annotations

__all__ = ["flipped_in_part", "flipped_through_a_block", "signs_read_elsewhere"]


import numpy as np

from gradlab.core.diagnose_routes import loss_gradients, quietly
from gradlab.core.diagnose_where import Found, agrees, norm
from gradlab.core.evidence import Evidence
from gradlab.core.numeric import steps
from gradlab.core.protocol import grad_name

#: an element is "not small" above this fraction of the largest true one: below it, a value a rounding
#: error away from zero would count as its own negative
NOT_SMALL = 1e-3
#: the analytic value is "exactly the negative" when |a + n| is within this fraction of |n| (finite
#: differences in float64 are good to ~1e-8 there), or the check's rtol where coarser (float32): a wrong
#: formula lands on -n only by coincidence
NEGATIVE_RTOL = 1e-4
#: at least this share of the not-small elements (or entries) must be negated: one term's worth, not a stray
SHARE = 0.25
#: at most this many positions are named in a sentence
SHOWN = 3
#: a loss's true gradient is measured at a moved input (two forwards per element) up to this many elements
MAX_MOVED = 256


def _negated(a: np.ndarray, n: np.ndarray, rtol: float) -> tuple[np.ndarray, np.ndarray] | None:
    """(negated, not small) masks over n's elements; None when a has another shape or is not finite."""
    if a.shape != n.shape or a.size < 2 or not np.all(np.isfinite(a)) or not np.all(np.isfinite(n)):
        return None
    scale = float(np.abs(n).max(initial=0.0))
    if scale == 0.0:
        return None
    live = np.abs(n) > NOT_SMALL * scale
    return live & (np.abs(a + n) <= rtol * np.abs(n)), live


def _signs_only(n: np.ndarray, ev: Evidence | None, rtol: float) -> bool:
    """A loss's true gradient that is a sign times a constant (an L1 loss's sign(y - t) / N): every element where it
    lives has one magnitude, and it is the same at an input moved a little. Any wrong sign there is an exact negative,
    so a negated element is no evidence of a flipped term. (Softmax-with-loss over two classes has one magnitude per
    row too, and changes when the input moves.)"""
    scale = float(np.abs(n).max(initial=0.0))
    live = np.abs(n) > NOT_SMALL * scale
    if ev is None or ev.target != "x" or ev.y0.size != 1 or ev.x.size > MAX_MOVED or scale == 0.0 or \
            not np.issubdtype(ev.x.dtype, np.floating) or float(np.ptp(np.abs(n[live]))) > rtol * scale:
        return False
    x = np.asarray(ev.x, dtype=np.float64)
    moved = x + 1e-3 * (float(np.abs(x).max(initial=0.0)) or 1.0) * np.random.default_rng(19).standard_normal(x.shape)
    h = steps(moved)

    def gradient() -> np.ndarray:
        g = np.empty(x.size)
        for k in range(x.size):
            up, down = moved.copy(), moved.copy()
            up.flat[k] += h.flat[k]
            down.flat[k] -= h.flat[k]
            loss = [float(np.sum(ev.layer.forward(v, ev.t))) for v in (up, down)]
            g[k] = (loss[0] - loss[1]) / (2 * h.flat[k])
        return np.asarray(ev.show(g.reshape(x.shape)), dtype=np.float64)

    g = quietly(ev, gradient)
    return g is not None and g.shape == n.shape and bool(np.allclose(g, n, rtol=1e-6, atol=1e-9 * scale))


def _in_part(negated: np.ndarray, live: np.ndarray) -> bool:
    k = int(negated.sum())
    return k >= 1 and k >= SHARE * int(live.sum())


def _positions(mask: np.ndarray) -> str:
    idx = np.argwhere(mask)[:SHOWN]
    shown = ", ".join("[" + ", ".join(map(str, i)) + "]" for i in idx)
    more = int(mask.sum()) - len(idx)
    return shown + (f" and {more} more" if more > 0 else "")


def _elsewhere(a: np.ndarray, n: np.ndarray, others: np.ndarray, rtol: float) -> str:
    """What the not-negated elements are: right, wrong, or some of each."""
    if not others.any():
        return "the other elements are small"
    right = np.abs(a - n)[others] <= rtol * np.abs(n)[others]
    if right.all():
        return "it is right at the others"
    if not right.any():
        return "it is wrong at the others"
    return f"it is right at {int(right.sum())} of the others and wrong at {int((~right).sum())}"


def flipped_in_part(name: str, a: np.ndarray, n: np.ndarray, jacobians: tuple[np.ndarray, np.ndarray] | None,
                    evidence: Evidence | None = None, *, rtol: float = 0.0) -> Found | None:
    """`a` is the exact negative of `n` at a substantial share of the elements where n is not small (or,
    given the (analytic, numeric) Jacobians, at a substantial share of their not-small entries); or, for a
    loss, the part of `a` that changes with the labels is the negative of the true one. "Exact" is to the
    check's `rtol` where it is coarser than NEGATIVE_RTOL (a layer computing in float32)."""
    rtol = max(NEGATIVE_RTOL, rtol)
    if _signs_only(n, evidence, rtol):
        return _labels_term_flipped(name, evidence, rtol)
    found = _negated(a, n, rtol)
    if found is not None and _in_part(*found):
        negated, live = found
        return Found("sign-flip", f"{name} has the opposite sign at {int(negated.sum())} of the {int(live.sum())} "
                     f"elements where the true gradient is not small (at {_positions(negated)}: exactly -1 times "
                     f"the true value), and {_elsewhere(a, n, live & ~negated, rtol)}: one term of {name} has its sign "
                     "flipped, the one that alone makes up those elements (e.g. softmax-with-loss's probabilities "
                     "in dx = p - onehot)")
    found = _negated(*jacobians, rtol) if jacobians is not None else None
    if found is None or not _in_part(*found):
        return _labels_term_flipped(name, evidence, rtol)
    negated, live = found
    return Found("sign-flip", f"{int(negated.sum())} of the {int(live.sum())} entries of {name}'s Jacobian (each "
                 "output's derivative with respect to each element) that are not small are "
                 "exactly -1 times the true ones: one term of the derivative has its sign flipped, one that stands "
                 "alone at those entries (e.g. softmax's -y y^T off the diagonal, written + y y^T)")


def signs_read_elsewhere(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None, *,
                         rtol: float = 0.0) -> Found | None:
    """Every element where the true gradient lives has one magnitude, and `a` has it too, with the sign wrong at some
    elements and right at others: a sign taken off another array than the true one's (np.sign(t) where
    np.sign(y - t) belongs). No term is flipped or dropped there: `mismatch`, the pattern said."""
    rtol = max(NEGATIVE_RTOL, rtol)
    if a.shape != n.shape or a.size < 2 or not np.all(np.isfinite(a)) or not _signs_only(n, ev, rtol):
        return None
    scale = float(np.abs(n).max(initial=0.0))
    live = np.abs(n) > NOT_SMALL * scale
    if scale == 0.0 or float(np.ptp(np.abs(n[live]))) > rtol * scale or \
            np.any(np.abs(a[~live]) > NOT_SMALL * scale):
        return None
    right, negated = np.abs(a - n) <= rtol * scale, np.abs(a + n) <= rtol * scale
    if not np.all((right | negated)[live]) or not (negated & live).any() or not (right & live).any():
        return None
    return Found("mismatch", f"{name} has the true magnitude at every element, but the opposite sign at "
                 f"{int((negated & live).sum())} of the {int(live.sum())} elements (at {_positions(negated & live)}) "
                 "and the right one at the others: its sign is read off another array than the true gradient's "
                 "(e.g. np.sign(y) or np.sign(t) where np.sign(y - t) belongs)")


def _labels_term_flipped(name: str, ev: Evidence | None, rtol: float) -> Found | None:
    """A loss whose dx changes with the labels by exactly the negative of what the true dx changes by: the
    error's part that depends on the labels is -2 times the true one, so the labels' term has the wrong sign
    (dx[range(N), y] += 1 where -= 1 belongs). A dropped labels' term changes dx by nothing, and a term that
    does not read the labels (the probabilities negated) changes it by the true amount."""
    change = (ev.label_dependence() if ev.target == "x" else _parameter_label_dependence(ev)) if ev is not None \
        else None
    if change is None:
        return None
    analytic, true = change
    size = float(np.abs(true).max(initial=0.0))
    if size == 0.0 or float(np.abs(analytic + true).max(initial=0.0)) > rtol * size:
        return None
    return Found("sign-flip", f"the part of {name} that depends on the labels has the wrong sign: given other "
                 f"labels, {name} changes by exactly -1 times what the true gradient changes by: the term that reads "
                 "the labels has its sign flipped (e.g. dx[range(N), y] += 1 where -= 1 belongs, "
                 "or t - y where y - t belongs in one of the terms)")


def _parameter_label_dependence(ev: Evidence, *, max_size: int = 256) -> tuple[np.ndarray, np.ndarray] | None:
    """`Evidence.label_dependence` for a loss's weight (a linear classifier's dW, its scores x @ W): how backward's
    and the true gradient change when each class-index label moves to the next class, in the layer's orientation.
    Numeric: 4 calls per element of the weight."""
    t, p = ev.t, ev.arr
    if ev.G is None or t is None or ev.y0.size != 1 or p.ndim != 2 or not 2 <= p.shape[1] or p.size > max_size:
        return None
    t = np.asarray(t)
    if not np.issubdtype(t.dtype, np.integer) or t.shape != ev.x.shape[:1] or t.size == 0:
        return None
    other = (t + 1) % p.shape[1]
    G = np.asarray(ev.G, dtype=np.float64)

    def change() -> tuple[np.ndarray, np.ndarray] | None:
        here, there = loss_gradients(ev, ev.x, t, G), loss_gradients(ev, ev.x, other, G)
        if here is None or there is None:
            return None
        return there[0] - here[0], there[1] - here[1]

    return quietly(ev, change)


#: a stacked parameter is asked in 1 to this many blocks along each axis (a GRU stacks 3 gates, an LSTM 4)
MAX_BLOCKS = 4


def _blocks(shape: tuple[int, ...]) -> list[tuple[str, tuple[slice, ...]]]:
    """The blocks of a 2-D parameter a term may read alone, each as (how the user would index it, the index): the
    whole, then k equal column blocks and k equal row blocks for k = 2..MAX_BLOCKS."""
    if len(shape) != 2:
        return []
    found: list[tuple[str, tuple[slice, ...]]] = [("", (slice(None), slice(None)))]
    rows, cols = shape
    for k in range(2, MAX_BLOCKS + 1):
        if cols % k == 0:
            w = cols // k
            found += [(f"[:, {j * w}:{(j + 1) * w}]", (slice(None), slice(j * w, (j + 1) * w))) for j in range(k)]
        if rows % k == 0:
            w = rows // k
            found += [(f"[{j * w}:{(j + 1) * w}]", (slice(j * w, (j + 1) * w), slice(None))) for j in range(k)]
    return found


def flipped_through_a_block(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """One term of `name` has the wrong sign, the one that reads a parameter (or a block of a stacked one) no other
    term reads: with that block's values negated after the forward, backward returns the true `name` (a GRU's
    dx = -(dt @ Wxh.T) + ..., where Wxh = Wx[:, 2H:] is read by that term alone)."""
    if ev is None or ev.G is None or a.shape != n.shape:
        return None
    error = norm(a - n)
    for key, p in ev.layer.params.items():
        if key == ev.target or not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
            continue
        for said, index in _blocks(p.shape):
            if agrees(_backward_with_block_negated(ev, p, index), n, error):
                spelled = grad_name(ev.layer, key)
                spelled = spelled[1:] if spelled.startswith("d") and spelled[1:].isidentifier() else key
                return Found("sign-flip", f"one term of {name} has its sign flipped: the term that reads "
                             f"{spelled}{said}, which no other term of {name} reads. With those values negated after "
                             f"the forward, backward returns the true {name} (e.g. dx = -(dt @ Wxh.T) + ... where "
                             "+ belongs)")
    return None


def _backward_with_block_negated(ev: Evidence, p: np.ndarray, index: tuple[slice, ...]) -> np.ndarray | None:
    """The target's gradient (user's orientation) after the case's forward, with p[index] negated in place (a
    cache holds the parameter itself, or views of it); p put back after."""
    def negate(q: np.ndarray, saved: np.ndarray) -> None:
        q[index] = -saved[index]

    return ev.backward_with_altered(p, negate)
