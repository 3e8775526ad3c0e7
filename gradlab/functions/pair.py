"""Any forward/backward pair, at the inputs the user chooses: the generic layer.

`check_backward(forward, backward, inputs={...}, params={...})` calls `forward(**inputs, **params)`,
which returns `out` or `(out, cache)`; then `backward(dout[, cache])`, which returns the gradients as
a dict keyed by name (`x` or `dx`) or a tuple in the order inputs then params (a single array when
there is one). Integer and boolean arrays (labels, masks) are constants: they get no gradient.
Each float array is differentiated by central differences of sum(dout * out) (dout = 1 for a scalar
output, else random normal, never ones), and compared element-wise with the core's tolerances and
diagnosis. Beyond values: a forward or backward that writes into an input or a parameter fails
(`mutates-input`), writing into dout warns, NaN/inf for finite inputs is `non-finite`, a raise is
`crashed`, with the user's exception in one line.
Non-goal: drawing inputs (the user chooses them; `gradlab.cases` draws them for known kinds).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from gradlab.core.results import FAIL, WARN, Finding, GradientResult
from gradlab.core.tolerances import ATOL, RTOL
from gradlab.functions.gradient import judge
from gradlab.functions.report import FunctionReport

__all__ = ["check_backward"]


class _Stop(Exception):
    """The check cannot go on: the finding says why."""

    def __init__(self, finding: Finding):
        super().__init__(finding.message)
        self.finding = finding


def check_backward(forward: Callable[..., Any], backward: Callable[..., Any], *, inputs: Mapping[str, Any],
                   params: Mapping[str, Any] | None = None, name: str | None = None, seed: int = 0,
                   rtol: float = RTOL, atol: float = ATOL) -> FunctionReport:
    """The verdict on `backward` as the gradient of `forward` at `inputs` and `params` (see the module)."""
    arrays = _validated(forward, backward, inputs, params or {})
    label = name or str(getattr(forward, "__name__", "function"))
    case = ", ".join(f"{k} {tuple(a.shape)}" for k, a in arrays.items())
    findings: list[Finding] = []
    gradients: dict[str, GradientResult] = {}
    try:
        gradients = _check(forward, backward, arrays, findings, seed=seed, rtol=rtol, atol=atol)
    except _Stop as stop:
        findings.append(stop.finding)
    return FunctionReport(label, gradients, tuple(findings), seed=seed, case=case,
                          source=getattr(getattr(forward, "__code__", None), "co_filename", ""))


def _check(forward: Callable[..., Any], backward: Callable[..., Any], arrays: dict[str, np.ndarray],
           findings: list[Finding], *, seed: int, rtol: float, atol: float) -> dict[str, GradientResult]:
    # 1. forward on copies, so a write into an input shows
    given = {k: a.copy() for k, a in arrays.items()}
    out, cache = _forward(forward, given)
    _mutations(given, arrays, "forward", findings)
    if not np.all(np.isfinite(out)):
        raise _Stop(Finding("non-finite", FAIL, "forward returned NaN or inf for finite inputs"))
    # 2. backward with a random upstream gradient (never ones: they hide transposes and reductions)
    G = np.array(1.0) if out.ndim == 0 else np.random.default_rng([seed, 1]).standard_normal(out.shape)
    dout = G.copy()
    returned = _call("backward", backward, dout, *([cache] if cache is not None and _takes_two(backward) else []))
    if not np.array_equal(dout, G):
        findings.append(Finding("mutates-input", WARN, "backward wrote into the upstream gradient dout it was given "
                                "(harmless here, a trap when dout is shared by two branches)"))
    _mutations(given, arrays, "backward", findings)
    differentiable = [k for k, a in arrays.items() if np.issubdtype(a.dtype, np.floating)]
    analytic = _named(returned, differentiable)
    # 3. every float array against central differences of sum(G * out)
    work = {k: a.copy() for k, a in arrays.items()}

    def evaluate() -> np.ndarray:
        return _forward(forward, work)[0]

    N = _batch_size(arrays, differentiable)
    return {k: judge(k, analytic.get(k), work[k], evaluate, upstream=G, y0=out, batch_size=N, rtol=rtol, atol=atol,
                     shown_as=f"d{k}") for k in differentiable}


def _validated(forward: Any, backward: Any, inputs: Any, params: Any) -> dict[str, np.ndarray]:
    """The arrays to call with (float ones as float64 copies), or a TypeError/ValueError saying what to pass."""
    for what, fn in (("forward", forward), ("backward", backward)):
        if not callable(fn):
            raise TypeError(f"{what}={fn!r:.60} is not callable; pass the function itself")
    for what, d in (("inputs", inputs), ("params", params)):
        if not isinstance(d, Mapping):
            raise TypeError(f"{what}= must be a dict of name -> array, e.g. {what}={{'x': x}}; got {type(d).__name__}")
    if not inputs and not params:
        raise ValueError("give at least one array to differentiate: inputs={'x': x} (and params={'W': W, ...})")
    both = set(inputs) & set(params)
    if both:
        raise ValueError(f"{', '.join(sorted(both))} is in both inputs and params; each name once")
    arrays = {}
    for k, v in {**inputs, **params}.items():
        try:
            a = np.array(v, copy=True)
        except (TypeError, ValueError):
            raise TypeError(f"{k}={v!r:.40}: pass an array of numbers") from None
        if not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
            raise TypeError(f"{k} holds {a.dtype} values; pass an array of numbers")
        arrays[k] = a.astype(np.float64) if np.issubdtype(a.dtype, np.floating) else a
    if not any(np.issubdtype(a.dtype, np.floating) for a in arrays.values()):
        raise ValueError("no float array to differentiate: integer and boolean arrays are constants (labels, masks); "
                         "pass x as floats, e.g. x.astype(float)")
    return arrays


def _forward(forward: Callable[..., Any], arrays: dict[str, np.ndarray]) -> tuple[np.ndarray, Any]:
    """(out as float64, cache or None). A pair whose first item is an array is (out, cache)."""
    result = _call("forward", forward, **arrays)
    cache = None
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], (np.ndarray, float, np.floating)):
        result, cache = result
    try:
        return np.asarray(result, dtype=np.float64), cache
    except (TypeError, ValueError):
        raise _Stop(Finding("crashed", FAIL, f"forward returned {type(result).__name__}, not an array: return out "
                                             "or (out, cache)")) from None


def _call(what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # the user's error, in one line: it is the finding
        raise _Stop(Finding("crashed", FAIL, f"{what} raised {type(exc).__name__}: {exc}")) from exc


def _takes_two(fn: Callable[..., Any]) -> bool:
    """Whether `fn` accepts (dout, cache): two positional parameters, or *args."""
    try:
        ps = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return True
    if any(p.kind == p.VAR_POSITIONAL for p in ps):
        return True
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in ps) >= 2


def _named(returned: Any, names: list[str]) -> dict[str, Any]:
    """backward's gradients by name: a dict keyed `x` or `dx`, a tuple in order, or one array."""
    if isinstance(returned, Mapping):
        return {k: returned[k] if k in returned else returned.get(f"d{k}") for k in names}
    if not isinstance(returned, (tuple, list)) or (len(names) == 1 and isinstance(returned, list)):
        returned = (returned,)
    if len(returned) != len(names):
        raise _Stop(Finding("crashed", FAIL, f"backward returned {len(returned)} gradient(s) but there are "
                            f"{len(names)} float arrays ({', '.join(names)}): return them in the order inputs then "
                            "params, or a dict keyed by name"))
    return dict(zip(names, returned))


def _mutations(given: dict[str, np.ndarray], original: dict[str, np.ndarray], call: str,
               findings: list[Finding]) -> None:
    for k, a in given.items():
        if not np.array_equal(a, original[k], equal_nan=True) and \
                not any(f.code == "mutates-input" and f.gradient == k for f in findings):
            findings.append(Finding("mutates-input", FAIL, f"{call} wrote into {k}", k))


def _batch_size(arrays: dict[str, np.ndarray], names: list[str]) -> int:
    """The first axis of the first float input with two axes or more: what a missing 1/N would be."""
    return next((int(arrays[k].shape[0]) for k in names if arrays[k].ndim >= 2), 1)
