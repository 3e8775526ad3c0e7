"""A gradient that is one share of a sum where the whole sum belongs: a sequence layer's bias gradient that is one
time step's share alone (`db = db_t` where `db += db_t` belongs), and a GRU step's dh_prev or dx that keeps only
some of the paths through the cell (`dh_prev = r * dhr` where `+=` belongs).

The weights' version of this bug is read from spans (`rnn_step.one_step_share`: x_t.T @ da_t lies in the span
of x_t). A bias has no input to span: every step's share, the sum of da_t over the batch, is a vector like the
total, and every entry of the bias's Jacobian holds part of a chained sum over steps, so the general diagnosis
(entries right or zero, a partial match) finds nothing and says mismatch. Here the shares are computed: the
cell's exact backward run step by step from the case's own numbers and dout. Where they add up to the true
gradient (the reference is the layer's) and the analytic gradient is one of them, the other steps' shares were
overwritten instead of summed. A GRU step's dh_prev is the sum of four paths (through 1 - z, through the candidate's
r * h_prev, through z's and through r's pre-activations) and dx of three (one per gate): an analytic gradient equal
to the sum of some of them, computed the same way, lost the others to an overwrite.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

from gradlab.core.kind import Case
from gradlab.kinds.recurrent_backward import MATCH_RTOL, WrongInput
from gradlab.kinds.recurrent_cells import Cell

#: the parameters read here: the weights have their span reading, which needs no cell
TARGETS = ("b",)


def step_shares(cell: Cell, case: Case, order: tuple[int, ...], upstream: np.ndarray, target: str) -> list[np.ndarray]:
    """Every time step's share of `target`'s gradient, in time order, from h0 (or zeros) and a zero cell state."""
    N, H = case.x.shape[0], case.params["Wh"].shape[0]
    state = (case.params.get("h0", np.zeros((N, H))), *(np.zeros((N, H)) for _ in cell.states[1:]))
    steps = []
    for t in range(case.x.shape[1]):
        arr = cell.forward(case.x[:, t], state, case.params, order)
        steps.append(arr)
        state = (arr["next_h"], *([arr["next_c"]] if len(state) > 1 else []))
    shares: list[np.ndarray] = []
    carry = tuple(np.zeros_like(s) for s in state)
    for t in reversed(range(len(steps))):
        up = (upstream[:, t] + carry[0], *carry[1:])
        g = cell.backward(steps[t], cell.factors(steps[t]), up, case.params, order)
        shares.insert(0, g[target])
        carry = (g["prev_h"], *([g["prev_c"]] if len(carry) > 1 else []))
    return shares


def one_step_bias_share(cell: Cell, case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray,
                        upstream: np.ndarray | None) -> tuple[str, str] | None:
    # a stateful case starts from a carried state the shares here do not model: its reading is the weights' own
    if target not in TARGETS or upstream is None or case.hyper.get("stateful") or case.x.ndim != 3 \
            or upstream.ndim != 3 or upstream.shape[:2] != case.x.shape[:2] or analytic.shape != numeric.shape:
        return None
    scale = max(float(np.abs(numeric).max(initial=0.0)), 1e-300)
    for order in cell.orders:
        shares = step_shares(cell, case, order, upstream, target)
        if any(s.shape != numeric.shape for s in shares) or \
                not np.allclose(sum(shares), numeric, rtol=0.0, atol=1e-4 * scale):
            continue  # not this layer's cell or gate order: its shares say nothing
        for t, share in enumerate(shares):
            if np.allclose(analytic, share, rtol=0.0, atol=MATCH_RTOL * scale) and \
                    not np.allclose(share, numeric, rtol=0.0, atol=1e-3 * scale):
                return ("dropped-term", f"d{target} is the share of time step {t} alone (the step's da summed over "
                        "the batch): the other steps' shares were overwritten instead of summed; accumulate with "
                        f"d{target} += over the time steps")
    return None


def cell_paths(cell: Cell, case: Case, upstream: np.ndarray, order: tuple[int, ...]) -> dict[str, list]:
    """The step's dh_prev and dx split into the cell's named paths (`Cell.paths`), under a gate order."""
    p = case.params
    arr = cell.forward(case.x, (p["prev_h"],), p, order)
    assert cell.paths is not None
    return cell.paths(arr, cell.factors(arr), (upstream,), p, order)


def some_paths_alone(cell: Cell, case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray,
                     upstream: np.ndarray | None) -> tuple[str, str] | None:
    if cell.paths is None or target not in ("prev_h", "x") or upstream is None or case.x.ndim != 2 \
            or "prev_h" not in case.params or upstream.shape != case.params["prev_h"].shape:
        return None
    scale = max(float(np.abs(numeric).max(initial=0.0)), 1e-300)
    for order in cell.orders:
        paths = cell_paths(cell, case, upstream, order)[target]
        if all(v.shape == numeric.shape for _, v in paths) and \
                np.allclose(sum(v for _, v in paths), numeric, rtol=0.0, atol=1e-4 * scale):
            return _kept_alone(target, paths, analytic, numeric, scale)
    return None  # the reference is not this layer's cell: its paths say nothing


def _kept_alone(target: str, paths: list, analytic: np.ndarray, numeric: np.ndarray,
                scale: float) -> tuple[str, str] | None:
    for k in range(1, len(paths)):
        for kept in combinations(paths, k):
            total = sum(v for _, v in kept)
            if np.allclose(analytic, total, rtol=0.0, atol=MATCH_RTOL * scale) and \
                    not np.allclose(total, numeric, rtol=0.0, atol=1e-3 * scale):
                names = ", ".join(n for n, _ in kept)
                lost = ", ".join(n for n, _ in paths if all(n != m for m, _ in kept))
                return ("dropped-term", f"d{target} holds only the path(s) {names} and lacks {lost}: a sum over the "
                        f"cell's paths was overwritten (=) where it is accumulated (+=)")
    return None


@dataclass(frozen=True)
class StepShares:
    """A recurrent kind's `Kind.explain`: a gradient that is one share of its sum (a step's, some paths'), then the
    cell's other readings."""

    inner: WrongInput
    #: `Kind.explain` protocol: the shares are computed from dout
    reads_upstream: bool = True

    def __call__(self, case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray,
                 out: np.ndarray, upstream: np.ndarray | None = None) -> tuple[str, str] | None:
        for cell in self.inner.cells:
            found = one_step_bias_share(cell, case, target, analytic, numeric, upstream) or \
                some_paths_alone(cell, case, target, analytic, numeric, upstream)
            if found is not None:
                return found
        return self.inner(case, target, analytic, numeric, out, upstream)
