"""Diagnosis: from a wrong analytic gradient and the true (numeric) one, name the bug.

Pure functions over arrays. The questions are asked from the most specific to the least:
- is there a gradient at all, and is it finite;
- does its shape say how it went wrong (transposed, reduced over the wrong axes, not reshaped back);
- is it the true gradient times one constant, estimated over all elements by least squares
  (N: the batch mean's 1/N is missing; 1/N: divided twice; -1: a sign flip; anything else: scaled);
- are the right values in transposed positions; is it dout summed over the wrong axes (a bias gradient that fits);
- is a factor of its product left out (dout, an array the layer holds: `diagnose_factors`);
- does it agree with the true gradient only in part (a dropped term): Jacobian entry by entry, every term right
  or missing (a softmax backward keeping only the diagonal, `=` where `+=` belongs); some elements exactly right,
  others not; right where the true gradient is zero, wrong elsewhere; a true gradient that vanishes (the missing
  terms would cancel); the true gradient plus a part orthogonal to it (batch norm's mean and variance paths
  dropped); or close to it. For an element-wise layer (a diagonal Jacobian) these give way to what
  `diagnose_formula.elementwise_formula` names (a product rule's term, dout missing in a branch, a wrong formula).
What is left is a plain mismatch. Non-goal: structural bugs (mutated inputs, coupled samples, stale parameters).
"""

from __future__ import annotations

__all__ = ["Diagnosis", "diagnose_shape", "diagnose_values", "fit_factor"]

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from gradlab.core import (
    diagnose_factors,
    diagnose_formula,
    diagnose_misread,
    diagnose_routes,
    diagnose_sign,
    diagnose_where,
)
from gradlab.core.diagnose_shift import shifted
from gradlab.core.diagnose_where import fit_factor
from gradlab.core.evidence import Evidence

#: a fitted scale factor explains the gradient when the residual is below this fraction of the gradient ...
FIT_RTOL = 1e-3
#: ... and below this fraction of the error itself: a gradient 0.01% off everywhere fits 0.9999 to 1e-4 of its
#: norm, yet the factor explains none of its error (a tanh approximation inside an exact GELU's derivative)
FIT_OF_ERROR = 0.1
#: a gradient this close to the true one (relative error of the whole array) is a slightly different formula
#: (an approximation, a constant a little off), too close for a dropped term of a sum or product rule
SLIGHTLY_OFF = 0.01
#: a factor is "equal" to N, 1/N, -1 when within this relative distance
FACTOR_RTOL = 0.02
#: two arrays are "the same values" (transposed, reshaped, reduced) within this fraction of the largest
SAME_RTOL = 1e-4
#: an element of the true gradient is "zero" below this fraction of the largest analytic element
ZERO_RTOL = 1e-9
#: a gradient this close to the true one (relative error of the whole array) is missing only a small term
PARTIAL_RTOL = 0.5
#: upstream gradients with more axes than this are not searched for a wrong reduction (2**ndim sums)
MAX_REDUCTION_AXES = 6


@dataclass(frozen=True)
class Diagnosis:
    code: str
    sentence: str
    factor: float | None = None


def _close(a: np.ndarray, b: np.ndarray, tol: float = SAME_RTOL) -> bool:
    scale = max(float(np.abs(b).max(initial=0.0)), float(np.abs(a).max(initial=0.0)), 1e-300)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol * scale))


def _near(value: float, target: float) -> bool:
    return abs(value - target) <= FACTOR_RTOL * abs(target)


def _transposed_values(a: np.ndarray, n: np.ndarray) -> bool:
    """`a` holds n's values in transposed order: a.T == n, or a is a transposed product reshaped to fit."""
    if a.size != n.size or n.ndim < 2 or a.size < 2:
        return False
    return (a.ndim == 2 and a.shape == n.shape[::-1] and _close(a.T, n)) or \
        (_close(a.reshape(n.shape[::-1]).T, n) and not _close(a.reshape(n.shape), n))


def _permuted_values(a: np.ndarray, n: np.ndarray) -> bool:
    """The same multiset of values in other positions (axes permuted, or flattened in the wrong order).

    Needs enough distinct non-zero values that a coincidence is out of the question.
    """
    nonzero = np.abs(n) > SAME_RTOL * max(float(np.abs(n).max(initial=0.0)), 1e-300)
    if a.size < 4 or int(nonzero.sum()) < 3 or _close(a, n):
        return False
    return _close(np.sort(a, axis=None), np.sort(n, axis=None))


def _wrong_reduction_of(a: np.ndarray, n: np.ndarray, upstream: np.ndarray | None) -> tuple[int, ...] | None:
    """Axes over which the upstream gradient, summed, gives `a` (but not `n`); None if there are none."""
    if upstream is None or upstream.ndim == 0 or upstream.ndim > MAX_REDUCTION_AXES:
        return None
    G = np.asarray(upstream, dtype=np.float64)
    for k in range(1, G.ndim + 1):
        for axes in combinations(range(G.ndim), k):
            r = G.sum(axis=axes)
            if r.size == G.size:  # summing axes of length 1 reduces nothing: `a` would be dout itself
                continue
            explains_true = r.size == n.size and _close(r.reshape(n.shape), n)
            if r.size == a.size and _close(r.reshape(a.shape), a) and not explains_true:
                return axes
    return None


def _wrong_reduction_spread(a: np.ndarray, n: np.ndarray, upstream: np.ndarray | None) -> tuple[int, ...] | None:
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
            if r.size >= a.size:  # same size is _wrong_reduction_of's case; larger cannot have been broadcast
                continue
            try:
                spread = np.broadcast_to(r, a.shape)
            except ValueError:
                continue
            if _close(spread, a) and not (r.size == n.size and _close(r.reshape(n.shape), n)):
                return axes
    return None


def _true_gradient_summed_further(a: np.ndarray, n: np.ndarray) -> tuple[int, ...] | None:
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
            if _close(spread, a) and not _close(spread, n):
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
            return i if _close(a.reshape(n.shape), n) else None
    return None


def diagnose_shape(name: str, a: np.ndarray, n: np.ndarray, N: int, *,
                   upstream: np.ndarray | None = None, evidence: Evidence | None = None) -> Diagnosis:
    """The analytic gradient `a` does not have the true gradient `n`'s shape. `evidence` (the layer itself)
    lets a product of dout and one of the layer's arrays, summed over the wrong axes, be seen for what it is."""
    shape_txt = f"{name} has shape {a.shape} but should have {n.shape}"
    swapped = diagnose_misread.returned_in_each_others_place(name, a, n, evidence)
    if swapped is not None:
        return Diagnosis(swapped.code, f"{shape_txt}: {swapped.sentence}")
    found = diagnose_where.product_summed_elsewhere(name, a, n, evidence) if a.ndim > 0 else None
    if found is not None:
        return Diagnosis(found.code, f"{shape_txt}: {found.sentence}")
    axes = _wrong_reduction_of(a, n, upstream)
    if a.ndim > 0 and axes is not None:
        return Diagnosis("wrong-reduction", f"{shape_txt}: it is dout summed over axes {axes}")
    if a.ndim == 0 or (a.size == 1 and n.size > 1):
        return Diagnosis("wrong-reduction", f"{shape_txt}: it was summed over all axes to a single number")
    # a 2-D transpose first: with a vector dimension, it also looks like a mere reshape
    if a.ndim == 2 and n.ndim == 2 and a.shape == n.shape[::-1] and _close(a.T, n):
        return Diagnosis("transposed", f"{shape_txt}: it is the transpose of the right gradient")
    if a.size == 0:
        return Diagnosis("wrong-shape", f"{shape_txt}: it is empty. A slice such as dx_pad[:, :, pad:-pad, pad:-pad] "
                         "is empty when pad=0 (-0 is 0, so pad:-pad is 0:0): slice pad:pad + H, pad:pad + W instead")
    kept = _kept_axis(a, n, N)  # keepdims=True, or an axis of the data's that a larger input shows growing:
    found = diagnose_factors.data_axis_kept(name, a, evidence) if kept is not None else None
    if found is not None:
        return Diagnosis(found.code, f"{shape_txt}: {found.sentence}")
    if kept is not None:
        return Diagnosis("wrong-shape", f"{shape_txt}: the values are right, but the summed axis {kept} is still there "
                         f"with length 1 (keepdims=True): drop the kept axis (keepdims=False, or reshape to {n.shape})")
    batch_axis = _batch_axis(a.shape, n.shape, N)
    if batch_axis is not None:
        axis, keepdims = batch_axis
        how = f"axis {axis}, keepdims=True" if keepdims else f"axis {axis}"
        if a.shape[axis] != N:  # not the batch: another axis the parameter is shared over (a time axis)
            return Diagnosis("wrong-reduction", f"{shape_txt}: it still has axis {axis} (length {a.shape[axis]}), "
                             f"over which the parameter is shared as over the batch; sum it over {how} too")
        return Diagnosis("wrong-reduction", f"{shape_txt}: it still has the batch axis; sum it over {how}")
    if a.ndim > n.ndim:
        return Diagnosis("wrong-reduction", f"{shape_txt}: it keeps axes that should have been summed over")
    if a.size == n.size and _close(a.reshape(n.shape), n):
        return Diagnosis("wrong-shape", f"{shape_txt}: the values are right, reshape it to {n.shape}")
    if _transposed_values(a, n):
        return Diagnosis("transposed", f"{shape_txt}: it holds the right values in transposed order")
    if _drops_axes(a.shape, n.shape):
        return Diagnosis("wrong-reduction", f"{shape_txt}: it was summed over an axis that should remain")
    if a.ndim >= 1 and a.shape[0] == N and (n.ndim == 0 or n.shape[0] != N):
        return Diagnosis("wrong-reduction", f"{shape_txt}: it is indexed by sample; sum it over the batch instead")
    return Diagnosis("wrong-shape", shape_txt)


def _times(c: float) -> str:
    """c with enough digits that it does not read as 1 (or as a round factor it is not)."""
    for digits in range(4, 10):
        text = f"{c:.{digits}g}"
        if float(text) != 1.0:
            return text
    return repr(c)


def _explains(a: np.ndarray, n: np.ndarray, c: float, residual: float) -> bool:
    """One factor explains the gradient: a ≈ c·n to FIT_RTOL of a, and what is left is a small part of the
    error a − n, so c is measurably not 1 (a factor of 1 is no scale)."""
    return residual <= FIT_RTOL and \
        float(np.linalg.norm(a - c * n)) <= FIT_OF_ERROR * float(np.linalg.norm(a - n))


def _factor(name: str, c: float, N: int) -> Diagnosis:
    if _near(c, -1.0):
        return Diagnosis("sign-flip", f"{name} has the wrong sign: it is -1 times the true gradient", c)
    if N > 1 and _near(c, float(N)):
        return Diagnosis("missing-batch-mean", f"{name} is N={N} times too large: the batch mean's 1/N is missing", c)
    if N > 1 and _near(c, 1.0 / N):
        return Diagnosis("extra-batch-mean", f"{name} is N={N} times too small: it was divided by N once too often", c)
    return Diagnosis("scaled", f"{name} is {_times(c)} times the true gradient", c)


def _not_the_batch_size(name: str, c: float, N: int, evidence: Evidence | None) -> Diagnosis | None:
    """A factor that equals N or 1/N on this case but stays when the batch doubles is a constant that happens
    to equal N (a 2x2 pooling window's 4 at N=4), not a batch mean: `scaled`. None: it is the batch size, or
    the layer cannot say."""
    if evidence is None or N < 2 or not (_near(c, float(N)) or _near(c, 1.0 / N)):
        return None
    doubled = evidence.factor_on_a_doubled_batch()
    if doubled is None or not _near(doubled, c):
        return None
    return Diagnosis("scaled", f"{name} is {_times(c)} times the true gradient: a constant that equals the batch "
                     f"size N={N} here, but it stays {_times(doubled)} when the batch doubles, so it is not a "
                     "batch mean's 1/N", c)


def _terms_dropped(A: np.ndarray, J: np.ndarray) -> bool:
    """Every analytic Jacobian entry is the true one or zero, and some true non-zero entry is missing."""
    if A.shape != J.shape or not np.all(np.isfinite(A)):
        return False
    tol = SAME_RTOL * max(float(np.abs(J).max(initial=0.0)), 1e-300)
    right = np.abs(A - J) <= tol
    missing = (np.abs(A) <= tol) & ~right
    return bool(np.all(right | missing) and missing.any())


def _gradients_vary(jacobians: tuple[np.ndarray, np.ndarray] | None) -> bool:
    """The true gradients, over every upstream gradient, span two directions or more (the true Jacobian's rank): where
    they span one (a softmax of two classes, whose gradient is always a multiple of (1, -1)), an error orthogonal to
    the true gradient is the layer's shape, no evidence of a projection dropped. True when unknown."""
    if jacobians is None:
        return True
    J = jacobians[1]
    return J.ndim != 2 or int(np.linalg.matrix_rank(J, tol=1e-6 * max(float(np.abs(J).max(initial=0.0)), 1e-300))) >= 2


def _partial(name: str, a: np.ndarray, n: np.ndarray, ok: np.ndarray,
             jacobians: tuple[np.ndarray, np.ndarray] | None = None) -> Diagnosis | None:
    """A dropped term seen in the values alone: agreement with the true gradient in part, by one of five signs."""
    scale = max(float(np.abs(a).max(initial=0.0)), float(np.abs(n).max(initial=0.0)))
    zero_n = np.abs(n) <= ZERO_RTOL * scale
    zero_a = np.abs(a) <= ZERO_RTOL * scale
    if np.all(zero_n):
        return Diagnosis("dropped-term", f"the true {name} is zero here (the paths through x cancel), "
                         "but the analytic one is not: the cancelling terms are missing")
    live = ~zero_n
    wrong = live & ~ok
    off = float(np.linalg.norm((a - n)[wrong])) / max(float(np.linalg.norm(n[wrong])), 1e-300)
    if wrong.any() and off <= SLIGHTLY_OFF:
        # a dropped term leaves the elements it touches off by a good part of themselves, not a fraction of 1%
        return Diagnosis("mismatch", f"{name} is within {off:.2%} of the true gradient where it is wrong, and "
                         "no one factor explains the difference: the formula is slightly different, not missing a "
                         "term (an approximation where the exact derivative belongs, e.g. GELU's tanh form in the "
                         "derivative of its exact erf form, or a constant a little off)")
    right = ok & live
    if right.any() and not right[live].all():
        return Diagnosis("dropped-term", f"{name} is right on {int(right.sum())} of {int(live.sum())} non-zero "
                         "elements and wrong on the rest: a term or path is missing there")
    if zero_n.any() and np.all(zero_a[zero_n]) and not np.all(zero_a):
        return Diagnosis("dropped-term", f"{name} is zero exactly where the true gradient is, but wrong where it "
                         "is not: a contribution was overwritten or dropped")
    c, _ = fit_factor(a, n)
    error = float(np.linalg.norm(a - n))
    if abs(c - 1.0) * float(np.linalg.norm(n)) <= FIT_OF_ERROR * error and _gradients_vary(jacobians):
        # a = n + r with r orthogonal to n (the error has no part along n): the dropped terms subtracted
        # a projection, as the mean and variance paths of a normalisation do
        return Diagnosis("dropped-term", f"{name} holds the whole true gradient plus an extra part orthogonal "
                         "to it: the terms that subtract a projection (e.g. a mean or variance path) are missing")
    if error <= PARTIAL_RTOL * np.linalg.norm(n):
        return Diagnosis("dropped-term", f"{name} is close to the true gradient but not equal "
                         f"(off by {np.linalg.norm(a - n) / np.linalg.norm(n):.0%}): a smaller term is missing")
    return None


def diagnose_values(name: str, a: np.ndarray, n: np.ndarray, ok: np.ndarray, N: int, *,
                    upstream: np.ndarray | None = None,
                    jacobians: tuple[np.ndarray, np.ndarray] | None = None,
                    evidence: Evidence | None = None, rtol: float = 0.0) -> Diagnosis:
    """Same shape, wrong values. `ok` marks elements already within tolerance.

    `upstream` is the dout given to backward (to recognise a wrong reduction whose shape fits);
    `jacobians` is the pair (analytic, numeric) of Jacobians, outputs x elements, when the checker
    could afford them: a gradient whose every entry is either right or zero has dropped terms.
    `evidence` is the layer itself, to test hypotheses on (`gradlab.core.diagnose_where`); its
    Jacobians are used when `jacobians` is not given. `rtol` is the check's own relative tolerance (a
    layer computing in float32 is judged to ~2e-3): values "exactly" equal are equal to within it.
    """
    if not np.all(np.isfinite(a)):
        return Diagnosis("non-finite", f"{name} contains NaN or inf")
    if not np.any(a):  # an inverted mask, a moved threshold, on a case it blocks entirely
        found = diagnose_routes.blocked_everywhere(name, evidence)
        if found is not None:
            return Diagnosis(found.code, found.sentence)
        return Diagnosis("zero-gradient", f"{name} is all zeros but the true gradient is not")
    found = diagnose_formula.asked_of_the_layer(name, a, n, N, evidence) or \
        diagnose_routes.slopes_moved(name, a, n, upstream, evidence)
    if found is not None:
        return Diagnosis(found.code, found.sentence)
    if jacobians is None and evidence is not None:
        jacobians = evidence.jacobians
    # before the factor fit: with a single live element, a missing term also looks like a factor
    if jacobians is not None and _terms_dropped(*jacobians):
        return Diagnosis("dropped-term", f"every term of {name} is either right or missing: a path's "
                         "contribution was dropped or overwritten instead of added")
    c, residual = fit_factor(a, n)
    if _explains(a, n, c, residual):
        found = diagnose_where.masked_elsewhere(name, evidence, here=f"is {_times(c)} times the true gradient here")
        if found is not None:
            return Diagnosis(found.code, found.sentence, c)
        return _not_the_batch_size(name, c, N, evidence) or _factor(name, c, N)
    # one branch of an element-wise derivative off by a constant: before dout itself (a leaky ReLU without alpha)
    found = diagnose_formula.scaled_on_a_branch(name, evidence) if diagnose_formula.diagonal(jacobians) else None
    if found is not None:
        return Diagnosis(found.code, found.sentence)
    # gradient where none belongs: a mask left out, or the right values sent to the wrong elements
    found = diagnose_where.routing(name, a, n, upstream, evidence) or \
        diagnose_factors.left_out(name, a, n, upstream, evidence)
    if found is not None:
        return Diagnosis(found.code, found.sentence)
    # one term with the wrong sign: exact negatives where it is alone (before the patterns a partial match fits)
    found = diagnose_sign.flipped_in_part(name, a, n, jacobians, evidence, rtol=rtol)
    if found is not None:
        return Diagnosis(found.code, found.sentence)
    found_here = _positions_or_axes(name, a, n, upstream, evidence, jacobians)
    if found_here is not None:
        return found_here
    partial = _partial(name, a, n, ok, jacobians)
    if (partial is None or partial.code == "dropped-term") and diagnose_formula.diagonal(jacobians):
        found = diagnose_formula.elementwise_formula(name, a, n, upstream, evidence)
        if found is not None:
            return Diagnosis(found.code, found.sentence)
    if partial is not None:
        return partial
    return Diagnosis("mismatch", f"{name} does not match the true gradient and no simple pattern explains it")


def _positions_or_axes(name: str, a: np.ndarray, n: np.ndarray, upstream: np.ndarray | None,
                       evidence: Evidence | None, jacobians: tuple[np.ndarray, np.ndarray] | None = None
                       ) -> Diagnosis | None:
    """The right values in the wrong positions, or dout (or a product with it) reduced over the wrong axes."""
    if _transposed_values(a, n):
        return Diagnosis("transposed", f"{name} holds the right values in transposed positions")
    if _permuted_values(a, n):
        return Diagnosis("transposed", f"{name} holds exactly the right values, in the wrong positions: "
                         "an axis order (a transpose or reshape) is off")
    axes = _wrong_reduction_of(a, n, upstream)
    if axes is not None:
        return Diagnosis("wrong-reduction", f"{name} is dout summed over axes {axes}, the wrong axes")
    axes = _wrong_reduction_spread(a, n, upstream)
    if axes is not None:
        return Diagnosis("wrong-reduction", f"{name} is dout summed over axes {axes}, the wrong axes, then "
                         f"broadcast to {name}'s shape {a.shape} (an in-place store such as grads[i][...] = db "
                         "spreads a wrongly reduced array instead of rejecting its shape)")
    axes = _true_gradient_summed_further(a, n)
    if axes is not None:
        return Diagnosis("wrong-reduction", f"{name} is the true gradient summed over its axes {axes} as well, "
                         f"then broadcast back to {name}'s shape {a.shape}: it was summed over more axes than the "
                         "batch (e.g. np.sum(dt) where np.sum(dt, axis=0) belongs), and an in-place store such as "
                         "grads[i][...] = db spread the result instead of rejecting its shape")
    found = shifted(name, a, n) or diagnose_where.product_summed_elsewhere(name, a, n, evidence)
    if found is not None:
        return Diagnosis(found.code, found.sentence)
    # last, each output's gradient whole at other elements (a transpose moves values too, and is more precise); a
    # loss whose mask lets nothing through here, asked on a larger batch
    found = diagnose_where.upstream_summed_elsewhere(name, evidence) or \
        diagnose_where.error_along_output(name, evidence) or diagnose_routes.rows_moved(name, jacobians) or \
        (diagnose_routes.loss_routed_on_a_larger_batch(name, evidence) if not np.any(n) else None)
    if found is not None:
        return Diagnosis(found.code, found.sentence)
    return None
