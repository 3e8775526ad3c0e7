"""Diagnosis of a recurrence whose backward walks time the wrong way: `for t in range(T)` where the loop must run
from the last step back (`reversed(range(T))`).

The hypothesis is read on the Jacobians, block by block over an axis that the input and the output share (time):
the true Jacobian is causal there (an output at step t depends on the inputs at steps up to t, none after, and on
some before: not block-diagonal, as the batch axis is), and the analytic one sends a good part of the gradient of
outputs to inputs at later steps, which cannot have produced them. A loop run forwards carries each step's
gradient on to the next step's input: the analytic Jacobian is then anti-causal. Code `misrouted`: the gradient
reaches positions that must get none (DECISIONS.md).
Non-goal: a recurrence that drops its carried gradient (no block off the diagonal at all): that is a dropped term.
"""

from __future__ import annotations

__all__ = ["time_runs_forwards"]

import numpy as np

from gradlab.core.diagnose_where import Found
from gradlab.core.evidence import Evidence

#: the true Jacobian holds no more than this fraction of its mass where a later input would reach an earlier output
CAUSAL_RTOL = 1e-9
#: the analytic Jacobian holds at least this fraction of its mass there for the loop order to explain it
ANTICAUSAL_SHARE = 0.2


def _blocks(M: np.ndarray, out_shape: tuple[int, ...], in_shape: tuple[int, ...], axis: int) -> np.ndarray:
    """(steps of the output, steps of the input): the Jacobian's absolute mass in each pair of steps along `axis`."""
    full = np.abs(M).reshape(*out_shape, *in_shape)
    full = np.moveaxis(full, (axis, len(out_shape) + axis), (0, 1))
    return full.reshape(full.shape[0], full.shape[1], -1).sum(axis=2)


def _shared_time_axes(out_shape: tuple[int, ...], in_shape: tuple[int, ...]) -> list[int]:
    return [k for k in range(min(len(out_shape), len(in_shape))) if out_shape[k] == in_shape[k] >= 2]


def time_runs_forwards(name: str, jacobians: tuple[np.ndarray, np.ndarray] | None,
                       evidence: Evidence | None) -> Found | None:
    """`misrouted` when, along an axis the output and the input share, the true Jacobian is causal and the analytic one
    gives a large part of its gradient to inputs at steps after the output's and none to those before (the loop over
    time runs forwards)."""
    if jacobians is None or evidence is None or evidence.target != "x":  # a weight's axes are no steps of time
        return None
    A, J = jacobians
    out_shape, in_shape = tuple(np.shape(evidence.y0)), tuple(np.shape(evidence.arr))
    if A.shape != J.shape or A.shape != (int(np.prod(out_shape)), int(np.prod(in_shape))) or \
            not np.all(np.isfinite(A)):
        return None
    for axis in _shared_time_axes(out_shape, in_shape):
        mass_n, mass_a = _blocks(J, out_shape, in_shape, axis), _blocks(A, out_shape, in_shape, axis)
        later = np.triu(np.ones(mass_n.shape, dtype=bool), k=1)  # the input's step after the output's
        earlier = np.tril(np.ones(mass_n.shape, dtype=bool), k=-1)
        total_n, total_a = float(mass_n.sum()), float(mass_a.sum())
        causal = total_n > 0 and float(mass_n[later].sum()) <= CAUSAL_RTOL * total_n and \
            float(mass_n[earlier].sum()) > 1e-6 * total_n
        # a loop run forwards carries nothing back: gradient at later steps and none at earlier ones (a causal mask
        # left out would give both)
        if not causal or float(mass_a[later].sum()) < ANTICAUSAL_SHARE * total_a or \
                float(mass_a[earlier].sum()) > 1e-6 * total_a:
            continue
        return Found("misrouted", f"{name} gives each output's gradient to the inputs at later steps of axis {axis} "
                     "(time), which cannot have produced it, and none to the earlier steps that did: the backward's "
                     "loop over time runs forwards; run it from the last step back, for t in reversed(range(T)), "
                     "carrying the hidden state's gradient to the step before")
    return None
