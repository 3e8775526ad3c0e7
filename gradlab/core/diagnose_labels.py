"""Diagnosis of a loss's label term sent to the wrong positions, read off the labels the case gave the loss.

A loss on class scores whose labels are class indices subtracts its label term at each sample's own class:
`dx[np.arange(N), y] -= 1`. Written `dx[:, y] -= 1`, numpy's indexing takes every row with every label in `y`, so
each sample also gets the term at the classes of the other samples' labels. A hypothesis tested on the numbers:
the error a - n is one constant times the indicator of those positions (the classes some sample is labelled with,
in every row, less each row's own class), to AGREES of the error. `misrouted`, as DECISIONS.md has gradient sent
to positions that must get none; told with where it went.
Non-goal: a label term that is missing or scaled at the right positions (the general diagnosis names those).
"""

from __future__ import annotations

__all__ = ["label_term_in_every_row"]

import numpy as np

from gradlab.core.diagnose_where import AGREES, Found, norm
from gradlab.core.evidence import Evidence


def _index_labels(ev: Evidence, rows: int, classes: int) -> np.ndarray | None:
    t = getattr(ev, "t", None)
    if not isinstance(t, np.ndarray) or t.shape != (rows,) or not np.issubdtype(t.dtype, np.integer):
        return None
    if t.size == 0 or int(t.min()) < 0 or int(t.max()) >= classes:
        return None
    return t


def label_term_in_every_row(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """`name`, a loss's gradient with respect to its (N, C) scores (or (C, N), samples as columns), is the true one
    plus one constant at every (i, k) where k is another sample's label and not sample i's own: the label term
    subtracted with dx[:, y] where dx[np.arange(N), y] belongs."""
    if ev is None or a.ndim != 2 or a.shape != n.shape:
        return None
    for columns in (False, True):
        A, Nn = (a.T, n.T) if columns else (a, n)
        t = _index_labels(ev, A.shape[0], A.shape[1])
        if t is None or (columns and A.shape[0] == A.shape[1]):
            continue
        own = np.zeros(A.shape, dtype=bool)
        own[np.arange(A.shape[0]), t] = True
        extra = np.zeros(A.shape, dtype=bool)
        extra[:, np.unique(t)] = True
        extra &= ~own
        if not extra.any():
            continue
        error = A - Nn
        c = float(np.sum(error[extra])) / int(extra.sum())
        if not norm(error) or abs(c) <= AGREES * norm(error) or norm(error - c * extra) > AGREES * norm(error):
            continue
        where = np.argwhere(extra.T if columns else extra)[:3]
        shown = ", ".join("[" + ", ".join(map(str, i)) + "]" for i in where)
        return Found("misrouted", f"{name} gets the label's term ({c:.4g}) at {int(extra.sum())} position(s) that "
                     f"must get none (at {shown}): each sample's row gets it at the classes of the other samples' "
                     "labels too, as dx[:, y] indexes every row with every label. Subtract it at each sample's own "
                     "class only: dx[np.arange(N), y]")
    return None
