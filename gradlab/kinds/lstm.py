"""An LSTM over a whole sequence, from h0 and a zero initial cell state.

Names: `lstm_forward/backward(x, h0, Wx, Wh, b)` (CS231n assignment 3): x (N, T, D), h0 (N, H), Wx
(D, 4H), Wh (H, 4H), b (4H,), output h (N, T, H); backward returns (dx, dh0, dWx, dWh, db). The
gates' order inside the 4H columns is the layer's own choice: the check differentiates whatever the
forward computes (the grader compares the forward with CS231n's i, f, o, g order). The classic bugs:
weight gradients overwritten instead of accumulated over time, dh or dc from the next step dropped,
the cell path without the forget gate. T, D and H differ from each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.lstm_step import sequence_candidates
from gradlab.kinds.recurrent_backward import WrongInput
from gradlab.kinds.recurrent_cells import LSTM
from gradlab.kinds.rnn_shares import StepShares
from gradlab.kinds.rnn_step import RECURRENT_SCALES, draw_sizes, one_step_share, recurrent_params


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, D, H = spec["N"], spec["T"], spec["D"], spec["H"]
    x = values(rng, (N, T, D), spec)
    h0 = np.tanh(rng.standard_normal((N, H)))
    return Case(x, None, {"h0": h0, **recurrent_params(rng, D, H, gates=4)}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_sizes(draw, ("T", "D", "H"), max_H=3)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 5, "D": 3, "H": 2}


KIND = Kind(
    "lstm", (), build, draw_shape, batch_spec,
    function_stems=("lstm",), params=("h0", "Wx", "Wh", "b"), batch_params=("h0",), scales=RECURRENT_SCALES,
    explain=StepShares(WrongInput(LSTM, sequence=True, first=one_step_share)), forward_candidates=sequence_candidates,
)
