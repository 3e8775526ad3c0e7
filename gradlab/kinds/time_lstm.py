"""The textbook's second volume's TimeLSTM: an LSTM over a whole sequence, from zero h and c.

Names: `TimeLSTM(Wx, Wh, b, stateful=False)` with `forward(xs) -> hs` and `backward(dhs) -> dxs`,
gradients in its `grads = [dWx, dWh, db]` list: xs (N, T, D), Wx (D, 4H), Wh (H, 4H), b (4H,)
(the book's gates f, g, i, o; the order is the layer's own), hs (N, T, H). Checked with
`stateful=False` (its default): every forward starts from h = c = 0, so there is no h0 to
differentiate (CS231n's `lstm_forward` takes one: that is the lstm kind). The book computes hs in
float32 (`np.empty(..., dtype='f')`): it is judged at that precision. Some cases also build it with
`stateful=True` and call it twice: the second forward starts from the h and c the first left, and
`self.dh` must be the gradient of the carried h (c is carried as it was; the book keeps no dc). The
classic bugs are the lstm kind's, named the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import CarriedState, Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.lstm_step import GATE_ORDERS, lstm_step
from gradlab.kinds.recurrent_backward import WrongInput
from gradlab.kinds.recurrent_cells import LSTM
from gradlab.kinds.rnn_shares import StepShares
from gradlab.kinds.rnn_step import RECURRENT_SCALES, draw_sizes, one_step_share, recurrent_params
from gradlab.kinds.time_rnn import Run, carried_outputs, draw_stateful, stateful_hyper


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, D, H = spec["N"], spec["T"], spec["D"], spec["H"]
    return Case(values(rng, (N, T, D), spec), None, recurrent_params(rng, D, H, gates=4), stateful_hyper(spec), spec)


def _sequence(xs: np.ndarray, state: tuple[np.ndarray, np.ndarray], p: dict[str, np.ndarray],
              order: tuple[int, ...]) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    h, c = state
    hs = []
    for t in range(xs.shape[1]):
        h, c = lstm_step(xs[:, t], h, c, p, order)
        hs.append(h)
    return np.stack(hs, axis=1), (h, c)


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The hidden states in either published gate order, from the carried or from a zero state."""
    H = case.params["Wh"].shape[0]
    zero = (np.zeros((case.N, H)), np.zeros((case.N, H)))
    def in_order(order: tuple[int, ...]) -> Run:
        return lambda xs, state: _sequence(xs, state, case.params, order)

    return [out for order in GATE_ORDERS for out in carried_outputs(case, in_order(order), zero)]


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return {**draw_sizes(draw, ("T", "D", "H"), max_H=3), **draw_stateful(draw)}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 5, "D": 3, "H": 2}


KIND = Kind(
    "time_lstm", ("timelstm",), build, draw_shape, batch_spec,
    params=("Wx", "Wh", "b"), scales=RECURRENT_SCALES,
    explain=StepShares(WrongInput(LSTM, sequence=True, first=one_step_share)),
    forward_candidates=forward_candidates, carried_state=CarriedState(("h", "c")),
)
