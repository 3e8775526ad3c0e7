"""Is the student's forward the right function? Compare it with gradlab's reference layers.

The gradient checks only prove that backward is the derivative of *the student's* forward: an
identity "ReLU" with `dx = dout` passes them. So the grader compares every forward output with the
reference layer's output on the same case. Where courses legitimately differ, the kind's module
says what else is accepted (`Kind.forward_candidates`: batch norm's epsilons, the MSE loss's
constants; `Kind.forward_accepts`: a leaky ReLU's slope, dropout's scalings).
Forwards are also spot-checked at points a finite difference visits (`spot_check`), so the function
the gradients were checked against is the one compared with the reference, and once on a batch
bigger than any graded case (`bigger_batch_check`), so a forward right only on small batches fails.
Runs in the grader's process on trusted reference code only. Non-goal: checking gradients.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.conventions.registry import Entry, entries_in
from gradlab.core.kind import Case, ForwardCheck, Kind
from gradlab.core.protocol import LayerCrash
from gradlab.core.tolerances import FORWARD_ATOL, FORWARD_RTOL


def _reference_entry(kind: Kind) -> Entry:
    """The correct reference layer of `kind`, class style first; then the other reference modules (a
    course's own kinds, `reference/a3_functions.py`), in the course's own convention only."""
    import importlib
    import pkgutil

    import gradlab.reference
    import gradlab.reference.classes
    import gradlab.reference.functions

    for module in (gradlab.reference.classes, gradlab.reference.functions):
        for e in entries_in(module):
            if e.kind == kind.name and e.bug is None:
                return e
    others = sorted(i.name for i in pkgutil.iter_modules(gradlab.reference.__path__, "gradlab.reference."))
    for name in others:
        for e in entries_in(importlib.import_module(name)):
            if e.kind == kind.name and e.bug is None and not e.options:
                return e
    raise LookupError(f"no reference layer of kind {kind.name!r}")


def reference_output(kind: Kind, case: Case) -> np.ndarray:
    """The reference layer's forward output on (a private copy of) `case`."""
    from gradlab.conventions.adapters import adapt

    mine = copy.deepcopy(case)
    with np.errstate(all="ignore"):
        return np.asarray(adapt(_reference_entry(kind), kind, mine).forward(mine.x, mine.t), dtype=np.float64)


def _close(out: np.ndarray, ref: np.ndarray) -> bool:
    atol = FORWARD_ATOL * max(1.0, float(np.abs(ref).max(initial=0.0)))
    return bool(np.allclose(out, ref, rtol=FORWARD_RTOL, atol=atol))


def check_forward(kind: Kind, case: Case, out: np.ndarray | None) -> ForwardCheck:
    """Does `out` (the student's forward on `case`) match the reference, up to accepted choices?"""
    if out is None:
        return ForwardCheck(False, "forward did not return an output")
    out = np.asarray(out)
    if not np.issubdtype(out.dtype, np.number) or np.iscomplexobj(out):
        return ForwardCheck(False, f"forward returned an array of dtype {out.dtype}, not real numbers")
    out = out.astype(np.float64)
    if kind.forward_accepts is not None:
        return kind.forward_accepts(out, case)
    candidates = kind.forward_candidates(case) if kind.forward_candidates else [reference_output(kind, case)]
    ref = candidates[0]
    if kind.is_loss and out.size == 1:
        out = out.reshape(ref.shape)
    if out.shape != ref.shape:
        return ForwardCheck(False, f"forward returned shape {out.shape}, expected {ref.shape}")
    if any(_close(out, c) for c in candidates):
        return ForwardCheck(True)
    if not np.any(out) and np.any(ref):  # CS231n's first templates return `loss = 0.0; dW = np.zeros_like(W)`
        return ForwardCheck(False, "forward returns 0 everywhere, where the correct output is not 0: not "
                                   "implemented yet? (a template's placeholders, such as loss = 0.0, earn nothing)")
    worst = np.unravel_index(int(np.argmax(np.abs(out - ref))), ref.shape) if ref.size else ()
    where = "[" + ", ".join(map(str, worst)) + "]" if worst else ""
    return ForwardCheck(False, f"forward output differs from the correct one: at {where or 'the output'} "
                               f"yours is {float(out[worst]):.6g}, the correct value is {float(ref[worst]):.6g}")


#: how many points a finite difference would visit (one element of x moved by a tiny step) the
#: forward is compared with the reference at, per case
SPOT_CHECKS = 3
SPOT_STEP = 1e-5


def spot_check(layer: Any, kind: Kind, case: Case, seed: int) -> ForwardCheck | None:
    """The student's forward at a few points a finite difference visits, compared with the reference
    there; None when it agrees everywhere (or the kind cannot be spot-checked).

    The gradient checks differentiate whatever the forward computes while it is being differentiated;
    comparing only its first output with the reference would let a forward that is right on its first
    call, or right except when it looks differentiated (tiny moves of one element), carry a backward
    consistent with some other function. Stochastic forwards (`forward_accepts`: dropout) are skipped."""
    if kind.forward_accepts is not None or not kind.x_differentiable or case.x.size == 0 or \
            not callable(getattr(layer, "forward_perturbed", None)):
        return None
    rng = np.random.default_rng(seed)
    idx = rng.choice(case.x.size, size=min(SPOT_CHECKS, case.x.size), replace=False)
    step = SPOT_STEP * max(1.0, float(np.abs(case.x).max(initial=0.0)))
    values = case.x.reshape(-1)[idx] + step * rng.choice([-1.0, 1.0], size=idx.size)
    outs = layer.forward_perturbed("x", idx, values, x=case.x.copy(), t=None if case.t is None else case.t.copy())
    for row, i, v in zip(np.asarray(outs), idx.tolist(), values.tolist()):
        moved = copy.deepcopy(case)
        moved.x.flat[i] = v
        verdict = check_forward(kind, moved, row)
        if not verdict.ok:
            where = ", ".join(map(str, np.unravel_index(i, case.x.shape)))
            return ForwardCheck(False, f"with x[{where}] moved by {v - float(case.x.flat[i]):.1e} (as a finite "
                                       f"difference does), {verdict.message}: forward must compute the same "
                                       "function on every call")
    return None


#: the batch sizes a bigger-batch check draws from: past every graded case (N <= 5), drawn per layer
#: so a forward cannot be right at one guessed size only
BIG_BATCH = (12, 49)


def bigger_batch_check(make: Callable[[Case], Any], kind: Kind, spec: dict[str, Any],
                       seed: int) -> ForwardCheck | None:
    """The student's forward (a fresh layer from `make`) on a batch bigger than the graded ones, the
    case otherwise like `spec`, compared with the reference; None when it agrees (or the kind's cases
    cannot be built at that size). Stochastic forwards (`forward_accepts`: dropout) are skipped."""
    from gradlab.kinds import build_case

    if kind.forward_accepts is not None:
        return None
    n = int(np.random.default_rng(seed).integers(*BIG_BATCH))
    try:
        case = build_case(kind, {**spec, "N": n})
    except Exception:  # a kind whose other sizes depend on N: its graded cases stand alone
        return None
    try:
        out = make(case).forward(case.x.copy(), None if case.t is None else case.t.copy())
    except LayerCrash as exc:
        return ForwardCheck(False, f"forward raised on a batch of {n} samples: {exc.detail}")
    verdict = check_forward(kind, case, out)
    if verdict.ok:
        return None
    return ForwardCheck(False, f"on a batch of {n} samples (bigger than the graded cases), {verdict.message}: "
                               "forward must compute the same function at every batch size")
