"""Is the student's forward the right function? Compare it with gradlab's reference layers.

The gradient checks only prove that backward is the derivative of *the student's* forward: an
identity "ReLU" with `dx = dout` passes them. So the grader compares every forward output with the
reference layer's output on the same case. Where courses legitimately differ, any of the usual
choices is accepted: batch-norm's epsilon, the MSE loss's constant (1/2, 1/N, 1/(N·D)), a leaky
ReLU's slope, dropout's scaling (textbook `x * mask`, inverted `x * mask / keep`).
Runs in the grader's process on trusted reference code only. Non-goal: checking gradients.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from gradlab.kinds import Case, Kind
from gradlab.conventions.registry import REGISTRY, Entry

RTOL = 1e-4
ATOL = 1e-6  # times max(1, largest |reference output|)
_BN_EPS = (1e-5, 1e-7, 1e-8, 1e-6, 1e-4, 1e-3, 0.0)


@dataclass(frozen=True)
class ForwardCheck:
    """The verdict on one forward output; `zeros`/`size` let the grader see that dropout drops."""

    ok: bool
    message: str = ""
    zeros: int = 0
    size: int = 0


def _reference_entry(kind: Kind) -> Entry:
    import gradlab.reference.classes  # noqa: F401  (registers the reference layers)
    import gradlab.reference.functions  # noqa: F401

    for module in ("gradlab.reference.classes", "gradlab.reference.functions"):
        for e in REGISTRY.values():
            if e.kind == kind.name and e.bug is None and e.module == module:
                return e
    raise LookupError(f"no reference layer of kind {kind.name!r}")


def reference_output(kind: Kind, case: Case) -> np.ndarray:
    """The reference layer's forward output on (a private copy of) `case`."""
    from gradlab.conventions.adapters import adapt

    mine = copy.deepcopy(case)
    with np.errstate(all="ignore"):
        return np.asarray(adapt(_reference_entry(kind), kind, mine).forward(mine.x, mine.t), dtype=np.float64)


def _close(out: np.ndarray, ref: np.ndarray) -> bool:
    atol = ATOL * max(1.0, float(np.abs(ref).max(initial=0.0)))
    return bool(np.allclose(out, ref, rtol=RTOL, atol=atol))


def _batchnorm(case: Case) -> list[np.ndarray]:
    x = case.x.reshape(case.N, -1)
    mu, var = x.mean(axis=0), x.var(axis=0)
    g, b = case.params["gamma"].reshape(-1), case.params["beta"].reshape(-1)
    return [(g * (x - mu) / np.sqrt(var + eps) + b).reshape(case.x.shape) for eps in _BN_EPS]


def _mse(case: Case) -> list[np.ndarray]:
    assert case.t is not None
    s = float(np.sum((case.x - case.t) ** 2))
    N, size = case.N, case.x.size
    return [np.asarray(s * c) for c in (0.5 / N, 1.0 / N, 1.0 / size, 0.5 / size, 0.5, 1.0)]


def _slope_form(out: np.ndarray, x: np.ndarray) -> bool:
    """out = x where x > 0, out = a·x (one slope 0 < a < 1) where x < 0."""
    pos, neg = x > 0, x < 0
    if not np.allclose(out[pos], x[pos], rtol=RTOL, atol=ATOL):
        return False
    if not neg.any():
        return True
    a = float(np.median(out[neg] / x[neg]))
    return 0.0 < a < 1.0 and bool(np.allclose(out[neg], a * x[neg], rtol=RTOL, atol=ATOL * max(1.0, abs(a))))


def _dropout(out: np.ndarray, x: np.ndarray) -> ForwardCheck:
    kept = out != 0
    if not kept.any():
        return ForwardCheck(True, zeros=int(out.size), size=int(out.size))
    ratios = out[kept] / np.where(x[kept] == 0, 1.0, x[kept])
    c = float(np.median(ratios))
    if not (1.0 - 1e-9 <= c <= 1e3 and np.allclose(out[kept], c * x[kept], rtol=RTOL, atol=ATOL)):
        return ForwardCheck(False, "each output must be either 0 (dropped) or the input times one constant "
                                   "(1, or 1/keep-probability for inverted dropout)", int((~kept).sum()), int(out.size))
    return ForwardCheck(True, zeros=int((~kept).sum()), size=int(out.size))


def check_forward(kind: Kind, case: Case, out: np.ndarray | None) -> ForwardCheck:
    """Does `out` (the student's forward on `case`) match the reference, up to accepted choices?"""
    if out is None:
        return ForwardCheck(False, "forward did not return an output")
    out = np.asarray(out)
    if not np.issubdtype(out.dtype, np.number) or np.iscomplexobj(out):
        return ForwardCheck(False, f"forward returned an array of dtype {out.dtype}, not real numbers")
    out = out.astype(np.float64)
    if kind.name == "dropout":
        if out.shape != case.x.shape:
            return ForwardCheck(False, f"forward returned shape {out.shape}, expected {case.x.shape}")
        return _dropout(out, case.x)
    if kind.name == "batchnorm":
        candidates = _batchnorm(case)
    elif kind.name == "mse_loss":
        candidates = _mse(case)
    else:
        candidates = [reference_output(kind, case)]
    ref = candidates[0]
    if kind.is_loss and out.size == 1:
        out = out.reshape(ref.shape)
    if out.shape != ref.shape:
        return ForwardCheck(False, f"forward returned shape {out.shape}, expected {ref.shape}")
    if kind.name == "leaky_relu":
        ok = _slope_form(out, case.x)
    else:
        ok = any(_close(out, c) for c in candidates)
    if ok:
        return ForwardCheck(True)
    worst = np.unravel_index(int(np.argmax(np.abs(out - ref))), ref.shape) if ref.size else ()
    where = "[" + ", ".join(map(str, worst)) + "]" if worst else ""
    return ForwardCheck(False, f"forward output differs from the correct one: at {where or 'the output'} "
                               f"yours is {float(out[worst]):.6g}, the correct value is {float(ref[worst]):.6g}")
