"""Diagnosis of where and at what a gradient was computed: the wrong array, the wrong axes, the wrong order.

Questions `gradlab.core.diagnose` asks of a wrong gradient before its value patterns, each a hypothesis
tested on the layer itself (`gradlab.core.evidence`), not read off a pattern:
- `wrong-input`: is it the derivative evaluated at the wrong array? Backward handed the layer's own
  output as its input gives the true gradient (a formula in the output y applied to the input x:
  tanh's 1 - x**2, sigmoid's x (1 - x)); or dx is the true gradient at input y (a formula in x applied
  to y); or a parameter's gradient is dout times x or y, summed (batch norm's sum(dout * x));
- `couples-samples` for a normalisation over the wrong axis: at N=1, the sample's output changes
  when another joins the batch (a softmax over the batch axis, whose gradient at N=1 says nothing
  else); for batch norm, sample 0's output does not depend on the others (normalised per sample);
- `mismatch`es said for what they are (a parameter's gradient that is another's, returned in the wrong
  order; dx that is dout itself), and a dx that is the local derivative without dout: `dropped-term`.
More of the same kind, asked of the layer's formula as a whole, are in `gradlab.core.diagnose_formula`.
Gradient at positions that must get none (`missing-mask`, `misrouted`) is `gradlab.core.diagnose_masks`'s.
Non-goal: the value patterns (factors, transposes, reductions, dropped terms: `gradlab.core.diagnose`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from gradlab.core.diagnose_names import input_and_output_names
from gradlab.core.evidence import Evidence
from gradlab.core.transposed_parameter import with_each_square_parameter_transposed

#: a hypothesis explains a gradient when it leaves at most this fraction of the observed error ...
EXPLAINED = 1e-3
#: ... and agrees with what it predicts to this fraction of the gradient's norm
AGREES = 1e-4
#: an element of the true gradient is structurally zero below this fraction of the largest element
ZERO = 1e-9
#: a live part that fits one factor to this relative residual is "right up to a factor"
FITS = 1e-3
#: products with more axes than this are not searched for the axes they were summed over (2**ndim sums)
MAX_PRODUCT_AXES = 6


@dataclass(frozen=True)
class Found:
    code: str
    sentence: str


def norm(a: np.ndarray) -> float:
    return float(np.linalg.norm(a.reshape(-1)))


def agrees(predicted: np.ndarray | None, what: np.ndarray, error: float) -> bool:
    """`predicted` matches `what` to AGREES of its norm and to EXPLAINED of the observed error ||a - n||: a
    hypothesis must account for the error itself, not merely come close to a gradient the error barely moves
    (at inputs near 0, sigmoid(x) and sigmoid(y) agree to 1e-4 and still differ by the whole error)."""
    if predicted is None or predicted.shape != what.shape or not np.all(np.isfinite(predicted)):
        return False
    off = norm(predicted - what)  # a vanishing `what` is matched by anything that vanishes: no evidence
    return norm(what) > 0 and off <= AGREES * norm(what) and off <= EXPLAINED * error


def wrong_input(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """dx is the derivative taken at the input where it belongs at the output, or the reverse; or a gradient
    computed with a parameter where its transpose belongs (`parameter_untransposed`)."""
    if ev is None or a.shape != n.shape:
        return None
    found = parameter_untransposed(name, a, n, ev)
    if found is not None:
        return found
    if ev.target != "x":
        return _parameter_from_wrong_array(name, a, n, ev)
    if not ev.shape_preserving:
        return None
    y = ev.y0
    error = norm(a - n)
    x_is, y_is = input_and_output_names(ev)
    if agrees(ev.analytic_with_input(y), n, error):
        return Found("wrong-input", f"{name} is the derivative evaluated at the input {x_is} where its formula needs "
                     f"the output {y_is}: handed its own output as input, backward returns the true gradient (e.g. "
                     f"the derivatives of tanh, 1 - {y_is}**2, and sigmoid, {y_is} * (1 - {y_is}), read the output)")
    # a formula in x applied to y: the true gradient at input y, measured where the layer acts element-wise
    if agrees(ev.elementwise_gradient(ev.x), n, error):
        if agrees(ev.elementwise_gradient(y), a, error):
            return Found("wrong-input", f"{name} is the derivative evaluated at the output {y_is} where it belongs at "
                         f"the input {x_is}: it equals the true gradient at input {y_is} (e.g. sigmoid({y_is}) * (1 - "
                         f"sigmoid({y_is})) where the derivative is sigmoid({x_is}) * (1 - sigmoid({x_is})) = {y_is} * "
                         f"(1 - {y_is}))")
    return None


def parameter_untransposed(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """`name` is computed with a square parameter where its transpose belongs (dx = dout @ W where dout @ W.T
    belongs): with that parameter's values transposed after the forward, backward returns the true gradient."""
    if ev is None or a.shape != n.shape:
        return None
    error = norm(a - n)
    for p, g in with_each_square_parameter_transposed(ev).items():
        if agrees(g, n, error):
            return Found("transposed", f"{name} uses {p} where {p}.T belongs: with {p}'s values transposed after the "
                         f"forward, backward returns the true {name} (in {name} = dout @ {p} where dout @ {p}.T "
                         f"belongs, or in a gradient that {name} is computed from)")
    return None


def _parameter_from_wrong_array(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence) -> Found | None:
    """A parameter's gradient built from the input x or the output y where another array belongs."""
    for array, product in ev.upstream_times().items():
        if agrees(product, a, norm(a - n)):
            return Found("wrong-input", f"{name} is dout * {array} summed over the batch: its formula reads the "
                         f"{'input x' if array == 'x' else 'output'} where another array belongs (e.g. dgamma = "
                         "sum(dout * x_hat) with x_hat the normalised input, not x)")
    return None


def wrong_axis(name: str, N: int, ev: Evidence | None) -> Found | None:
    """A normalisation over the wrong axis, which the values alone do not show: at N=1 a layer that
    should treat samples on their own, asked with a second sample, mixes them; a layer that should
    normalise over the batch (batch norm) leaves sample 0's output unchanged by the others."""
    if ev is None or ev.target != "x":
        return None
    batch, features = (1, 0) if ev.batch_axis == 1 else (0, 1)
    if ev.mixes_samples and N >= 2 and ev.output_depends_on_another_sample() is False:
        return Found("couples-samples", f"{name} is wrong because the layer normalises over the wrong axis: sample "
                     "0's output does not depend on the other samples, so each sample is normalised over its own "
                     f"features (axis={features}) where the statistics belong to each feature over the batch "
                     f"(axis={batch})")
    if ev.mixes_samples is False and ev.t is None and ev.gradient_depends_on_another_upstream():
        own = f"axis={features}" if ev.x.ndim == 2 else "its own axes"
        return Found("couples-samples", f"{name} mixes samples in backward: sample 0's {name} changes when only the "
                     "other samples' dout changes, though each sample's output depends on its own input alone (a "
                     f"mean or sum over the batch axis {batch} where each sample's own features belong: {own})")
    if N != 1 or ev.mixes_samples:
        return None
    if not (ev.loss_couples_samples() if ev.t is not None else ev.output_depends_on_another_sample()):
        return None
    what = "gradient changes (beyond the mean's 1/N)" if ev.t is not None else "output changes"
    return Found("couples-samples", f"{name} is wrong here because the layer mixes samples: sample 0's {what} "
                 f"when a second sample joins the batch (a softmax or normalisation over the batch axis {batch}, "
                 f"where each sample's own features belong: axis={features})")


def stored_in_the_wrong_place(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """A parameter's gradient that is another parameter's true gradient: returned or stored in the wrong order."""
    if ev is None or ev.target == "x":
        return None
    for other, g in ev.other_true_gradients().items():
        if agrees(g, a, norm(a - n)):
            theirs = ev.analytic_gradients().get(other)
            if theirs is not None and theirs.shape == g.shape and \
                    norm(theirs - g) <= 1e-4 * max(norm(g), 1e-300):  # the other is right itself: not a swap
                return Found("mismatch", f"{name} equals {other}'s true gradient while {other} is right too: {name} "
                             f"is computed with {other}'s formula, a factor short (e.g. dgamma = sum(dout) where "
                             "gamma multiplies x_hat, so dgamma = sum(dout * x_hat))")
            return Found("mismatch", f"{name} holds {other}, the gradient of another parameter: the gradients are "
                         "returned (or stored) in the wrong order; return them in the order of the parameters")
    return None


def _same_values(r: np.ndarray, target: np.ndarray) -> bool:
    if r.size != target.size:
        return False
    scale = max(float(np.abs(target).max(initial=0.0)), float(np.abs(r).max(initial=0.0)))
    return scale > 0 and bool(np.all(np.abs(r.reshape(target.shape) - target) <= AGREES * scale))


def _broadcast_into(G: np.ndarray, A: np.ndarray) -> Iterator[np.ndarray]:
    """G times A, for each way G's axes sit among A's in order (the others broadcast), as `dc[:, None, :] * hs`."""
    if G.ndim > A.ndim or A.ndim > MAX_PRODUCT_AXES:
        return
    for where in combinations(range(A.ndim), G.ndim):
        if all(A.shape[w] == g for w, g in zip(where, G.shape)):
            shape = [1] * A.ndim
            for w, g in zip(where, G.shape):
                shape[w] = g
            yield G.reshape(shape) * A


def product_summed_elsewhere(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """`a` is dout times one of the layer's arrays summed over some axes, and the true gradient is the same
    product summed over other axes: a sum over the wrong axis (an attention's da summed over T, not H)."""
    if ev is None or ev.G is None:
        return None
    G = np.asarray(ev.G, dtype=np.float64)
    arrays = [("x (the first input)", ev.x), ("the output", ev.y0)]
    arrays += [(k, v) for k, v in ev.layer.params.items() if k != ev.target]
    for label, A in arrays:
        if not isinstance(A, np.ndarray) or not np.issubdtype(A.dtype, np.number) or A.ndim < 2:
            continue
        for P in _broadcast_into(G, A.astype(np.float64)):
            # a sum over axes of length 1 reduces nothing: an unsummed product is not summed over the wrong axis
            sums = [axes for k in range(1, P.ndim) for axes in combinations(range(P.ndim), k)
                    if any(P.shape[i] > 1 for i in axes)]
            gives_a = [axes for axes in sums if _same_values(P.sum(axis=axes), a)]
            gives_n = [axes for axes in sums if _same_values(P.sum(axis=axes), n)]
            if gives_a and gives_n and not set(gives_a) & set(gives_n):
                return Found("wrong-reduction", f"{name} is dout * {label} (a product of shape {P.shape}) summed "
                             f"over axes {gives_a[0]} where the true {name} sums it over axes {gives_n[0]}: sum "
                             "over the axis the forward pass combined, and keep the one it kept")
    return None


def _axis_sets(ndim: int) -> list[tuple[int, ...]]:
    return [axes for k in range(1, ndim + 1) for axes in combinations(range(ndim), k)]


def _fits_per_group(ds: list[np.ndarray], us: list[np.ndarray], axes: tuple[int, ...]) -> bool:
    """Each d is K * u, with one K shared by every d and constant along `axes` (a coefficient per feature)."""
    num = sum(np.sum(d * u, axis=axes, keepdims=True) for d, u in zip(ds, us))
    den = sum(np.sum(u * u, axis=axes, keepdims=True) for u in us)
    if not np.all(np.isfinite(num)) or not np.any(den):
        return False
    K = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    left = sum(norm(d - K * u) for d, u in zip(ds, us))
    return bool(np.any(K)) and left <= FITS * sum(norm(d) for d in ds)


def upstream_summed_elsewhere(name: str, ev: Evidence | None) -> Found | None:
    """A term of dx that sums dout over the wrong axes where its shape hides it (np.sum(dout) where
    np.sum(dout, axis=0) belongs in batch norm's closed form): the error is, for any upstream gradient,
    a coefficient per feature times (dout summed over the wrong axes - dout summed over the right ones).
    A dropped term (the error is the right sum alone, times a coefficient) is told apart by asking two
    upstream gradients: the Jacobians give the error for each."""
    if ev is None or ev.G is None or not ev.shape_preserving:
        return None
    jac = ev.jacobians
    G1 = np.asarray(ev.G, dtype=np.float64)
    if jac is None or G1.shape != ev.x.shape or G1.ndim > MAX_PRODUCT_AXES // 2:
        return None
    D = jac[0] - jac[1]
    Gs = [G1, np.random.default_rng(5).standard_normal(G1.shape)]
    ds = [(G.reshape(-1) @ D).reshape(G1.shape) for G in Gs]
    if not norm(ds[0]):
        return None
    # a sum over axes of length 1 (the batch at N=1) sums nothing: there, dout minus its sum over the other axes
    # fits any antisymmetric error dout @ (W - W.T) with a coefficient per feature, a reduction it is not
    sets = [axes for axes in _axis_sets(G1.ndim) if any(G1.shape[i] > 1 for i in axes)]
    for right in sets:
        dropped = [-np.broadcast_to(G.sum(axis=right, keepdims=True), G.shape) for G in Gs]
        if _fits_per_group(ds, dropped, right):
            return None  # the right sum alone explains it: a dropped term, not a wrong reduction
        for wrong in sets:
            if wrong == right:
                continue
            us = [G.sum(axis=wrong, keepdims=True) - G.sum(axis=right, keepdims=True) for G in Gs]
            us = [np.broadcast_to(u, G1.shape) for u in us]
            if _fits_per_group(ds, us, right):
                seen = (lambda axes: tuple(sorted(1 - k for k in axes))) if ev.batch_axis == 1 and G1.ndim == 2 \
                    else (lambda axes: axes)
                what = "all axes" if len(wrong) == G1.ndim else f"axes {seen(wrong)}"
                return Found("wrong-reduction", f"{name} sums dout over {what} in a term where the sum over axes "
                             f"{seen(right)} belongs (e.g. np.sum(dout) where np.sum(dout, axis={seen(right)[0]}) "
                             "belongs): the rest of the formula is right")
    return None


def error_along_output(name: str, ev: Evidence | None) -> Found | None:
    """For any upstream gradient, dx's error is, sample by sample, a multiple of the layer's output y: the
    term -y * sum(y * dout) is missing (a softmax backward that keeps only its Jacobian's diagonal y * dout).
    Asked with two upstream gradients, through the Jacobians; a sample needs two or more features (with one,
    anything is a multiple of y)."""
    if ev is None or ev.G is None or not ev.shape_preserving or ev.y0.ndim < 2 or ev.batch_axis != 0:
        return None
    jac = ev.jacobians
    if jac is None:
        return None
    G1 = np.asarray(ev.G, dtype=np.float64)
    N = ev.y0.shape[0]
    y = ev.y0.reshape(N, -1).astype(np.float64)
    if y.shape[1] < 2 or not np.all(np.any(y != 0, axis=1)):
        return None
    D = jac[0] - jac[1]
    factors = []
    for G in (G1, np.random.default_rng(3).standard_normal(G1.shape)):
        d = (G.reshape(-1) @ D).reshape(N, -1)
        if not norm(d):
            return None
        alpha = np.sum(d * y, axis=1, keepdims=True) / np.sum(y * y, axis=1, keepdims=True)
        if norm(d - alpha * y) > FITS * norm(d):
            return None
        factors.append(_factor_of_the_term(alpha.reshape(-1), np.sum(y * G.reshape(N, -1), axis=1)))
    c = factors[0]
    if c is not None and all(f is not None and abs(f - c) <= 0.02 * max(abs(c), 1.0) for f in factors):
        if abs(c + 1.0) <= 0.02:
            return Found("sign-flip", f"{name}'s error is, in every sample, -2 times y * sum(y * dout): the term "
                         "-y * sum(y * dout) of softmax's Jacobian diag(y) - y y^T is written with its sign flipped")
        if abs(c) > 0.02:
            return Found("scaled", f"{name}'s error is, in every sample, a multiple of y * sum(y * dout): the term "
                         f"-y * sum(y * dout) of softmax's Jacobian diag(y) - y y^T is {c:.4g} times what it should "
                         "be, the diagonal part y * dout right (a constant left in or out of that term)")
    return Found("dropped-term", f"{name}'s error is, in every sample, a multiple of the output y: a term along "
                 "y is missing, such as -y * sum(y * dout) over each sample's features (softmax's Jacobian is "
                 "diag(y) - y y^T; y * dout alone keeps only its diagonal)")


def _factor_of_the_term(alpha: np.ndarray, s: np.ndarray) -> float | None:
    """c when the error's multiple of y in each sample, alpha, is (1 - c) * sum(y * dout) = (1 - c) * s: backward
    wrote the term -y * s times c (0: dropped, -1: its sign flipped); None when alpha is no one multiple of s."""
    size = float(np.vdot(s, s))
    if size <= 0.0:
        return None
    k = float(np.vdot(alpha, s)) / size
    if norm(alpha - k * s) > FITS * max(norm(alpha), 1e-300):
        return None
    return 1.0 - k


def without_upstream(name: str, a: np.ndarray, n: np.ndarray, upstream: np.ndarray | None) -> Found | None:
    """dx is the local derivative alone: multiplied by dout it would be right (the chain rule's factor)."""
    if upstream is None or upstream.shape != a.shape or a.shape != n.shape:
        return None
    if norm(a - upstream) <= AGREES * norm(upstream):
        return Found("mismatch", f"{name} is dout itself: backward passes the upstream gradient through without "
                     "the layer's own derivative (right only where the next layer's backward already includes it, "
                     "as a softmax fused with its cross-entropy loss does): multiply by the local derivative")
    if not agrees(a * upstream, n, norm(a - n)):
        return None
    return Found("dropped-term", f"{name} is the local derivative alone: multiplied by dout it is the true gradient. "
                 "The chain rule's factor is missing: dx = dout * (local derivative)")


def fit_factor(a: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Least-squares c with a ≈ c·n over all elements, and the relative residual |a − c·n| / |a|."""
    nn = float(np.vdot(n, n))
    if nn == 0.0:
        return float("nan"), float("inf")
    c = float(np.vdot(a, n)) / nn
    return c, norm(a - c * n) / max(norm(a), 1e-300)
