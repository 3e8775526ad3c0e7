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

__all__ = ["SAME_RTOL", "Diagnosis", "diagnose_shape", "diagnose_values", "fit_factor"]

from dataclasses import dataclass

import numpy as np

from gradlab.core import (
    diagnose_axes,
    diagnose_blocks,
    diagnose_factors,
    diagnose_formula,
    diagnose_labels,
    diagnose_loss_branch,
    diagnose_masks,
    diagnose_misread,
    diagnose_routes,
    diagnose_sign,
    diagnose_time,
    diagnose_where,
)
from gradlab.core.diagnose_axes import SAME_RTOL
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
#: an element of the true gradient is "zero" below this fraction of the largest analytic element
ZERO_RTOL = 1e-9
#: a gradient this close to the true one (relative error of the whole array) is missing only a small term
PARTIAL_RTOL = 0.5


@dataclass(frozen=True)
class Diagnosis:
    code: str
    sentence: str
    factor: float | None = None


def _near(value: float, target: float) -> bool:
    return abs(value - target) <= FACTOR_RTOL * abs(target)


def diagnose_shape(name: str, a: np.ndarray, n: np.ndarray, N: int, *,
                   upstream: np.ndarray | None = None, evidence: Evidence | None = None) -> Diagnosis:
    """The analytic gradient `a` does not have the true gradient `n`'s shape (`gradlab.core.diagnose_axes`)."""
    found = diagnose_axes.wrong_shape(name, a, n, N, upstream=upstream, evidence=evidence)
    return Diagnosis(found.code, found.sentence)


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


def _batch_factor(name: str, c: float, N: int, evidence: Evidence | None) -> Diagnosis:
    """One factor explains the gradient: which one, asked of the layer where N or N*D could be a coincidence."""
    return _not_the_batch_size(name, c, N, evidence) or _mean_over_elements(name, c, N, evidence) or \
        _factor(name, c, N)


def _mean_over_elements(name: str, c: float, N: int, evidence: Evidence | None) -> Diagnosis | None:
    """A loss that averages over all N*D elements (np.mean of a squared error) and whose dx is N*D times too
    large or small: the mean's 1/(N*D) left out or taken twice, a batch mean's bug, not another constant, when
    the factor doubles or halves with the batch (a constant that happens to equal N*D stays). None otherwise."""
    if evidence is None or evidence.target != "x" or evidence.y0.size != 1:
        return None
    size = int(evidence.x.size)
    if size < 2 or size == N or not (_near(c, float(size)) or _near(c, 1.0 / size)):
        return None
    doubled = evidence.factor_on_a_doubled_batch()
    if doubled is None or not _near(doubled, c * 2.0 if c > 1.0 else c / 2.0):
        return None
    if c > 1.0:
        return Diagnosis("missing-batch-mean", f"{name} is N*D={size} times too large, the loss's element count: "
                         "the 1/(N*D) of its mean over every element is missing", c)
    return Diagnosis("extra-batch-mean", f"{name} is N*D={size} times too small, the loss's element count: it "
                     "was divided by the number of elements once too often", c)


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
    # gradient through outputs the forward held flat is a mask left out (asked of the layer, `diagnose_masks.
    # flows_where_flat`), before the slopes an element-wise layer gives (a ReLU6 without its cap gives slope 1 where
    # 0 belongs: misplaced slopes, yet a mask is what is missing)
    found = diagnose_labels.label_term_in_every_row(name, a, n, evidence) or \
        diagnose_formula.asked_of_the_layer(name, a, n, N, evidence) or \
        diagnose_routes.slopes_moved(name, a, n, upstream, evidence)
    if found is not None:
        return Diagnosis(found.code, found.sentence)
    if jacobians is None and evidence is not None:
        jacobians = evidence.jacobians
    # before the factor fit: with a single live element, a missing term also looks like a factor
    if jacobians is not None and _terms_dropped(*jacobians):
        return _dropped_or_routed(name, evidence)
    c, residual = fit_factor(a, n)
    if _explains(a, n, c, residual):
        found = diagnose_masks.masked_elsewhere(name, evidence, here=f"is {_times(c)} times the true gradient here")
        if found is not None:
            return Diagnosis(found.code, found.sentence, c)
        return _batch_factor(name, c, N, evidence)
    # one branch of an element-wise derivative off by a constant: before dout itself (a leaky ReLU without alpha)
    found = diagnose_formula.scaled_on_a_branch(name, evidence) if diagnose_formula.diagonal(jacobians) else None
    if found is not None:
        return Diagnosis(found.code, found.sentence)
    # gradient where none belongs: a mask left out, or the right values sent to the wrong elements; before them, the
    # true gradient of dout read in another axis order (a max pool's dout flattened in another order than its rows)
    found = diagnose_blocks.upstream_in_another_order(name, n, evidence) or \
        diagnose_masks.routing(name, a, n, upstream, evidence) or \
        diagnose_factors.left_out(name, a, n, upstream, evidence)
    if found is not None:
        return Diagnosis(found.code, found.sentence)
    # one term with the wrong sign: exact negatives where it is alone (before the patterns a partial match fits)
    found = diagnose_sign.flipped_in_part(name, a, n, jacobians, evidence, rtol=rtol) or \
        diagnose_sign.flipped_through_a_block(name, a, n, evidence)
    if found is not None:
        return Diagnosis(found.code, found.sentence)
    found_here = _positions_or_axes(name, a, n, upstream, evidence, jacobians)
    if found_here is not None:
        return found_here
    return _partial_or_mismatch(name, a, n, ok, upstream, evidence, jacobians)


def _dropped_or_routed(name: str, evidence: Evidence | None) -> Diagnosis:
    """Every term of the gradient right or missing: a dropped term, but for a loss whose zeros where gradient is due
    are a moved mask, when more samples show gradient also sent where none is due (a hinge's margins >= 0 counting
    the correct class as well: 1 - count there)."""
    found = diagnose_routes.loss_routed_on_a_larger_batch(name, evidence)
    if found is not None:
        return Diagnosis(found.code, found.sentence)
    return Diagnosis("dropped-term", f"every term of {name} is either right or missing: a path's "
                     "contribution was dropped or overwritten instead of added")


def _partial_or_mismatch(name: str, a: np.ndarray, n: np.ndarray, ok: np.ndarray, upstream: np.ndarray | None,
                         evidence: Evidence | None, jacobians: tuple[np.ndarray, np.ndarray] | None) -> Diagnosis:
    """What is left once no pattern of the whole array fits: a gradient right only in part, an element-wise
    layer's wrong formula (before a dropped term, which it says more precisely), else a plain mismatch. First the
    hypotheses asked of the layer that no pattern above took: a stored array where the case's input or output
    belongs; then, after an element-wise layer's formula, a term of dout times a held array left out (`=` where
    `+=` belongs)."""
    found = diagnose_misread.case_array_misread(name, a, n, evidence) or \
        diagnose_misread.residual_misread(name, a, n, evidence) or \
        diagnose_sign.signs_read_elsewhere(name, a, n, evidence) or \
        (diagnose_loss_branch.branch_formula(name, evidence) if not ok.all() and ok.any() else None)
    if found is not None:
        return Diagnosis(found.code, found.sentence)
    partial = _partial(name, a, n, ok, jacobians)
    if (partial is None or partial.code == "dropped-term") and diagnose_formula.diagonal(jacobians):
        found = diagnose_formula.elementwise_formula(name, a, n, upstream, evidence)
        if found is not None:
            return Diagnosis(found.code, found.sentence)
    # the term itself, where the values only say "in part" (an element-wise layer's product rule said it above)
    found = diagnose_factors.term_left_out(name, a, n, upstream, evidence)
    if found is not None:
        return Diagnosis(found.code, found.sentence)
    if partial is not None:
        return partial
    return Diagnosis("mismatch", f"{name} does not match the true gradient and no simple pattern explains it")


def _positions_or_axes(name: str, a: np.ndarray, n: np.ndarray, upstream: np.ndarray | None,
                       evidence: Evidence | None, jacobians: tuple[np.ndarray, np.ndarray] | None = None
                       ) -> Diagnosis | None:
    """The right values in the wrong positions, or dout (or a product with it) reduced over the wrong axes."""
    found = diagnose_time.time_runs_forwards(name, jacobians, evidence)  # a recurrence's backward loop run forwards
    if found is not None:
        return Diagnosis(found.code, found.sentence)
    if diagnose_axes.transposed_values(a, n):
        return Diagnosis("transposed", f"{name} holds the right values in transposed positions")
    order = diagnose_axes.axes_permuted(a, n)  # the axes of an image swapped where height equals width
    if order is not None:
        return Diagnosis("transposed", f"{name} holds the right values with its axes in another order, the true "
                         f"gradient's .transpose{order}: undo the layout change with the order that inverts the "
                         "forward's")
    if diagnose_axes.permuted_values(a, n):
        moved = diagnose_blocks.moved_values(name, a, n, evidence)
        return Diagnosis(moved.code, moved.sentence)
    axes = diagnose_axes.wrong_reduction_of(a, n, upstream)
    if axes is not None:
        return Diagnosis("wrong-reduction", f"{name} is dout summed over axes {axes}, the wrong axes")
    axes = diagnose_axes.wrong_reduction_spread(a, n, upstream)
    if axes is not None:
        return Diagnosis("wrong-reduction", f"{name} is dout summed over axes {axes}, the wrong axes, then "
                         f"broadcast to {name}'s shape {a.shape} (an in-place store such as grads[i][...] = db "
                         "spreads a wrongly reduced array instead of rejecting its shape)")
    axes = diagnose_axes.true_gradient_summed_further(a, n)
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
        diagnose_routes.rows_gathered(name, jacobians) or diagnose_routes.columns_read_elsewhere(name, jacobians) or \
        (diagnose_routes.loss_routed_on_a_larger_batch(name, evidence) if not np.any(n) else None) or \
        diagnose_blocks.routed_through_a_parameter(name, a, n, evidence)
    if found is not None:
        return Diagnosis(found.code, found.sentence)
    return None
