"""The complex-step derivative: dL/dθ_k = Im L(θ + i·t·e_k) / t, one forward call per element.

No subtraction takes place, so the step `t` can be tiny (1e-30 of the element's scale) and there
is no trade-off between truncation and rounding: a layer computed in complex arithmetic gives its
derivative to rounding (Squire & Trapp 1998; Martins, Sturdza & Alonso 2003). It takes half the
calls of central differences, but each call computes in complex arithmetic, which costs more: a
float64-by-complex matrix product three times a real one with OpenBLAS here (twenty times when
its threads compete with a busy machine), a complex exp or log about three times. So the checker
(`gradlab.core.values`) tries it only where no cheaper exact way applies (stacking, output
separation), for arrays large enough to repay its checks, and keeps it only where one complex call
costs less than `MAX_COST` real ones, as timed during its first check on that layer (remembered).
Which way an array was differentiated is said in its result's `method`.

It cannot be taken on trust. A layer may raise for complex input (`np.logaddexp`), warn and drop
the imaginary part (`astype(np.float64)`: `ComplexWarning`), or drop it silently (`abs`, `np.var`
of a complex array is real: batch norm comes out 75% off). So the complex-step gradient is used
only when (1) no call raised or warned and every output was complex, (2) the complex-step
derivative along one random direction matches central differences along it, before the elements
are computed, and (3) the finished gradient's projections on two more random directions match
central differences too (`gradlab.core.projection`, with no tolerance beyond the measured rounding
and truncation). A layer that fails any of these gets central differences for that array, and the
layer (its class, or its functions) is remembered for the rest of the run: it is not tried again.

Parameters are gradlab's live float64 arrays; a complex copy is put in their place for the
evaluations (through the protocol's optional `install_param` hook, or else in `params`, which a
native layer reads at every call) and gradlab's own arrays are put back afterwards.
Non-goal: deciding pass or fail (that is `gradlab.core.compare`).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from gradlab.core import numeric, projection
from gradlab.core.protocol import Layer
from gradlab.core.tolerances import NOISE_MARGIN

try:
    from numpy.exceptions import ComplexWarning
except ImportError:  # numpy < 1.25
    from numpy import ComplexWarning  # type: ignore[attr-defined,no-redef]

__all__ = ["MIN_SIZE", "forget", "gradient", "layer_key", "untrusted"]

#: the imaginary step, relative to the element's scale (the central-difference step's floor)
RELATIVE_STEP = 1e-30
#: arrays smaller than this get central differences: the checks cost 16 calls, and a small array's
#: element loop is already cheap
MIN_SIZE = 64
#: the complex step is kept where one complex forward call costs less than this many real ones (central
#: differences pay two real calls per element; the complex step one complex call and its checks)
MAX_COST = 1.5
#: random directions the complex-step derivative must match central differences along: one before
#: the elements are computed (a cheap refusal), then the finished gradient along these many more
DIRECTIONS_AFTER = 2
#: the central-difference truncation measured along a direction is forgiven this many times over
TRUNCATION_MARGIN = 4.0

#: (layer, target) -> why the complex step is not trusted there, for the rest of the run
_UNTRUSTED: dict[tuple[Hashable, str], str] = {}
#: (layer, target) -> what one complex call cost in real calls, where that was too much to gain
_COSTLY: dict[tuple[Hashable, str], float] = {}


class _Untrusted(Exception):
    """The layer does not carry the imaginary part faithfully."""


def layer_key(layer: Layer) -> Hashable:
    """What the complex step's verdict is remembered by: the user's class (for a class-style layer
    seen through an adapter), its functions (function style), or the layer's own class."""
    obj = getattr(layer, "obj", None)
    if obj is not None:
        return (type(layer), type(obj))
    functions = tuple(getattr(layer, name, None) for name in ("fwd", "bwd", "fn"))
    if any(f is not None for f in functions):
        return (type(layer), *(f for f in functions if f is not None))
    return type(layer)


def untrusted(layer: Layer, target: str) -> str | None:
    """Why the complex step is not used for `target` of this layer (None: it may be tried)."""
    key = (layer_key(layer), target)
    if key in _COSTLY:
        return f"one complex forward call costs {_COSTLY[key]:.1f} real ones"
    return _UNTRUSTED.get(key)


def forget() -> None:
    """Forget every layer the complex step failed or did not pay for (a new run)."""
    _UNTRUSTED.clear()
    _COSTLY.clear()


def _complex_evaluator(layer: Layer, target: str, arr: np.ndarray, x: np.ndarray,
                       t: Any) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[], None]]:
    """(evaluate(z): the output with `target` replaced by the complex array z, installed once; undo)."""
    if target == "x":
        return (lambda z: layer.forward(z, t)), (lambda: None)
    hook = getattr(layer, "install_param", None)
    installed: list[np.ndarray] = []

    def install(z: np.ndarray) -> None:
        if callable(hook):
            hook(target, z)
        else:  # the protocol's promise: a layer reads `params` at every call
            layer.params[target] = z

    def evaluate(z: np.ndarray) -> np.ndarray:
        if not installed or installed[0] is not z:
            install(z)
            installed[:] = [z]
        return layer.forward(x, t)

    def undo() -> None:
        if installed:
            install(arr)  # gradlab's own array, the very object, back in its place
            installed.clear()

    return evaluate, undo


def _imag_dot(G: np.ndarray, y: Any) -> float:
    """Im(sum(G * y)) for a complex output, refusing an output that lost its imaginary part."""
    out = np.asarray(y)
    if not np.iscomplexobj(out):
        raise _Untrusted(f"a complex input gave a {out.dtype} output: the imaginary part was dropped")
    if out.size != G.size:
        raise _Untrusted("the output changed shape for complex input")
    return float(G @ out.imag.reshape(-1))


class _Clock:
    """The fastest real and complex forward calls seen: what one call of each costs."""

    def __init__(self) -> None:
        self.real = self.complex = float("inf")

    def time(self, kind: str, fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        out = fn()
        spent = time.perf_counter() - t0
        setattr(self, kind, min(getattr(self, kind), spent))
        return out

    @property
    def ratio(self) -> float:
        return self.complex / self.real if self.real > 0 else float("inf")


def _central(evaluate: Callable[[], np.ndarray], arr: np.ndarray, saved: np.ndarray, move: np.ndarray,
             G: np.ndarray, clock: _Clock) -> float:
    """sum(G * (y(θ + move) - y(θ - move))) / 2, with `arr` put back exactly."""
    try:
        arr[...] = saved + move
        plus = np.array(clock.time("real", evaluate), dtype=np.float64).reshape(-1)
        arr[...] = saved - move
        minus = np.array(clock.time("real", evaluate), dtype=np.float64).reshape(-1)
    finally:
        arr[...] = saved
    return float((plus - minus) @ G) / 2.0


def _agrees_along_one_direction(evaluate: Callable[[], np.ndarray], complex_at: Callable[[np.ndarray], np.ndarray],
                                arr: np.ndarray, G: np.ndarray, y0: np.ndarray, h: np.ndarray, eps: float,
                                rng: np.random.Generator, clock: _Clock) -> bool:
    """The complex-step derivative along a random direction d against central differences at ±d and
    ±d/2 (Richardson), within their measured rounding and truncation (as `gradlab.core.projection`)."""
    saved = arr.copy()
    d = projection.directions_for(saved, rng, 1, "rademacher")[0] * h
    full, half = ((saved + d) - (saved - d)) / 2.0, ((saved + d / 2) - (saved - d / 2)) / 2.0
    D_full = _central(evaluate, arr, saved, d, G, clock)
    D_half = _central(evaluate, arr, saved, d / 2, G, clock)
    scale = RELATIVE_STEP / numeric.STEP
    z = saved.astype(np.complex128)
    C = []
    for move in (full, half):
        z.imag = scale * move
        C.append(_imag_dot(G, clock.time("complex", lambda: complex_at(z))) / scale)
    C_full, C_half = C
    rounding = NOISE_MARGIN * eps * float(np.sum(np.abs(G * y0.reshape(-1))))
    err = abs((8.0 * D_half - D_full) - (8.0 * C_half - C_full)) / 3.0
    truncation = abs((D_full - C_full) - 2.0 * (D_half - C_half))
    tol = 3.0 * rounding + eps * (abs(C_full) + abs(C_half)) + TRUNCATION_MARGIN * truncation
    return err <= tol


def _elements(complex_at: Callable[[np.ndarray], np.ndarray], arr: np.ndarray, G: np.ndarray,
              t: np.ndarray) -> np.ndarray:
    """Im L(θ + i t_k e_k) / t_k for every element k: one call each."""
    z = arr.astype(np.complex128)
    zf, tf = z.reshape(-1), t.reshape(-1)
    grad = np.empty(zf.size)
    for k in range(zf.size):
        zf[k] = complex(zf[k].real, tf[k])
        try:
            grad[k] = _imag_dot(G, complex_at(z)) / tf[k]
        finally:
            zf[k] = zf[k].real
    return grad.reshape(arr.shape)


def gradient(layer: Layer, target: str, arr: np.ndarray, *, x: np.ndarray, t: Any, y0: np.ndarray, G: np.ndarray,
             h: np.ndarray, eps: float, rng: np.random.Generator, max_cost: float | None = None) -> np.ndarray | None:
    """dL/d(arr), L = sum(G * y), by the complex step, or None where it cannot be trusted (see the
    module docstring; the refusal is remembered for this layer and target).

    `arr` is `x` itself (target "x") or the layer's live parameter array; both are left exactly as
    they were. `h` are the central-difference steps of the checks, `eps` the precision's epsilon.
    With `max_cost`, the complex step is also declined (None, remembered) where one complex forward
    call costs more than `max_cost` real ones, as timed during the first check: then it would not
    save time over central differences' two real calls per element.
    """
    key = (layer_key(layer), target)
    if key in _UNTRUSTED or (max_cost is not None and key in _COSTLY):
        return None
    Gf = np.asarray(G, dtype=np.float64).reshape(-1)

    def evaluate() -> np.ndarray:
        return layer.forward(x, t)

    complex_at, undo = _complex_evaluator(layer, target, arr, x, t)
    clock = _Clock()
    why = None
    grad = None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                if not _agrees_along_one_direction(evaluate, complex_at, arr, Gf, y0, h, eps, rng, clock):
                    why = "it disagreed with central differences along a random direction"
                elif max_cost is not None and clock.ratio > max_cost:
                    _COSTLY[key] = clock.ratio
                    return None
                else:
                    grad = _elements(complex_at, arr, Gf, h * (RELATIVE_STEP / numeric.STEP))
            except _Untrusted as exc:
                why = str(exc)
            except Exception as exc:  # np.logaddexp and friends refuse complex input
                why = f"the layer raised {type(exc).__name__} for complex input"
            finally:
                undo()
        if any(issubclass(w.category, ComplexWarning) for w in caught):  # the most telling reason
            why = "the layer discarded the imaginary part (ComplexWarning)"
    finally:
        try:
            evaluate()  # the layer's caches as a real forward leaves them
        except Exception:  # the element loop meets (and reports) it itself
            why = why or "a real forward after the complex ones raised"
    if why is None and grad is not None and not np.all(np.isfinite(grad)):
        why = "the complex step gave a non-finite gradient"
    if why is None and grad is not None:
        check = projection.projected_check(evaluate, arr, grad, G, directions=DIRECTIONS_AFTER, rng=rng, rtol=0.0,
                                           atol=0.0, noise=0.0, y0=y0, h=h, eps=eps)
        if not check.passed:
            why = "its gradient disagreed with central differences along random directions"
    if why is not None or grad is None:
        _UNTRUSTED[key] = why or "not computed"
        return None
    return grad
