"""Diagnosis by shape and position: a gradient of the wrong shape (transposed, reduced over the wrong axes, a
kept axis, not reshaped back), and the tests of positions and axes a gradient of the right shape is asked (the
right values transposed or permuted; dout, or the true gradient, summed over the wrong axes).

Pure functions over arrays, answering `Found` (code and sentence); `gradlab.core.diagnose` orders the questions.
Non-goal: a gradient's values beyond where they sit (factors, dropped terms: `gradlab.core.diagnose`).
"""

from __future__ import annotations

from itertools import combinations, permutations

import numpy as np

from gradlab.core import diagnose_factors, diagnose_misread, diagnose_where
from gradlab.core.diagnose_where import AGREES, Found, norm
from gradlab.core.evidence import Evidence

#: two arrays are "the same values" (transposed, reshaped, reduced) within this fraction of the largest
SAME_RTOL = 1e-4
#: upstream gradients with more axes than this are not searched for a wrong reduction (2**ndim sums)
MAX_REDUCTION_AXES = 6


def close(a: np.ndarray, b: np.ndarray, tol: float = SAME_RTOL) -> bool:
    scale = max(float(np.abs(b).max(initial=0.0)), float(np.abs(a).max(initial=0.0)), 1e-300)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol * scale))


def transposed_values(a: np.ndarray, n: np.ndarray) -> bool:
    """`a` holds n's values in transposed order: a.T == n, or a is a transposed product reshaped to fit."""
    if a.size != n.size or n.ndim < 2 or a.size < 2:
        return False
    return (a.ndim == 2 and a.shape == n.shape[::-1] and close(a.T, n)) or \
        (close(a.reshape(n.shape[::-1]).T, n) and not close(a.reshape(n.shape), n))


def axes_permuted(a: np.ndarray, n: np.ndarray) -> tuple[int, ...] | None:
    """The order of n's axes that gives `a` (a == n.transpose(order), not the identity), for arrays of two to five
    axes with enough distinct values (a layout undone with the wrong order: .transpose(0, 3, 2, 1) where
    .transpose(0, 3, 1, 2) belongs); None if there is none."""
    if a.ndim != n.ndim or not 2 <= n.ndim <= 5 or a.size != n.size or a.size < 4 or \
            len(np.unique(np.round(n, 12))) < 3:
        return None
    for order in permutations(range(n.ndim)):
        moved = [k for k in order if n.shape[k] > 1]  # axes of length 1 moved only are a reshape's, not this
        if moved != sorted(moved) and a.shape == tuple(n.shape[k] for k in order) and close(a, n.transpose(order)):
            return tuple(order)
    return None


def permuted_values(a: np.ndarray, n: np.ndarray) -> bool:
    """The same multiset of values in other positions (axes permuted, or flattened in the wrong order).

    Needs enough distinct non-zero values that a coincidence is out of the question.
    """
    nonzero = np.abs(n) > SAME_RTOL * max(float(np.abs(n).max(initial=0.0)), 1e-300)
    if a.size < 4 or int(nonzero.sum()) < 3 or close(a, n):
        return False
    return close(np.sort(a, axis=None), np.sort(n, axis=None))


def wrong_reduction_of(a: np.ndarray, n: np.ndarray, upstream: np.ndarray | None) -> tuple[int, ...] | None:
    """Axes over which the upstream gradient, summed, gives `a` (but not `n`); None if there are none."""
    if upstream is None or upstream.ndim == 0 or upstream.ndim > MAX_REDUCTION_AXES:
        return None
    G = np.asarray(upstream, dtype=np.float64)
    for k in range(1, G.ndim + 1):
        for axes in combinations(range(G.ndim), k):
            r = G.sum(axis=axes)
            if r.size == G.size:  # summing axes of length 1 reduces nothing: `a` would be dout itself
                continue
            explains_true = r.size == n.size and close(r.reshape(n.shape), n)
            if r.size == a.size and close(r.reshape(a.shape), a) and not explains_true:
                return axes
    return None


def wrong_reduction_spread(a: np.ndarray, n: np.ndarray, upstream: np.ndarray | None) -> tuple[int, ...] | None:
    """Axes over which dout, summed and then broadcast to `a`'s shape, gives `a` (but not `n`).

    An in-place store (`grads[1][...] = db`, the textbook's second volume) broadcasts a wrongly reduced
    gradient instead of rejecting its shape: db = dout.sum(axis=1) of shape (1,) fills all of b's (M,)
    elements with one sample's total, so the shape looks right and only the values are wrong.
    """
    if upstream is None or upstream.ndim == 0 or upstream.ndim > MAX_REDUCTION_AXES or a.ndim == 0:
        return None
    G = np.asarray(upstream, dtype=np.float64)
    for k in range(1, G.ndim + 1):
        for axes in combinations(range(G.ndim), k):
            r = G.sum(axis=axes)
            if r.size >= a.size:  # same size is wrong_reduction_of's case; larger cannot have been broadcast
                continue
            try:
                spread = np.broadcast_to(r, a.shape)
            except ValueError:
                continue
            if close(spread, a) and not (r.size == n.size and close(r.reshape(n.shape), n)):
                return axes
    return None


def true_gradient_summed_further(a: np.ndarray, n: np.ndarray) -> tuple[int, ...] | None:
    """Axes of the true gradient whose sum, broadcast back over them, gives `a`: a gradient reduced over
    more axes than it should be, whose shape an in-place store then restored.

    This needs no upstream gradient, so it also sees a bias gradient summed from an intermediate array
    (an RNN's db = np.sum(dt) where np.sum(dt, axis=0) belongs: the true db summed once more, over H).
    """
    if a.shape != n.shape or a.ndim == 0 or a.size < 2:
        return None
    for k in range(1, n.ndim + 1):
        for axes in combinations(range(n.ndim), k):
            if all(n.shape[i] == 1 for i in axes):
                continue
            spread = np.broadcast_to(n.sum(axis=axes, keepdims=True), a.shape)
            if close(spread, a) and not close(spread, n):
                return axes
    return None


def _drops_axes(small: tuple[int, ...], big: tuple[int, ...]) -> bool:
    """`small` is `big` with some axes removed, as a sum over those axes would leave it."""
    it = iter(big)
    return len(small) < len(big) and all(any(s == b for b in it) for s in small)


def _batch_axis(a: tuple[int, ...], n: tuple[int, ...], N: int) -> tuple[int, bool] | None:
    """The axis of size N whose sum would give `n`'s shape (removed, or kept as 1), and whether it is kept."""
    for i, size in enumerate(a):
        if i > 0 and size != N:
            continue
        rest = a[:i] + a[i + 1:]
        if rest == n and (i == 0 or N > 1):  # axis 0 is the batch axis wherever it fits
            return i, False
        if N > 1 and size == N and rest[:i] + (1,) + rest[i:] == n:
            return i, True
    return None


def _kept_axis(a: np.ndarray, n: np.ndarray, N: int) -> int | None:
    """The axis of length 1 that is all `a` has more than `n` (right values), as keepdims=True leaves it;
    None if there is none, or if it may be a batch of one not summed at all (axis 0 at N=1)."""
    for i in range(a.ndim):
        if a.shape[i] == 1 and a.shape[:i] + a.shape[i + 1:] == n.shape and not (i == 0 and N == 1):
            return i if close(a.reshape(n.shape), n) else None
    return None


def wrong_shape(name: str, a: np.ndarray, n: np.ndarray, N: int, *,
                upstream: np.ndarray | None = None, evidence: Evidence | None = None) -> Found:
    """The analytic gradient `a` does not have the true gradient `n`'s shape. `evidence` (the layer itself)
    lets a product of dout and one of the layer's arrays, summed over the wrong axes, be seen for what it is."""
    shape_txt = f"{name} has shape {a.shape} but should have {n.shape}"
    swapped = diagnose_misread.returned_in_each_others_place(name, a, n, evidence)
    if swapped is not None:
        return Found(swapped.code, f"{shape_txt}: {swapped.sentence}")
    found = diagnose_where.product_summed_elsewhere(name, a, n, evidence) if a.ndim > 0 else None
    if found is not None:
        return Found(found.code, f"{shape_txt}: {found.sentence}")
    axes = wrong_reduction_of(a, n, upstream)
    if a.ndim > 0 and axes is not None:
        return Found("wrong-reduction", f"{shape_txt}: it is dout summed over axes {axes}")
    if a.ndim == 0 or (a.size == 1 and n.size > 1):
        return Found("wrong-reduction", f"{shape_txt}: it was summed over all axes to a single number")
    # a 2-D transpose first: with a vector dimension, it also looks like a mere reshape
    if a.ndim == 2 and n.ndim == 2 and a.shape == n.shape[::-1] and close(a.T, n):
        return Found("transposed", f"{shape_txt}: it is the transpose of the right gradient")
    order = axes_permuted(a, n)
    if order is not None:
        return Found("transposed", f"{shape_txt}: it holds the right values with its axes in another order, the "
                     f"true gradient's .transpose{order}: undo the layout change with the order that inverts "
                     "the forward's")
    if a.size == 0:
        return Found("wrong-shape", f"{shape_txt}: it is empty. A slice such as dx_pad[:, :, pad:-pad, pad:-pad] "
                         "is empty when pad=0 (-0 is 0, so pad:-pad is 0:0): slice pad:pad + H, pad:pad + W instead")
    kept = _kept_axis(a, n, N)  # keepdims=True, or an axis of the data's that a larger input shows growing:
    found = diagnose_factors.data_axis_kept(name, a, evidence) if kept is not None else None
    if found is not None:
        return Found(found.code, f"{shape_txt}: {found.sentence}")
    if kept is not None:
        return Found("wrong-shape", f"{shape_txt}: the values are right, but the summed axis {kept} is still there "
                         f"with length 1 (keepdims=True): drop the kept axis (keepdims=False, or reshape to {n.shape})")
    batch_axis = _batch_axis(a.shape, n.shape, N)
    if batch_axis is not None:
        axis, keepdims = batch_axis
        how = f"axis {axis}, keepdims=True" if keepdims else f"axis {axis}"
        if a.shape[axis] != N:  # not the batch: another axis the parameter is shared over (a time axis)
            return Found("wrong-reduction", f"{shape_txt}: it still has axis {axis} (length {a.shape[axis]}), "
                             f"over which the parameter is shared as over the batch; sum it over {how} too")
        return Found("wrong-reduction", f"{shape_txt}: it still has the batch axis; sum it over {how}")
    if a.ndim > n.ndim:
        return Found("wrong-reduction", f"{shape_txt}: it keeps axes that should have been summed over")
    if a.size == n.size and close(a.reshape(n.shape), n):
        return Found("wrong-shape", f"{shape_txt}: the values are right, reshape it to {n.shape}")
    if transposed_values(a, n):
        return Found("transposed", f"{shape_txt}: it holds the right values in transposed order")
    if _drops_axes(a.shape, n.shape):
        return Found("wrong-reduction", f"{shape_txt}: it was summed over an axis that should remain")
    if a.ndim >= 1 and a.shape[0] == N and (n.ndim == 0 or n.shape[0] != N):
        return Found("wrong-reduction", f"{shape_txt}: it is indexed by sample; sum it over the batch instead")
    found = other_marginal(name, a, n, evidence)
    if found is not None:
        return Found(found.code, f"{shape_txt}: {found.sentence}")
    return Found("wrong-shape", shape_txt)


def _layer_shapes(ev: Evidence) -> set[tuple[int, ...]]:
    """The shapes of the layer's input, output and parameters, each also the other way round (samples as columns)."""
    arrays = [A for A in (ev.x, ev.y0, *ev.layer.params.values()) if isinstance(A, np.ndarray)]
    return {tuple(A.shape) for A in arrays} | {tuple(A.shape[::-1]) for A in arrays}


def other_marginal(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """`a` and the true `n` are two sums of one array shaped like one of the layer's (its input, output or a
    parameter), `n` over axis i and `a` over another axis j (an attention's dh = np.sum(dhr, axis=2) where axis=1
    belongs). Tested on the numbers, not the shapes alone: summing `a` over what is left of axis i and `n` over what
    is left of axis j must give the same array (the whole array's sum over both axes), to AGREES."""
    if ev is None or a.ndim != n.ndim or a.ndim == 0:
        return None
    for S in sorted(_layer_shapes(ev)):
        if len(S) != a.ndim + 1:
            continue
        for i in range(len(S)):
            for j in range(len(S)):
                if i == j or S[i] < 2 or S[j] < 2 or S[:i] + S[i + 1:] != n.shape or S[:j] + S[j + 1:] != a.shape:
                    continue
                from_n = n.sum(axis=j if j < i else j - 1)
                from_a = a.sum(axis=i if i < j else i - 1)
                if norm(from_n) > AGREES * norm(n) and close(from_a, from_n):
                    return Found("wrong-reduction", f"{name} and the true gradient are the same array of shape {S} "
                                 f"summed over different axes: the true one over axis {i}, {name} over axis {j} "
                                 f"(summed over both, the two agree): sum over axis {i}, the axis the forward "
                                 "combined, and keep the one it kept")
    return None
