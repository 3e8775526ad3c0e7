"""Is a layer's forward the right function? Its output on a case next to gradlab's reference layer's.

The gradient checks only prove that backward is the derivative of *the layer's own* forward. The grader
(`gradlab.grading.forward_reference`) and the fix search (`gradlab.fixes.verify`) both need to know whether
that forward is the kind's: this module looks up the reference layer of a kind and compares an output with
it on one case, with what the kind accepts besides (`Kind.forward_candidates`: batch norm's epsilons, the
MSE loss's constants; `Kind.forward_accepts`: a leaky ReLU's slope, dropout's scalings).
Non-goal: checking gradients, or deciding what a mismatch costs (grading) or forbids (fix search).
"""

from __future__ import annotations

import copy

import numpy as np

from gradlab.conventions.registry import Entry, entries_in
from gradlab.core.kind import Case, ForwardCheck, Kind
from gradlab.core.tolerances import FORWARD_ATOL, FORWARD_RTOL

__all__ = ["check_forward", "reference_entry", "reference_output"]


def reference_entry(kind: Kind) -> Entry:
    """The correct reference layer of `kind`, class style first; then the other reference modules (a
    course's own kinds, `reference/a3_functions.py`), in the course's own convention only.
    LookupError for a kind without one; ImportError where the reference layers are out of reach (the
    grader's sandbox)."""
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
            # a layout is the course's own convention (deeplearning.ai's cells take samples as columns); any other
            # option is a variation of it
            if e.kind == kind.name and e.bug is None and not set(e.options) - {"layout", "weights"}:
                return e
    raise LookupError(f"no reference layer of kind {kind.name!r}")


def reference_output(kind: Kind, case: Case) -> np.ndarray:
    """The reference layer's forward output on (a private copy of) `case`."""
    from gradlab.conventions.adapters import adapt

    mine = copy.deepcopy(case)
    with np.errstate(all="ignore"):
        return np.asarray(adapt(reference_entry(kind), kind, mine).forward(mine.x, mine.t), dtype=np.float64)


def _close(out: np.ndarray, ref: np.ndarray) -> bool:
    atol = FORWARD_ATOL * max(1.0, float(np.abs(ref).max(initial=0.0)))
    return bool(np.allclose(out, ref, rtol=FORWARD_RTOL, atol=atol))


def check_forward(kind: Kind, case: Case, out: np.ndarray | None) -> ForwardCheck:
    """Does `out` (the layer's forward on `case`) match the reference, up to accepted choices?"""
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
