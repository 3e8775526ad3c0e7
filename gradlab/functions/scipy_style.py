"""`check_grad(func, grad, x0, *args)`: scipy.optimize.check_grad's arguments and number, as a drop-in.

By default it returns what scipy returns, computed the same way: the 2-norm of grad(x0) minus
scipy's forward differences (step `epsilon`, the step really taken in float64, `direction="random"`
along one normal vector), so a threshold a notebook already uses keeps its meaning. With
`explain=True` it returns gradlab's verdict instead (`FunctionReport`): central differences with
steps scaled to x0, the element-wise comparison, and the diagnosis of a wrong gradient (its bug code
from `gradlab.core.bugs`). The float alone cannot say whether 1e-5 is good; the report does.
Non-goal: scipy's bounds and workers (check_grad has none either).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.core.tolerances import ATOL, RTOL
from gradlab.functions.gradient import judge, scalar_of
from gradlab.functions.report import FunctionReport

__all__ = ["EPSILON", "check_grad"]

#: scipy's default step: the square root of float64's machine epsilon (~1.49e-8)
EPSILON = float(np.sqrt(np.finfo(float).eps))


def check_grad(func: Callable[..., Any], grad: Callable[..., Any], x0: Any, *args: Any, epsilon: float = EPSILON,
               direction: str = "all", rng: Any = None, seed: Any = None, explain: bool = False,
               rtol: float = RTOL, atol: float = ATOL) -> Any:
    """scipy.optimize.check_grad's float (the 2-norm of grad(x0) - forward differences of func), or
    with `explain=True` gradlab's `FunctionReport` on grad(x0) with its diagnosis (see the module)."""
    if not callable(func) or not callable(grad):
        raise TypeError("check_grad(func, grad, x0, *args): func and grad must be callables")
    if direction not in ("all", "random"):
        raise ValueError(f"{direction} is not a valid string for ``direction`` argument: use 'all' or 'random'")
    x = np.asarray(x0)
    if explain:
        return _explained(func, grad, np.array(x, dtype=np.float64), args, rtol=rtol, atol=atol)
    if direction == "random":
        analytic = np.asanyarray(grad(x, *args))
        if analytic.ndim > 1:
            raise ValueError("'random' can only be used with scalar valued func")
        v = _random_direction(rng, seed, x.shape)
        along = float(np.dot(analytic, v))
        approx = _forward_differences(lambda w: func(x + w * v, *args), np.zeros(1), epsilon)
        return float(np.sqrt(np.sum(np.abs((along - approx) ** 2))))
    analytic = grad(x, *args)
    approx = _forward_differences(lambda xk: func(xk, *args), x, epsilon)
    return float(np.sqrt(np.sum(np.abs((analytic - approx) ** 2))))


def _random_direction(rng: Any, seed: Any, shape: tuple[int, ...]) -> np.ndarray:
    """scipy's random direction: from `rng` (a Generator, or what default_rng takes), or from the
    legacy `seed` (an int seeds a RandomState, as scipy's check_random_state does)."""
    if rng is None and seed is not None:
        gen = seed if isinstance(seed, (np.random.RandomState, np.random.Generator)) else np.random.RandomState(seed)
        return np.asarray(gen.standard_normal(size=shape))
    return np.random.default_rng(rng).standard_normal(size=shape)


def _forward_differences(f: Callable[[np.ndarray], Any], xk: Any, epsilon: float) -> np.ndarray:
    """scipy.optimize.approx_fprime: (f(x + h e_i) - f(x)) / ((x_i + h) - x_i), a zero step replaced
    as scipy replaces it; (n,) for a scalar f, (m, n) for a vector one."""
    x = np.atleast_1d(np.asarray(xk, dtype=float))
    if x.ndim > 1:
        raise ValueError("`x0` must have at most 1 dimension.")
    f0 = np.atleast_1d(f(x))
    sign = (x >= 0).astype(float) * 2 - 1
    h = np.where(((x + epsilon) - x) == 0, _eps_for_forward(x.dtype, f0.dtype) * sign * np.maximum(1.0, np.abs(x)),
                 epsilon)
    J = np.empty((x.size, f0.size))
    for i in range(x.size):
        x1 = np.copy(x)
        x1[i] = x[i] + h[i]
        J[i] = (np.atleast_1d(f(x1)) - f0) / ((x[i] + h[i]) - x[i])
    return J.ravel() if f0.size == 1 else J.T


def _eps_for_forward(x_dtype: np.dtype[Any], f_dtype: np.dtype[Any]) -> float:
    """scipy's relative step for 2-point differences: sqrt of the coarser float type's epsilon."""
    dtypes = [d for d in (x_dtype, f_dtype) if np.issubdtype(d, np.floating)]
    eps = max((float(np.finfo(d).eps) for d in dtypes), default=float(np.finfo(np.float64).eps))
    return float(eps ** 0.5)


def _explained(func: Callable[..., Any], grad: Callable[..., Any], x: np.ndarray, args: tuple[Any, ...], *,
               rtol: float, atol: float) -> FunctionReport:
    name = getattr(grad, "__name__", "grad")
    y0 = scalar_of(func(x.copy(), *args), "func(x0)")
    analytic = grad(x.copy(), *args)
    work = x.copy()
    result = judge("x", analytic, work, lambda: scalar_of(func(work, *args), "func(x0)"), upstream=np.array(1.0),
                   y0=y0, rtol=rtol, atol=atol, shown_as=f"{name}(x0)")
    return FunctionReport(getattr(func, "__name__", "func"), {"x": result}, case=f"x0 {tuple(x.shape)}")
