"""The textbook's second volume's TimeGRU: a GRU over a whole sequence, from a zero state.

Names: `TimeGRU(Wx, Wh, b, stateful=False)` with `forward(xs) -> hs` and `backward(dhs) -> dxs`,
gradients in its `grads = [dWx, dWh, db]` list: xs (N, T, D), Wx (D, 3H), Wh (H, 3H), b (3H,), hs
(N, T, H). Checked with `stateful=False` (its default): every forward starts from h = 0; some cases
also with `stateful=True`, called twice, the carried h's gradient read from `self.dh` (as TimeRNN's). A
weight gradient that is one time step's share alone is named as the other recurrent kinds name it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import CarriedState, Case, Draw, Kind, Spec
from gradlab.kinds import reset_after_gru_cell
from gradlab.kinds.common import values
from gradlab.kinds.recurrent_backward import WrongInput
from gradlab.kinds.recurrent_cells import GRU
from gradlab.kinds.rnn_shares import StepShares
from gradlab.kinds.rnn_step import RECURRENT_SCALES, draw_sizes, one_step_share, recurrent_params
from gradlab.kinds.time_rnn import carried_outputs, draw_stateful, stateful_hyper


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, D, H = spec["N"], spec["T"], spec["D"], spec["H"]
    return Case(values(rng, (N, T, D), spec), None, recurrent_params(rng, D, H, gates=3), stateful_hyper(spec), spec)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def _sequence(xs: np.ndarray, h: np.ndarray, p: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The book's GRU over a sequence (gates z, r, then the candidate, in the 3H columns)."""
    H = p["Wh"].shape[0]
    Wx, Wh, b = p["Wx"], p["Wh"], p["b"]
    hs = []
    for t in range(xs.shape[1]):
        x = xs[:, t]
        z = _sigmoid(x @ Wx[:, :H] + h @ Wh[:, :H] + b[:H])
        r = _sigmoid(x @ Wx[:, H:2 * H] + h @ Wh[:, H:2 * H] + b[H:2 * H])
        h = (1 - z) * h + z * np.tanh(x @ Wx[:, 2 * H:] + (r * h) @ Wh[:, 2 * H:] + b[2 * H:])
        hs.append(h)
    return np.stack(hs, axis=1), h


def forward_candidates(case: Case) -> list[np.ndarray]:
    zero = np.zeros((case.N, case.params["Wh"].shape[0]))
    return carried_outputs(case, lambda xs, h: _sequence(xs, h, case.params), zero)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return {**draw_sizes(draw, ("T", "D", "H"), max_H=3), **draw_stateful(draw)}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 5, "D": 3, "H": 2}


KIND = Kind(
    "time_gru", ("timegru",), build, draw_shape, batch_spec,
    params=("Wx", "Wh", "b"), scales=RECURRENT_SCALES,
    explain=StepShares(WrongInput(GRU, sequence=True, first=one_step_share, others=(reset_after_gru_cell.CELL,))),
    optional_params=("b",),
    carried_state=CarriedState(("h",)), forward_candidates=forward_candidates,
)
