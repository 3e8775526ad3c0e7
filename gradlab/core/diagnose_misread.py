"""Diagnosis of a gradient computed with the wrong one of the arrays the forward kept, whatever the kind.

`gradlab.core.diagnose_where.wrong_input` asks the questions a kind's formula makes possible (the derivative at
the output where the input belongs); this asks the one every layer can answer: with one stored array's values
replaced by another's after the forward, does backward return the true gradient (`gradlab.core.stored_arrays`)?
Then the backward reads the first where the second belongs: `wrong-input`, said in the user's names.
"""

from __future__ import annotations

import numpy as np

from gradlab.core.diagnose_factors import as_held, held_arrays
from gradlab.core.diagnose_where import AGREES, Found, agrees, norm
from gradlab.core.evidence import Evidence
from gradlab.core.stored_arrays import with_each_stored_array_misread

__all__ = ["case_array_misread", "read_in_one_product", "residual_misread", "returned_in_each_others_place",
           "stored_array_misread"]


def stored_array_misread(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """`name` is computed with one array the forward stored where another belongs (`dx = self.x - t` where the
    softmax's output `self.y` belongs; `dgamma` from the centred x where the normalised one belongs)."""
    if ev is None or a.shape != n.shape:
        return None
    error = norm(a - n)
    for m in with_each_stored_array_misread(ev):
        if agrees(m.gradient, n, error):  # it must account for the error itself, as every hypothesis must
            return Found("wrong-input", f"{name} reads {m.read} where {m.belongs} belongs: with {m.read}'s values "
                         f"replaced by {m.belongs}'s after the forward, backward returns the true {name} (a derivative "
                         "evaluated at the wrong one of the arrays the forward kept)")
    return None


def case_array_misread(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """`name` is computed with a stored array where the case's input or output belongs, one the forward did not keep
    (swish's `cache = (out, s)` read as x in `s + x * s * (1 - s)`): with that array's values replaced by the
    input's (or the output's) after the forward, backward returns the true gradient. Asked last, once no pattern of
    the numbers fits: a mask read off the wrong array (a ReLU's `out >= 0`) is right at x as well, and is named by
    what it lets through (`gradlab.core.diagnose_masks`)."""
    if ev is None or a.shape != n.shape:
        return None
    error = norm(a - n)
    for m in with_each_stored_array_misread(ev, case_arrays=True):
        if agrees(m.gradient, n, error):
            return Found("wrong-input", f"{name} reads {m.read}, which does not hold {m.belongs}'s values, where "
                         f"{m.belongs} belongs: with {m.belongs}'s values put in {m.read} after the forward, backward "
                         f"returns the true {name} (the forward stored another array there, e.g. its output where "
                         "backward's formula is written in its input)")
    return None


def residual_misread(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """A loss's derivative that reads the prediction where the residual x - t belongs (an L1 loss's np.sign(y) where
    np.sign(y - t) belongs): after a forward on x - t in x's place, backward returns the true gradient. Asked only of
    a gradient whose live elements share one magnitude (a sign times a constant): there every wrong element is an
    exact negative or a zero, which the numbers alone would read as a flipped or a dropped term."""
    if ev is None or ev.target != "x" or ev.y0.size != 1 or ev.t is None or a.shape != n.shape:
        return None
    t, x = np.asarray(ev.t), np.asarray(ev.x)
    live = np.abs(n) > 1e-9 * max(float(np.abs(n).max(initial=0.0)), 1e-300)
    if t.shape != x.shape or not np.issubdtype(t.dtype, np.floating) or not live.any() or \
            float(np.ptp(np.abs(n[live]))) > AGREES * float(np.abs(n).max()):
        return None
    error = norm(a - n)
    for said, residual in (("x - t", x - t), ("t - x", t - x)):
        if agrees(ev.analytic_with_input(residual), n, error):
            return Found("wrong-input", f"{name} is the derivative evaluated at the prediction x where it belongs at "
                         f"the residual {said}: after a forward on {said} in x's place, backward returns the true "
                         f"{name} (e.g. np.sign(y) where np.sign(y - t) belongs)")
    return None


def returned_in_each_others_place(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """`name`, of the wrong shape, holds another parameter's true gradient, and that parameter's gradient holds
    `name`'s: the two are returned (or stored) in each other's place (`return dx, db, dw` for the parameters'
    order dx, dw, db). `wrong-shape`: its shape is not its parameter's, and no reduction or transpose made it.
    Both directions are asked, so a gradient that merely equals another's true one here (a sum over the batch
    that is also the bias's gradient) is not taken for a swap."""
    if ev is None or ev.target == "x" or a.shape == n.shape:
        return None
    theirs = ev.analytic_gradients()
    for other, g in ev.other_true_gradients().items():
        back = theirs.get(other)
        if g.shape != a.shape or back is None or back.shape != n.shape:
            continue
        if norm(g) > 0 and norm(n) > 0 and norm(a - g) <= AGREES * norm(g) and norm(back - n) <= AGREES * norm(n):
            return Found("wrong-shape", f"{name} has {other}'s shape and holds {other}'s true gradient, and {other} "
                         f"holds {name}'s: the two are returned (or stored) in each other's place; return the "
                         "gradients in the order of the parameters")
    return None


def _signal(B: np.ndarray, n: np.ndarray, left: bool) -> np.ndarray | None:
    """The signal D with n = B.T @ D (`left`) or n = D @ B.T, when B's samples are independent (fewer than its
    other axis, full rank) so that D is the one answer, and n is that product to AGREES; else None."""
    M = B.T if left else B  # n = M @ D, or n.T = M @ D.T
    rhs = n if left else n.T
    if M.shape[1] >= M.shape[0] or M.shape[0] != rhs.shape[0] or np.linalg.matrix_rank(M) < M.shape[1]:
        return None
    D, *_ = np.linalg.lstsq(M, rhs, rcond=None)
    if norm(M @ D - rhs) > AGREES * norm(rhs):
        return None
    return D if left else D.T


def read_in_one_product(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """A weight's gradient, a product of an array the forward kept with the signal backpropagated to the weight's
    output (dWh = h_prev.T @ dt), that reads another kept array of the same shape in that one product (h_next.T @
    dt), the signal itself right. Substituting the array in the layer's store would move every use of it (dt reads
    h_next too), so the substitution is made in this gradient's formula alone, on the numbers: the true gradient
    gives the signal D (n = B.T @ D, or D @ B.T for samples as columns, B the kept array the weight multiplies, D
    the one answer where B's samples are fewer than its features), and `a` must be A.T @ D (or D @ A.T) for
    another kept array A."""
    if ev is None or ev.target == "x" or a.ndim != 2 or a.shape != n.shape:
        return None
    # a product reads any array, a mask as well, and on the smallest case (one sample, two hidden units) a hidden
    # state has two values: arrays with two distinct values count here
    held = [(as_held((said, A)), A) for said, A in held_arrays(ev, min_distinct=2) if A.ndim == 2]
    for left in (True, False):
        # the whole gradient, or the block of its columns (rows, for samples as columns) where it is wrong: a stacked
        # weight's gradient is one product per gate (a GRU's dWh[:, 2H:] = rh.T @ dan, the other gates' h_prev.T @ da)
        wrong = ~np.isclose(a, n, rtol=AGREES, atol=AGREES * float(np.abs(n).max(initial=0.0)))
        lines = np.any(wrong, axis=0) if left else np.any(wrong, axis=1)
        for cut in ((slice(None),) if lines.all() or not lines.any() else (slice(None), np.flatnonzero(lines))):
            part = (slice(None), cut) if left else (cut, slice(None))
            found = _one_product(name, a[part], n[part], held, left, block=not isinstance(cut, slice))
            if found is not None:
                return found
    return None


def _one_product(name: str, a: np.ndarray, n: np.ndarray, held: list[tuple[str, np.ndarray]], left: bool, *,
                 block: bool) -> Found | None:
    """`read_in_one_product` on `a` and `n`, the whole gradient or one block of it."""
    error = norm(a - n)
    for said_b, B in held:
        D = _signal(B, n, left)
        if D is None:
            continue
        for said_a, A in held:
            if A is B or A.shape != B.shape or np.allclose(A, B):
                continue
            if agrees(A.T @ D if left else D @ A.T, a, error):
                formula = f"{said_a}.T @ delta" if left else f"delta @ {said_a}.T"
                true = f"{said_b}.T @ delta" if left else f"delta @ {said_b}.T"
                where = f"the {'columns' if left else 'rows'} of {name} that are wrong are" if block else f"{name} is"
                return Found("wrong-input", f"{where} {formula} where the true ones are {true}, with the same "
                             f"backpropagated signal delta: its formula reads {said_a} where {said_b} belongs (a "
                             "weight's gradient reads the array the weight multiplies in the forward, e.g. an "
                             "RNN's dWh = h_prev.T @ dt, not h_next.T @ dt)")
    return None
