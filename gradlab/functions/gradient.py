"""The numeric gradient of any function, and the verdict on one analytic gradient against it.

`numeric_gradient(f, x)` is what CS231n's `eval_numerical_gradient` does, done the way gradlab's
checker does it: central differences in float64, a step scaled to each element (never below the
array's scale), divided by the step really taken, `x` restored exactly even when `f` raises, and a
one-line error when `f` does not return a scalar. `judge` compares an analytic gradient with it,
element by element, with the core's tolerances, kink probes and diagnosis (`gradlab.core.compare`).
Non-goal: calling a user's forward/backward conventions (that is `gradlab.functions.pair` and
`gradlab.models`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from gradlab.core import numeric, projection
from gradlab.core.compare import compare, noise_floor
from gradlab.core.precision import precision_of
from gradlab.core.results import GradientResult
from gradlab.core.tolerances import ATOL, RTOL

__all__ = ["MAX_ELEMENTWISE", "judge", "numeric_gradient", "scalar_of"]

#: above this many elements a disagreeing projection is the verdict: an element-wise check would cost
#: two evaluations per element (a model's full-size weight matrix: hundreds of thousands of losses)
MAX_ELEMENTWISE = 20_000


def numeric_gradient(f: Callable[[np.ndarray], Any], x: Any, *, upstream: Any = None) -> np.ndarray:
    """d f(x) / dx by central differences in float64, the shape of `x`.

    `f(x)` returns a scalar; for an array output pass `upstream` (the dout of a backward), and the
    result is the gradient of sum(upstream * f(x)), as CS231n's `eval_numerical_gradient_array(f, x, df)`.
    A float64 array `x` is perturbed in place (so an `f` that ignores its argument and reads `x`,
    `lambda _: net.loss(X, y)[0]`, works) and restored exactly; any other `x` (a list, float32, ints)
    is differentiated through a float64 copy, which `f` receives.
    """
    if not callable(f):
        raise TypeError(f"f={f!r:.60} is not callable; pass the function, "
                        "e.g. numeric_gradient(lambda x: (x**2).sum(), x)")
    arr = x if isinstance(x, np.ndarray) and x.dtype == np.float64 else _float_copy(x, "x")

    def evaluate() -> np.ndarray:
        return np.asarray(f(arr), dtype=np.float64)

    y0 = evaluate()
    G = _upstream_for(y0, upstream, "f(x)")
    return numeric.looped_gradient(evaluate, arr, G, numeric.steps(arr, precision_of(y0).step))


def scalar_of(value: Any, what: str) -> np.ndarray:
    """`value` as a 0-d float64 array, or a ValueError saying what to return instead."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what} returned {type(value).__name__} {value!r:.60}, not a number; "
                         "it must return the scalar loss") from None
    if arr.size != 1:
        raise ValueError(f"{what} returned an array of shape {arr.shape}, not a scalar; return the scalar loss "
                         "(e.g. its sum or mean over the batch)")
    return arr.reshape(())


def _float_copy(x: Any, name: str) -> np.ndarray:
    try:
        arr = np.array(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name}={x!r:.60}: pass an array of numbers") from None
    return arr


def _upstream_for(y0: np.ndarray, upstream: Any, what: str) -> np.ndarray:
    if upstream is None:
        if y0.size != 1:
            raise ValueError(f"{what} returned an array of shape {y0.shape}, not a scalar; pass upstream=dout "
                             "(the gradient of the loss with respect to that output) to differentiate sum(dout * f(x))")
        return np.array(1.0)
    G = np.asarray(upstream, dtype=np.float64)
    if G.shape != y0.shape and G.size != y0.size:
        raise ValueError(f"upstream has shape {G.shape} but {what} has shape {y0.shape}; they must match")
    return G.reshape(y0.shape)


def judge(name: str, analytic: Any, arr: np.ndarray, evaluate: Callable[[], np.ndarray], *, upstream: np.ndarray,
          y0: np.ndarray, batch_size: int = 1, rtol: float = RTOL, atol: float = ATOL,
          shown_as: str | None = None, project_above: int = projection.AUTO_MIN_SIZE) -> GradientResult:
    """The verdict on `analytic` as the gradient of sum(upstream * evaluate()) with respect to `arr`.

    `evaluate()` must read `arr`, which is perturbed in place and restored exactly. `name` keys the
    result (`W1`, `weights[0]`); `shown_as` is how the user's code spells the gradient in sentences
    (`grads['W1']`, `nabla_w[0]`), `name` by default. `batch_size` lets the diagnosis tell a
    missing 1/N from another factor. The step and rtol follow the precision the output is in. Arrays of
    more than `project_above` elements are checked by projection first, element-wise only when it fails.
    """
    precision = precision_of(y0)
    h = numeric.steps(arr, precision.step)
    rtol = max(rtol, precision.rtol)
    shown = shown_as or name
    a = None if analytic is None else _analytic_array(analytic)
    if a is not None and arr.size > project_above and projection.applicable(a, arr):
        # a few random directions first: their cost does not grow with the array (gradlab's fast mode)
        proj = projection.projected_check(evaluate, arr, a, upstream, rng=np.random.default_rng(arr.size), rtol=rtol,
                                          atol=atol, noise=noise_floor(np.asarray(y0, dtype=np.float64), upstream, h,
                                                                       precision.eps), y0=y0, h=h, eps=precision.eps)
        if proj.passed or arr.size > MAX_ELEMENTWISE:
            return _projected(name, shown, arr, a, proj, precision.name, rtol=rtol, atol=atol)
    n = numeric.looped_gradient(evaluate, arr, upstream, h)
    flat = arr.reshape(-1)

    def evaluate_at(k: int, delta: float) -> np.ndarray:
        old = flat[k]
        flat[k] = old + delta
        try:
            return np.array(evaluate(), dtype=np.float64, copy=True)
        finally:
            flat[k] = old

    if a is None and analytic is not None:
        return GradientResult(name=name, shape=arr.shape, analytic_shape=None, passed=False, max_rel_error=1.0,
                              bug_code="crashed", numeric=n, precision=precision.name,
                              diagnosis=f"{shown} is {type(analytic).__name__} {analytic!r:.40}, "
                                        "not an array of numbers")
    result = compare(shown, a, n, steps=h, upstream=upstream, evaluate_at=evaluate_at,
                     batch_size=batch_size, rtol=rtol, atol=atol,
                     noise=noise_floor(np.asarray(y0, dtype=np.float64), upstream, h, precision.eps))
    return replace(result, name=name, precision=precision.name)


def _projected(name: str, shown: str, arr: np.ndarray, a: np.ndarray, proj: projection.ProjectionResult,
               precision: str, *, rtol: float, atol: float) -> GradientResult:
    """The verdict of a projection: passing, or (for an array too large to check element by element)
    failing with how far the directional derivatives disagree, without a finer diagnosis."""
    method = f"projection ({proj.directions} random directions)"
    if proj.passed:
        return GradientResult(name=name, shape=arr.shape, analytic_shape=a.shape, passed=True,
                              max_rel_error=proj.max_rel_error, checked=int(arr.size), rtol=rtol,
                              atol=atol * float(np.abs(a).max(initial=0.0)), analytic=a, method=method,
                              precision=precision)
    return GradientResult(name=name, shape=arr.shape, analytic_shape=a.shape, passed=False,
                          max_rel_error=proj.max_rel_error, checked=int(arr.size), rtol=rtol, atol=atol, analytic=a,
                          method=method, precision=precision, bug_code="mismatch",
                          diagnosis=f"{shown} disagrees with the derivative of the loss along random directions "
                                    f"(relative error {proj.max_rel_error:.2g}); with {arr.size} elements it is not "
                                    "checked element by element: check the model at smaller sizes to see which")


def _analytic_array(value: Any) -> np.ndarray | None:
    """What a backward returned for one gradient, as a float64 array (a scalar or a list is one too);
    None when it is no array of numbers."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
