"""A GRU over a whole sequence, from h0, in CS231n assignment 3's function convention (as its `rnn` and `lstm`).

Names: `gru_forward/backward(x, h0, Wx, Wh, b)`: x (N, T, D), h0 (N, H), Wx (D, 3H), Wh (H, 3H), b (3H,), output h
(N, T, H); backward returns (dx, dh0, dWx, dWh, db). The gates' order inside the 3H columns, whether the reset gate
multiplies h before or after its matrix, and which side of the update the gate z weights are the layer's own
choices: the check differentiates whatever the forward computes, and the grader accepts each of those forms (the
second volume's z, r, candidate with h = (1 - z) h + z h̃; PyTorch's r, z, n with h = (1 - z) n + z h). A learner's
forward taking its weights split by gate or two biases (`gru_forward(x, h0, Wx, Wh, bx, bh)`) requires more than
gradlab gives and is listed as skipped, saying so. The classic bugs: weight gradients overwritten at each step,
the hidden state's gradient from step t+1 dropped (both dropped-term).
"""

from __future__ import annotations

from itertools import product
from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds import reset_after_gru_cell
from gradlab.kinds.common import values
from gradlab.kinds.recurrent_backward import WrongInput
from gradlab.kinds.recurrent_cells import GRU
from gradlab.kinds.rnn_shares import StepShares
from gradlab.kinds.rnn_step import RECURRENT_SCALES, draw_sizes, one_step_share, recurrent_params


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, D, H = spec["N"], spec["T"], spec["D"], spec["H"]
    x = values(rng, (N, T, D), spec)
    h0 = np.tanh(rng.standard_normal((N, H)))
    return Case(x, None, {"h0": h0, **recurrent_params(rng, D, H, gates=3)}, {}, spec)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def _sequence(case: Case, order: tuple[int, int], reset_after: bool, z_keeps: bool) -> np.ndarray:
    """The GRU with gate z in block `order[0]`, r in `order[1]` and the candidate in the third; the reset gate on h
    before its matrix or on its product after; z weighting the previous state (`z_keeps`) or the candidate."""
    p = case.params
    H = p["Wh"].shape[0]
    blocks = [slice(i * H, (i + 1) * H) for i in range(3)]
    zi, ri = blocks[order[0]], blocks[order[1]]
    ci = blocks[3 - order[0] - order[1]]
    h, hs = p["h0"], []
    for t in range(case.x.shape[1]):
        x = case.x[:, t]
        z = _sigmoid(x @ p["Wx"][:, zi] + h @ p["Wh"][:, zi] + p["b"][zi])
        r = _sigmoid(x @ p["Wx"][:, ri] + h @ p["Wh"][:, ri] + p["b"][ri])
        recurrent = r * (h @ p["Wh"][:, ci]) if reset_after else (r * h) @ p["Wh"][:, ci]
        candidate = np.tanh(x @ p["Wx"][:, ci] + recurrent + p["b"][ci])
        h = z * h + (1 - z) * candidate if z_keeps else (1 - z) * h + z * candidate
        hs.append(h)
    return np.stack(hs, axis=1)


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The second volume's form first (z, r, candidate; r on h; z weighting the candidate), then every other."""
    orders = ((0, 1), (1, 0), (0, 2), (2, 0), (1, 2), (2, 1))
    return [_sequence(case, order, after, keeps) for order, after, keeps in product(orders, (False, True),
                                                                                    (False, True))]


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_sizes(draw, ("T", "D", "H"), max_H=3)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 4, "D": 3, "H": 2}


KIND = Kind(
    "gru", (), build, draw_shape, batch_spec,
    function_stems=("gru",), params=("h0", "Wx", "Wh", "b"), batch_params=("h0",), scales=RECURRENT_SCALES,
    explain=StepShares(WrongInput(GRU, sequence=True, first=one_step_share, others=(reset_after_gru_cell.CELL,))),
    forward_candidates=forward_candidates,
)
