"""Comparing one analytic gradient with its finite differences, element by element.

`compare` applies the tolerances, takes a five-point look at every disagreeing element (a kink
is skipped, a truncation error forgiven, anything else is a failure), and hands a failure to
`gradlab.core.diagnose` for its bug code. Non-goal: computing the finite differences themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from gradlab.core import numeric
from gradlab.core.diagnose import Diagnosis, diagnose_shape, diagnose_values
from gradlab.core.evidence import Evidence
from gradlab.core.layer_state import LayerState
from gradlab.core.protocol import Layer
from gradlab.core.results import GradientResult
from gradlab.core.tolerances import NOISE_MARGIN, NOISE_MARGIN_FLOAT32

#: at most this many disagreeing elements get a five-point look for kinks
MAX_PROBES = 2000
#: where the forward is flat (a finite difference of exactly 0: an output clipped to a constant by a guard
#: such as np.clip(sigmoid(x), 1e-7, 1 - 1e-7)), a backward written for the unclipped function is off by about
#: the guard's epsilon times dout: up to this fraction of the largest |dout| is the guard's leftover, not a bug
#: (a real slip there, a mask forgotten or a cap left out, puts dout itself where 0 belongs)
GUARD_LEFTOVER = 1e-6


#: above this many steps, their median is taken over an evenly strided sample of about this many
MEDIAN_SAMPLE = 2048


def _typical_step(h: np.ndarray) -> float:
    """The median step (a sample's, for large arrays: an exact median of 12k steps cost a tenth of a
    fast check, and the noise floor is an order-of-magnitude bound, not an exact figure)."""
    if not h.size:
        return numeric.STEP
    flat = h.reshape(-1)
    return float(np.median(flat[::-(-flat.size // MEDIAN_SAMPLE)]))


def noise_floor(y0: np.ndarray, G: np.ndarray, h: np.ndarray, eps: float = float(np.finfo(np.float64).eps)) -> float:
    """What rounding alone can make a finite difference wrong by: eps * sum|G*y| / h, with margin.

    Without it a gradient that is truly ~0 everywhere (batch norm on two samples) would be judged
    against pure rounding noise. For a layer computing in float32 (eps above float64's) every output
    is rounded independently, so the errors add in quadrature: eps * ||G*y||_2 / h, with
    NOISE_MARGIN_FLOAT32; the worst-case sum would swamp a 1% error in a small layer.
    """
    step = _typical_step(h)
    if eps > float(np.finfo(np.float64).eps):
        return NOISE_MARGIN_FLOAT32 * eps * float(np.sqrt(np.sum((G * y0) ** 2))) / step
    return NOISE_MARGIN * eps * float(np.sum(np.abs(G * y0))) / step


def compare(name: str, analytic: np.ndarray | None, numeric_grad: np.ndarray, *, steps: np.ndarray,
            upstream: np.ndarray, evaluate_at: Callable[[int, float], np.ndarray], batch_size: int, rtol: float,
            atol: float, noise: float = 0.0,
            jacobians: Callable[[], Evidence | None] | None = None,
            show: Callable[[np.ndarray], np.ndarray] | None = None,
            show_upstream: Callable[[np.ndarray], np.ndarray] | None = None) -> GradientResult:
    """The verdict on one gradient: `analytic` (from backward) against `numeric_grad` (finite
    differences with `steps`, for `upstream` G), element by element; a failure carries its diagnosis
    (`batch_size` tells a missing 1/N from another factor).

    `show` and `show_upstream` map an array of the gradient's (the upstream gradient's) orientation to
    the user's (`gradlab.core.protocol.user_view`): the diagnosis, shapes, worst index and arrays of
    the result are in the user's orientation; the comparison itself does not depend on it.
    """
    a, n, h, G, N = analytic, numeric_grad, steps, upstream, batch_size
    view, view_up = show or _same, show_upstream or _same
    scale = float(np.abs(n).max(initial=0.0))
    atol_abs = max(atol * scale if scale > 0 else atol, noise)
    base: dict[str, Any] = dict(name=name, shape=view(n).shape, rtol=rtol, atol=atol_abs, numeric=view(n))
    if a is None:
        return _none_given(name, scale, base)
    if not np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float64) if np.issubdtype(a.dtype, np.number) else a
    if a.shape != n.shape:
        return _wrong_shape(name, a, n, G, N, base, jacobians, view, view_up)
    a = a.astype(np.float64)
    err = np.abs(a - n)
    allowed = atol_abs + rtol * np.abs(n)
    ok = err <= allowed
    ok &= np.isfinite(a)
    guarded = _guard_leftovers(a, n, ok, G)
    ok |= guarded
    refined = n.copy()  # with the five-point values where the closer look took them
    skipped = _look_closer(a, err, allowed, ok, steps=h, upstream=G, evaluate_at=evaluate_at, refined=refined)
    considered = ~skipped
    rel = np.where(considered & ~guarded,
                   np.abs(a - refined) / np.maximum(np.abs(a) + np.abs(refined), max(atol_abs, 1e-300)), 0.0)
    rel = np.where(np.isfinite(rel), rel, np.inf)
    passed = bool(np.all(ok | skipped))
    code = sentence = None
    whole = norms(np.where(skipped | guarded, refined, a), refined)
    if passed and max(float(np.abs(a).max(initial=0.0)), float(np.abs(refined).max(initial=0.0))) <= atol_abs:
        # a true gradient of zero (a bias before batch norm): both sides are rounding noise, which agree
        whole = (0.0, whole[1], whole[2])
    # from here on, everything is said in the user's orientation
    user_a, user_n, user_rel = view(a), view(n), view(rel)
    worst = np.unravel_index(int(np.argmax(user_rel)), user_n.shape) if n.size else None
    if not passed:
        d = _diagnosed(name, view(np.where(skipped, n, a)), n, user_n, view(ok | skipped), G, N, rtol=rtol,
                       jacobians=jacobians, view=view, view_up=view_up)
        code, sentence = d.code, d.sentence
    return GradientResult(
        analytic_shape=user_a.shape, passed=passed, max_rel_error=float(rel.max(initial=0.0)),
        rel_error=pooled_error([whole]), error_norms=whole,
        worst_index=tuple(int(i) for i in worst) if worst is not None else None,
        analytic_value=float(user_a[worst]) if worst is not None else None,
        numeric_value=float(user_n[worst]) if worst is not None else None,
        checked=int(considered.sum()), skipped_kinks=int(skipped.sum()), bug_code=code, diagnosis=sentence or "",
        analytic=user_a, **base)


def norms(a: np.ndarray, n: np.ndarray) -> tuple[float, float, float]:
    """(||a - n||_2, ||a||_2, ||n||_2) over the whole arrays: what `norm_error` needs, kept per case so that
    errors over many cases pool (`pooled_error`)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return (float(np.linalg.norm((a - n).reshape(-1))), float(np.linalg.norm(a.reshape(-1))),
                float(np.linalg.norm(n.reshape(-1))))


def norm_error(a: np.ndarray, n: np.ndarray) -> float:
    """||a - n||_2 / max(||a||_2 + ||n||_2, tiny) over the whole array: 0 for equal arrays, 1 for opposite
    ones; the `difference` of deeplearning.ai's gradient checking, so the numbers students know compare
    (CS231n's `rel_error` is the worst element's, `GradientResult.max_rel_error`)."""
    return pooled_error([norms(a, n)])


def pooled_error(parts: list[tuple[float, float, float]]) -> float:
    """`norm_error` of all the cases' arrays taken as one: a case whose true gradient is ~1e-9 (a saturated
    tanh), where finite differences resolve only ~1e-13, weighs by its size, not as much as any other."""
    diff = float(np.sqrt(sum(d * d for d, _, _ in parts)))
    size = float(np.sqrt(sum(a * a for _, a, _ in parts))) + float(np.sqrt(sum(n * n for _, _, n in parts)))
    if not (np.isfinite(diff) and np.isfinite(size)):
        return float("inf")
    return diff / max(size, 1e-300)


def _wrong_shape(name: str, a: np.ndarray, n: np.ndarray, G: np.ndarray, N: int, base: dict[str, Any],
                 jacobians: Callable[[], Evidence | None] | None, view: Callable[[np.ndarray], np.ndarray],
                 view_up: Callable[[np.ndarray], np.ndarray]) -> GradientResult:
    """A gradient of another shape than its input's or parameter's: failed, with what the shape says."""
    user_a = view(a)
    evidence = _asked(jacobians, G, n, view, view_up)
    try:
        d = diagnose_shape(name, np.asarray(user_a, dtype=np.float64), view(n), N, upstream=view_up(G),
                           evidence=evidence)
    finally:
        _leave(evidence)
    return GradientResult(analytic_shape=user_a.shape, passed=False, max_rel_error=1.0, bug_code=d.code,
                          diagnosis=d.sentence, analytic=user_a, **base)


def _none_given(name: str, scale: float, base: dict[str, Any]) -> GradientResult:
    """No gradient at all: right only where the true one is zero. dx is what backward returns, so None there
    is a return value that is not an array (a missing return statement: `crashed`, as DESIGN.md has it); a
    parameter's gradient that is None was never written (`zero-gradient`)."""
    if scale == 0.0:
        return GradientResult(analytic_shape=None, passed=True, max_rel_error=0.0, rel_error=0.0, **base)
    if name == "dx":
        return GradientResult(analytic_shape=None, passed=False, max_rel_error=1.0, bug_code="crashed",
                              diagnosis="backward returned None, not the array dx (is its return statement "
                              "missing?)", **base)
    return GradientResult(analytic_shape=None, passed=False, max_rel_error=1.0, bug_code="zero-gradient",
                          diagnosis=f"{name} was never computed (None) but the true gradient is not zero", **base)


def _diagnosed(name: str, user_a: np.ndarray, n: np.ndarray, user_n: np.ndarray, user_ok: np.ndarray, G: np.ndarray,
               N: int, *, rtol: float, jacobians: Callable[[], Evidence | None] | None,
               view: Callable[[np.ndarray], np.ndarray], view_up: Callable[[np.ndarray], np.ndarray]) -> Diagnosis:
    """The bug a failed gradient's values show (`user_a`: the analytic gradient with its skipped kinks' elements
    taken from the numeric one, `n`; `user_ok`: the elements that agree; both in the user's orientation, as
    `user_n`), asked of the layer's evidence, which is left as diagnosis found it."""
    evidence = _asked(jacobians, G, n, view, view_up)
    try:
        return _computed_after_the_update(name, evidence, rtol) or \
            diagnose_values(name, user_a, user_n, user_ok, N, upstream=view_up(G), evidence=evidence, rtol=rtol)
    finally:
        _leave(evidence)


def _asked(evidence: Callable[[], Evidence | None] | None, G: np.ndarray, n: np.ndarray,
           view: Callable[[np.ndarray], np.ndarray], view_up: Callable[[np.ndarray], np.ndarray]) -> Evidence | None:
    """The layer's evidence for diagnosis, told the upstream and true gradients and the user's orientation."""
    found = evidence() if evidence is not None else None
    return None if found is None else found.seen(G, view, view_up, n)


def _computed_after_the_update(name: str, evidence: Evidence | None, rtol: float) -> Diagnosis | None:
    """dx of a layer whose backward updates its parameters before it computes dx from them: right once the update's
    part is taken out (`Evidence.dx_before_its_own_update`). Its values read `couples-samples` ('a sum over the batch
    axis') otherwise, the update being a sum over every sample's dout."""
    if evidence is None or evidence.target != "x" or evidence.n is None:
        return None
    before = evidence.dx_before_its_own_update()
    n = evidence.n
    if before is None or before.shape != n.shape:
        return None
    scale = float(np.abs(n).max(initial=0.0))
    if not np.allclose(before, n, rtol=max(rtol, 1e-6), atol=1e-6 * scale):
        return None
    return Diagnosis("stale-parameters", f"{name} is right once the update backward makes to the parameters is taken "
                     f"out: it was computed from parameters already updated; compute {name} before the update, from "
                     "those forward used")


def _leave(evidence: Evidence | None) -> None:
    """The layer as diagnosis found it, once diagnosis has asked its questions (every one of `Evidence`'s own
    leaves it as the check's backward found it; `gradlab.core.transposed_parameter`'s runs a backward of its own)."""
    if evidence is not None:
        evidence.leave()


def _same(a: np.ndarray) -> np.ndarray:
    return a


def _guard_leftovers(a: np.ndarray, n: np.ndarray, ok: np.ndarray, G: np.ndarray) -> np.ndarray:
    """The disagreeing elements where the forward is flat and the backward's value is a guard's leftover
    (GUARD_LEFTOVER): judged right, and left out of the error shown, as a kink is."""
    limit = GUARD_LEFTOVER * float(np.abs(G).max(initial=0.0))
    return ~ok & (n == 0.0) & (np.abs(a) <= limit)


def _look_closer(a: np.ndarray, err: np.ndarray, allowed: np.ndarray, ok: np.ndarray, *, steps: np.ndarray,
                 upstream: np.ndarray, evaluate_at: Callable[[int, float], np.ndarray],
                 refined: np.ndarray) -> np.ndarray:
    """A five-point look at the disagreeing elements, worst first: a truncation error is forgiven
    (set in `ok`, and the five-point value written into `refined`, so the errors reported are the
    gradient's, not the three-point formula's), a kink skipped (returned mask); the first genuine
    disagreement ends the look."""
    skipped = np.zeros(err.shape, dtype=bool)
    bad = np.flatnonzero(~ok)
    order = bad[np.argsort(-(err.reshape(-1)[bad] / allowed.reshape(-1)[bad]), kind="stable")]
    h_all, a_all = steps.reshape(-1), a.reshape(-1)
    for k in order[:MAX_PROBES]:
        if not np.isfinite(a_all[k]):
            break
        p = numeric.probe(partial(_at, evaluate_at, int(k)), upstream, float(h_all[k]), float(err.reshape(-1)[k]))
        if abs(a_all[k] - p.refined) <= allowed.reshape(-1)[k]:
            ok.reshape(-1)[k] = True
            refined.reshape(-1)[k] = p.refined
        elif p.kink:
            skipped.reshape(-1)[k] = True
        else:
            break
    return skipped


def _at(evaluate_at: Callable[[int, float], np.ndarray], k: int, delta: float) -> np.ndarray:
    return evaluate_at(k, delta)


def jacobians(layer: Layer, target: str, arr: np.ndarray, *, h: np.ndarray, xw: np.ndarray, tw: Any, y0: np.ndarray,
              evaluate_at: Callable[[int, float], np.ndarray], state: LayerState | None = None) -> Evidence:
    """The evidence diagnosis may ask of the layer on failure (its Jacobians, its answers at other
    arrays: `gradlab.core.evidence`); each answer is computed when asked, on the layer as `state` recorded it
    (the check's, taken before its backward: `CheckContext.state`)."""
    return Evidence(layer, target, arr, xw, tw, y0, h, evaluate_at, state=state)
