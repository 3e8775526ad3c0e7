"""Diagnosis of where and at what a gradient was computed: the wrong array, the wrong positions, no mask.

Questions `gradlab.core.diagnose` asks of a wrong gradient before its value patterns, each a hypothesis
tested on the layer itself (`gradlab.core.evidence`), not read off a pattern:
- `wrong-input`: is it the derivative evaluated at the wrong array? Backward handed the layer's own
  output as its input gives the true gradient (a formula in the output y applied to the input x:
  tanh's 1 - x**2, sigmoid's x (1 - x)); or dx is the true gradient at input y (a formula in x applied
  to y); or a parameter's gradient is dout times x or y, summed (batch norm's sum(dout * x));
- `missing-mask`: right (up to one factor) where gradient should flow, and flowing where the forward
  zeroed the output (dropout or ReLU backward without its mask), on this case or a larger batch;
- `misrouted`: gradient at positions that must get none (a max-pool window's other elements, an
  inverted mask), said with where it went;
- `couples-samples` for a normalisation over the wrong axis: at N=1, the sample's output changes
  when another joins the batch (a softmax over the batch axis, whose gradient at N=1 says nothing
  else); for batch norm, sample 0's output does not depend on the others (normalised per sample);
- and two `mismatch`es said for what they are: a parameter's gradient that is another's (returned
  in the wrong order), a dx that is the local derivative without dout.
Non-goal: the value patterns (factors, transposes, reductions, dropped terms: `gradlab.core.diagnose`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gradlab.core.evidence import Evidence

#: a hypothesis explains a gradient when it leaves at most this fraction of the observed error ...
EXPLAINED = 1e-3
#: ... and agrees with what it predicts to this fraction of the gradient's norm
AGREES = 1e-4
#: an element of the true gradient is structurally zero below this fraction of the largest element
ZERO = 1e-9
#: an element "receives gradient" above this fraction of the largest element
RECEIVES = 1e-4
#: a live part that fits one factor to this relative residual is "right up to a factor"
FITS = 1e-3
#: at most this many positions are named in a sentence
SHOWN = 3


@dataclass(frozen=True)
class Found:
    code: str
    sentence: str


def _norm(a: np.ndarray) -> float:
    return float(np.linalg.norm(a.reshape(-1)))


def _agrees(predicted: np.ndarray | None, what: np.ndarray, error: float) -> bool:
    """`predicted` matches `what` to AGREES of its norm and to EXPLAINED of the observed error ||a - n||: a
    hypothesis must account for the error itself, not merely come close to a gradient the error barely moves
    (at inputs near 0, sigmoid(x) and sigmoid(y) agree to 1e-4 and still differ by the whole error)."""
    if predicted is None or predicted.shape != what.shape or not np.all(np.isfinite(predicted)):
        return False
    off = _norm(predicted - what)  # a vanishing `what` is matched by anything that vanishes: no evidence
    return _norm(what) > 0 and off <= AGREES * _norm(what) and off <= EXPLAINED * error


def wrong_input(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """dx is the derivative taken at the input where it belongs at the output, or the reverse."""
    if ev is None or a.shape != n.shape:
        return None
    if ev.target != "x":
        return _parameter_from_wrong_array(name, a, n, ev)
    if not ev.shape_preserving:
        return None
    y = ev.y0
    error = _norm(a - n)
    if _agrees(ev.analytic_with_input(y), n, error):
        return Found("wrong-input", f"{name} is the derivative evaluated at the input x where its formula needs the "
                     "output y: handed its own output y as input, backward returns the true gradient (e.g. tanh' = "
                     "1 - y**2 and sigmoid' = y * (1 - y) with y = forward's output, not x)")
    # a formula in x applied to y: the true gradient at input y, measured where the layer acts element-wise
    if _agrees(ev.elementwise_gradient(ev.x), n, error):
        if _agrees(ev.elementwise_gradient(y), a, error):
            return Found("wrong-input", f"{name} is the derivative evaluated at the output y where it belongs at the "
                         "input x: it equals the true gradient at input y (e.g. sigmoid(out) * (1 - sigmoid(out)) "
                         "where the derivative is sigmoid(x) * (1 - sigmoid(x)) = out * (1 - out))")
    return None


def _parameter_from_wrong_array(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence) -> Found | None:
    """A parameter's gradient built from the input x or the output y where another array belongs."""
    for array, product in ev.upstream_times().items():
        if _agrees(product, a, _norm(a - n)):
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
        if _agrees(g, a, _norm(a - n)):
            theirs = ev.analytic_gradients().get(other)
            if theirs is not None and theirs.shape == g.shape and \
                    _norm(theirs - g) <= 1e-4 * max(_norm(g), 1e-300):  # the other is right itself: not a swap
                return Found("mismatch", f"{name} equals {other}'s true gradient while {other} is right too: {name} "
                             f"is computed with {other}'s formula, a factor short (e.g. dgamma = sum(dout) where "
                             "gamma multiplies x_hat, so dgamma = sum(dout * x_hat))")
            return Found("mismatch", f"{name} holds {other}, the gradient of another parameter: the gradients are "
                         "returned (or stored) in the wrong order; return them in the order of the parameters")
    return None


def without_upstream(name: str, a: np.ndarray, n: np.ndarray, upstream: np.ndarray | None) -> Found | None:
    """dx is the local derivative alone: multiplied by dout it would be right (the chain rule's factor)."""
    if upstream is None or upstream.shape != a.shape or a.shape != n.shape:
        return None
    if not _agrees(a * upstream, n, _norm(a - n)):
        return None
    return Found("mismatch", f"{name} is the local derivative alone: multiplied by dout it is the true gradient. "
                 "The chain rule's factor is missing: dx = dout * (local derivative)")


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
    return Found("missing-mask", f"{name} lets gradient through at {int(extra.sum())} position(s) the forward "
                 f"zeroed (at {_where(extra)}): backward does not apply the forward's mask{factor}. Multiply by the "
                 "mask forward used (stored in the cache), as in dx = dout * mask")


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
    return Found("missing-mask", f"{name} {here}, and backward ignores the forward's mask: on a larger batch "
                 f"{flowing} of the {zeroed} outputs the forward zeroed still got gradient. Multiply by the mask "
                 "forward used (stored in the cache), as in dx = dout * mask")


def fit_factor(a: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Least-squares c with a ≈ c·n over all elements, and the relative residual |a − c·n| / |a|."""
    nn = float(np.vdot(n, n))
    if nn == 0.0:
        return float("nan"), float("inf")
    c = float(np.vdot(a, n)) / nn
    return c, _norm(a - c * n) / max(_norm(a), 1e-300)
