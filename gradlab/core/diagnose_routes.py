"""Diagnosis of gradient sent to the wrong positions where the failing case is too small, or too plain, to show it.

`misrouted` is the right values at the wrong positions (DECISIONS.md). Two readings, each a hypothesis tested on
numbers:
- an element-wise layer that is piecewise linear (ReLU, leaky ReLU: its derivative takes a few values, its slopes)
  whose backward gives every element one of those slopes, but not the one its input calls for: slopes swapped
  between the sides, a threshold moved (`x > 1`, `x - 0.5 > 0`). A smallest case of three elements may hold
  one side only, so the slopes are read on a larger input spread over both sides (and past the moved threshold);
- each output's gradient arriving whole, at other elements: every row of the analytic Jacobian (one output's
  derivative with respect to each element) holds the true row's values, some rows at other columns (a max-pool
  window's argmax split with the wrong width lands on another element, perhaps one due gradient of its own).
- a loss whose smallest case has all its gradient blocked (or none due) by a mask: on a larger batch, gradient
  at elements due none while elements due some get none (a hinge's margin mask inverted). For a weight, the
  larger batch's samples are one-hot rows, so that each element of its gradient is one sample's.
Non-goals: a mask left out or inverted on a case that shows it (`gradlab.core.diagnose_masks.routing`), and
value patterns of the whole array (`gradlab.core.diagnose`).
"""

from __future__ import annotations

__all__ = ["blocked_everywhere", "columns_read_elsewhere", "elementwise_slopes_moved", "loss_gradients",
           "loss_routed_on_a_larger_batch", "loss_unmasked_on_a_larger_batch", "quietly", "rows_gathered", "rows_moved",
           "slopes_moved"]

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.core import diagnose_masks, numeric
from gradlab.core.diagnose_where import Found
from gradlab.core.evidence import Evidence

#: the probe of an element-wise layer holds at least this many elements
PROBE_SIZE = 256
#: a piecewise-linear layer's derivative takes at most this many distinct values (its slopes)
MAX_SLOPES = 4
#: two slopes are the same value within this fraction of the largest one (central differences are exact on a
#: linear piece up to rounding)
SLOPE_RTOL = 1e-6
#: a Jacobian row holds "the same values" within this fraction of the largest true entry
ROW_RTOL = 1e-6


def quietly(ev: Evidence, ask: Callable[[], Any]) -> Any:
    """`ask()` on the layer as the check's backward found it (`Evidence.reset`), or None if the layer raised; the
    layer is left so, its cache put back to the case's forward."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            ev.reset()
            return ask()
    except Exception:  # a layer that cannot answer leaves the hypothesis untested
        return None
    finally:
        try:
            ev.layer.forward(ev.x, ev.t)
        except Exception:  # its crash is reported by the step that owns it
            pass
        ev.reset()


def _probe(ev: Evidence) -> np.ndarray:
    """An input of the case's sample shape spread over both signs and past 1 (a threshold moved to 1 must be
    crossed), with every element some way off 0 (a kink there would spoil a finite difference)."""
    rows = -(-PROBE_SIZE // max(int(np.prod(ev.x.shape[1:], dtype=np.int64)), 1))
    spread = 2.0 * max(1.0, float(np.abs(ev.x).max(initial=0.0)))
    rng = np.random.default_rng(23)
    x = rng.uniform(0.05, 1.0, (rows, *ev.x.shape[1:])) * spread
    return x * rng.choice((-1.0, 1.0), x.shape)


def _levels(d: np.ndarray) -> np.ndarray | None:
    """The distinct values of `d` (sorted), if there are at most MAX_SLOPES of them; None otherwise."""
    flat = np.sort(d.reshape(-1))
    tol = SLOPE_RTOL * max(float(np.abs(flat).max(initial=0.0)), 1.0)
    starts = np.concatenate([[True], np.diff(flat) > tol])
    levels = flat[starts]
    return levels if len(levels) <= MAX_SLOPES else None


def _nearest(d: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each element's nearest level (index) and whether it is that level."""
    gap = np.abs(d.reshape(-1)[:, None] - levels[None, :])
    k = np.argmin(gap, axis=1)
    tol = SLOPE_RTOL * max(float(np.abs(levels).max(initial=0.0)), 1.0)
    return k.reshape(d.shape), (gap[np.arange(gap.shape[0]), k] <= tol).reshape(d.shape)


def _slopes(ev: Evidence, x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(true, analytic) local derivatives at `x` of a layer acting element by element; None if it does not (its
    forward is not repeatable, or moving one element moves another output)."""
    rng = np.random.default_rng(29)
    G = rng.uniform(0.5, 1.5, x.shape) * rng.choice((-1.0, 1.0), x.shape)

    def ask() -> tuple[np.ndarray, np.ndarray] | None:
        y = np.asarray(ev.layer.forward(x.copy(), ev.t), dtype=np.float64)
        if y.shape != x.shape or not np.array_equal(y, np.asarray(ev.layer.forward(x.copy(), ev.t))):
            return None
        for k in (0, x.size // 2):  # one element moved moves its own output alone
            moved = x.copy()
            moved.reshape(-1)[k] += 0.01 * max(1.0, abs(float(moved.reshape(-1)[k])))
            changed = np.asarray(ev.layer.forward(moved, ev.t), dtype=np.float64) != y
            changed.reshape(-1)[k] = False
            if changed.any():
                return None
        h = numeric.steps(x)
        up = np.asarray(ev.layer.forward(x + h, ev.t), dtype=np.float64)
        down = np.asarray(ev.layer.forward(x - h, ev.t), dtype=np.float64)
        true = (up - down) / (2 * h)
        ev.reset()  # a backward that adds into its gradients (or updates its weights) starts as the check's did
        ev.layer.forward(x.copy(), ev.t)
        dx, _ = ev.layer.backward(G.copy())
        if dx is None or np.shape(dx) != x.shape:
            return None
        return true, np.asarray(dx, dtype=np.float64) / G

    return quietly(ev, ask)


def elementwise_slopes_moved(name: str, ev: Evidence | None) -> Found | None:
    """A piecewise-linear element-wise layer whose backward gives each element one of the layer's own slopes,
    though not always the one its input calls for, on an input spread over both sides. A backward that uses a
    single slope everywhere (a mask left out, no gradient at all) is not this: the others say it."""
    if ev is None or not ev.shape_preserving or ev.G is None or ev.x.ndim < 1:
        return None
    x = _probe(ev)
    got = _slopes(ev, x)
    if got is None:
        return None
    true, analytic = got
    levels = _levels(true)
    if levels is None or len(levels) < 2 or not np.all(np.isfinite(analytic)):
        return None
    want, _ = _nearest(true, levels)
    used, exact = _nearest(analytic, levels)
    moved = want != used
    if not exact.all() or not moved.any() or len(np.unique(used)) < 2:
        return None
    said = "; ".join(_how(levels, want, used, x, k) for k in range(len(levels)) if np.any(moved & (want == k)))
    return Found("misrouted", f"{name} has the right values at the wrong positions: on an input spread over both "
                 f"sides, backward gives each element one of the layer's own slopes ({_list(levels)}), but "
                 f"{int(moved.sum())} of {x.size} elements get another element's slope ({said}): the condition "
                 "that picks the slope must be the forward's own (e.g. dout * (x > 0), np.where(x > 0, 1, alpha))")


def _list(levels: np.ndarray) -> str:
    return ", ".join(f"{v:.4g}" for v in levels)


def _how(levels: np.ndarray, want: np.ndarray, used: np.ndarray, x: np.ndarray, k: int) -> str:
    """Where the slope levels[k] belongs, what those elements got instead, and over which inputs."""
    due = want == k
    wrong = due & (used != k)
    instead = ", ".join(f"{levels[j]:.4g}" for j in np.unique(used[wrong]))
    span = f"x from {float(x[wrong].min()):.3g} to {float(x[wrong].max()):.3g}"
    share = "all" if wrong.sum() == due.sum() else f"{int(wrong.sum())} of {int(due.sum())}"
    return f"where the slope is {levels[k]:.4g}, {share} get {instead} ({span})"


def rows_moved(name: str, jacobians: tuple[np.ndarray, np.ndarray] | None) -> Found | None:
    """Every output's gradient arrives whole, some at other elements: each row of the analytic Jacobian holds
    the true row's values, and some rows hold them at other columns."""
    if jacobians is None:
        return None
    A, J = jacobians
    if A.shape != J.shape or A.ndim != 2 or not np.all(np.isfinite(A)):
        return None
    tol = ROW_RTOL * max(float(np.abs(J).max(initial=0.0)), 1e-300)
    if not np.allclose(np.sort(A, axis=1), np.sort(J, axis=1), rtol=0.0, atol=tol):
        return None
    moved = np.any(np.abs(A - J) > tol, axis=1)
    if not moved.any():
        return None
    where = np.flatnonzero(moved)[:3]
    return Found("misrouted", f"{name} has the right values at the wrong positions: for {int(moved.sum())} of the "
                 f"{A.shape[0]} outputs (e.g. output {', '.join(map(str, where))} in flat order), the gradient reaches "
                 "the right amount of the input, at other elements than those that produced the output: route each "
                 "output's gradient to its own elements (a pooling window's argmax, split by the window's own width)")


def rows_gathered(name: str, jacobians: tuple[np.ndarray, np.ndarray] | None) -> Found | None:
    """Every output's gradient arrives whole, but at only some of the elements that produced it: each row of the
    analytic Jacobian has the true row's sum, on a part of the true row's non-zero columns, and some rows differ
    from the true ones (an average pool's dout put whole on one element of its window, where it belongs spread
    over the window, divided by its size). Only where every true row is of one sign: then a scale, or a path dropped,
    changes a row's sum."""
    if jacobians is None:
        return None
    A, J = jacobians
    if A.shape != J.shape or A.ndim != 2 or not np.all(np.isfinite(A)):
        return None
    tol = ROW_RTOL * max(float(np.abs(J).max(initial=0.0)), 1e-300)
    live_a, live_j = np.abs(A) > tol, np.abs(J) > tol
    if (live_j.sum(axis=1) < 2).all() or (live_a & ~live_j).any():
        return None
    # every element an output read moves it the same way (a window's sum or mean): a path with terms of both signs,
    # dropped, can leave a row's sum as it was (an attention's score path sums to zero over T), which is no routing
    if not (np.all((J >= -tol) | (J.max(axis=1, keepdims=True) <= tol)) or np.all(J <= tol)):
        return None
    if not np.allclose(A.sum(axis=1), J.sum(axis=1), rtol=0.0, atol=tol * A.shape[1]):
        return None
    gathered = np.any(np.abs(A - J) > tol, axis=1) & (live_a.sum(axis=1) < live_j.sum(axis=1))
    if not gathered.any() or (np.any(np.abs(A - J) > tol, axis=1) & ~gathered).any():
        return None
    where = np.flatnonzero(gathered)[:3]
    return Found("misrouted", f"{name} sends each output's gradient whole to only some of the elements that produced "
                 f"it: for {int(gathered.sum())} of the {A.shape[0]} outputs (e.g. output "
                 f"{', '.join(map(str, where))} in flat order) it reaches fewer elements than it should, with the "
                 "right total: spread it over every element the output read (an average pool's window, each element "
                 "dout / (pool_h * pool_w))")


def columns_read_elsewhere(name: str, jacobians: tuple[np.ndarray, np.ndarray] | None) -> Found | None:
    """Each element's gradient reads the right weights, but at other outputs' gradients: every column of the analytic
    Jacobian (one element's derivative with respect to each output) that is wrong holds exactly the true column's
    non-zero values, at other outputs, and some of them at outputs that element must not read (a transposed
    convolution's backward reading each pixel's patch at i:i + k where i * stride belongs; a window read at the wrong
    offset). The right values sent to the wrong positions: `misrouted`."""
    if jacobians is None:
        return None
    A, J = jacobians
    if A.shape != J.shape or A.ndim != 2 or not np.all(np.isfinite(A)):
        return None
    tol = ROW_RTOL * max(float(np.abs(J).max(initial=0.0)), 1e-300)
    live_a, live_j = np.abs(A) > tol, np.abs(J) > tol
    wrong = np.any(np.abs(A - J) > tol, axis=0)
    if not wrong.any() or not (live_a & ~live_j)[:, wrong].any():
        return None
    for c in np.flatnonzero(wrong):
        mine, true = np.sort(A[live_a[:, c], c]), np.sort(J[live_j[:, c], c])
        if mine.size != true.size or not np.allclose(mine, true, rtol=0.0, atol=tol):
            return None
    return Found("misrouted", f"{name} pairs the right terms with the wrong outputs' gradients: for "
                 f"{int(wrong.sum())} of its {A.shape[1]} elements the derivative holds exactly the true values, at "
                 "other outputs, some of which that element never reached (a window read at the wrong offset, e.g. a "
                 "transposed convolution's patch at i:i + k where i * stride:i * stride + k belongs)")


#: the larger batch of a loss holds this many samples (for a weight, one per input feature instead)
LOSS_PROBE_N = 8
#: an element of the true gradient is due none below this fraction of the largest; one gets gradient above the other
DUE_NONE, GETS = 1e-9, 1e-4


def _labels_like(t: Any, x: np.ndarray, n: int, classes: int, rng: np.random.Generator) -> np.ndarray | None:
    """n labels of `t`'s encoding (class indices, or one-hot rows of x's shape); None for any other."""
    t = np.asarray(t)
    idx = rng.integers(0, classes, n)
    if np.issubdtype(t.dtype, np.integer) and t.shape == x.shape[:-1] and t.ndim == 1:
        return idx.astype(t.dtype)
    if t.shape == x.shape and t.ndim == 2:
        return np.eye(classes, dtype=t.dtype)[idx]
    return None


def loss_gradients(ev: Evidence, x: np.ndarray, t: np.ndarray, G: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(analytic, true) gradient of the target for the loss on inputs `x`, labels `t`."""
    ev.reset()  # each batch's backward on the layer as the check's backward found it
    ev.layer.forward(x.copy(), t.copy())
    dx, grads = ev.layer.backward(G.copy())
    a = dx if ev.target == "x" else grads.get(ev.target)
    arr = x if ev.target == "x" else ev.arr
    if a is None or np.shape(a) != arr.shape:
        return None
    a = np.array(a, dtype=np.float64)
    return a, numeric.looped_gradient(lambda: ev.layer.forward(x, t), arr, G)


def _loss_on_a_larger_batch(ev: Evidence | None) -> tuple[np.ndarray, np.ndarray, str] | None:
    """A loss's (analytic, true) gradients on more samples, spread widely, flattened, and how they were drawn. A
    weight's gradient is read one sample at a time, each a one-hot row (x @ W then holds that sample's scores in one
    row of the gradient)."""
    if ev is None or ev.t is None or ev.G is None or ev.y0.size != 1 or ev.x.ndim != 2:
        return None
    rng = np.random.default_rng(31)
    spread = 2.0 * max(1.0, float(np.abs(ev.x).max(initial=0.0)))
    D = ev.x.shape[1]
    if ev.target == "x":
        batches = [rng.uniform(-spread, spread, (LOSS_PROBE_N, D))]
        classes = D
    elif ev.arr.ndim == 2 and ev.arr.shape[0] == D:
        # both signs, some large: the case's own weights then give scores on both sides of any margin
        sizes = rng.uniform(0.2, 3.0, LOSS_PROBE_N) * spread * rng.choice((-1.0, 1.0), LOSS_PROBE_N)
        batches = [sizes[k] * np.eye(D)[k % D:k % D + 1] for k in range(LOSS_PROBE_N)]
        classes = ev.arr.shape[1]
    else:
        return None
    labels = [_labels_like(ev.t, ev.x, x.shape[0], classes, rng) for x in batches]
    G = np.ones_like(np.asarray(ev.G, dtype=np.float64))

    def ask() -> list[tuple[np.ndarray, np.ndarray] | None] | None:
        return None if any(t is None for t in labels) else \
            [loss_gradients(ev, x, t, G) for x, t in zip(batches, labels) if t is not None]

    got = quietly(ev, ask)
    if not got or any(g is None for g in got):
        return None
    a = np.concatenate([g[0].reshape(-1) for g in got if g is not None])
    n = np.concatenate([g[1].reshape(-1) for g in got if g is not None])
    if not np.all(np.isfinite(a)) or max(float(np.abs(n).max(initial=0.0)), float(np.abs(a).max(initial=0.0))) == 0:
        return None
    return a, n, f"{LOSS_PROBE_N} samples spread widely" + ("" if ev.target == "x" else ", one at a time")


def _due(a: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(due none, gets some): elements whose true gradient is zero, and elements the analytic one reaches."""
    scale = max(float(np.abs(n).max(initial=0.0)), float(np.abs(a).max(initial=0.0)))
    return np.abs(n) <= DUE_NONE * scale, np.abs(a) > GETS * scale


def loss_routed_on_a_larger_batch(name: str, ev: Evidence | None) -> Found | None:
    """A loss's gradient on more samples, spread widely: gradient reaches elements whose true gradient is zero,
    and elements whose true gradient is not get none (the mask that picks them is inverted). A case too small to
    show it has gradient blocked everywhere, or none due anywhere."""
    probe = _loss_on_a_larger_batch(ev)
    if probe is None:
        return None
    a, n, how = probe
    due_none, gets = _due(a, n)
    extra, missed = due_none & gets, ~due_none & ~gets
    if not (extra.any() and missed.any()):
        return None
    return Found("misrouted", f"{name} is blocked where gradient is due and flows where none is: on {how}, "
                 f"{int(extra.sum())} of the {int(due_none.sum())} elements whose true gradient is zero get gradient, "
                 f"and {int(missed.sum())} of the {int((~due_none).sum())} that must get some get none: the mask that "
                 "picks them is inverted, or takes in elements the loss is flat in as well (e.g. margins <= 0, or "
                 "margins >= 0 with the correct class counted, where margins > 0 belongs: a hinge passes gradient "
                 "where the margin is positive)")


def loss_unmasked_on_a_larger_batch(name: str, ev: Evidence | None) -> Found | None:
    """A loss whose mask lets everything through (a hinge's margins >= 0, true of every margin after np.maximum): on
    more samples, spread widely, elements whose true gradient is zero (the loss is flat in them) get gradient, every
    element due some gets some, and what the flat ones get is a value backward gives the due ones (the hinge's 1/N, as
    if their margin were positive). The elements that sum the mask (a hinge's correct class) are then off too, and a
    case too small to hold a flat element shows those alone."""
    probe = _loss_on_a_larger_batch(ev)
    if probe is None:
        return None
    a, n, how = probe
    due_none, gets = _due(a, n)
    extra = due_none & gets
    if not extra.any() or (~due_none & ~gets).any():
        return None
    scale = float(np.abs(a).max(initial=0.0))
    due_values = a[~due_none]  # what backward gives where gradient is due: the flat elements get the same values
    if not all(np.any(np.abs(due_values - v) <= SLOPE_RTOL * 100 * scale) for v in np.unique(a[extra])):
        return None
    return Found("missing-mask", f"{name} lets gradient through where the loss is flat: on {how}, {int(extra.sum())} "
                 f"of the {int(due_none.sum())} elements whose true gradient is zero get the gradient the others get, "
                 "and every element due some gets some: the mask that picks them lets everything through (e.g. "
                 "margins >= 0 after np.maximum, true of every margin, where margins > 0 belongs)")


def blocked_everywhere(name: str, ev: Evidence | None) -> Found | None:
    """For a gradient all zeros on its case: `misrouted` if a larger input shows why (an inverted mask that blocks
    this case entirely, a threshold moved past every element here, a loss's margin mask inverted); None else."""
    found = diagnose_masks.masked_elsewhere(name, ev, here="is all zeros here")
    if found is None or found.code != "misrouted":
        found = elementwise_slopes_moved(name, ev) or loss_routed_on_a_larger_batch(name, ev)
    return found if found is not None and found.code == "misrouted" else None


def slopes_moved(name: str, a: np.ndarray, n: np.ndarray, upstream: np.ndarray | None,
                 ev: Evidence | None) -> Found | None:
    """`elementwise_slopes_moved`, said with the case's own positions where the case shows gradient sent where
    none is due (an inverted ReLU mask: `gradlab.core.diagnose_masks.routing`)."""
    found = elementwise_slopes_moved(name, ev)
    if found is None:
        return None
    here = diagnose_masks.routing(name, a, n, upstream, ev)
    return here if here is not None and here.code == "misrouted" else found
