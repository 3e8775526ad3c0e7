"""A vanilla RNN over a whole sequence: h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b), from h0.

Names: `rnn_forward/backward(x, h0, Wx, Wh, b)` (CS231n assignment 3): x (N, T, D), h0 (N, H),
output h (N, T, H); backward returns (dx, dh0, dWx, dWh, db). The classic bugs: dWx or dWh
overwritten at each step instead of accumulated over time, and the gradient arriving through the
hidden state from step t+1 dropped (both `dropped-term`). T, D and H differ from each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.recurrent_backward import WrongInput
from gradlab.kinds.recurrent_cells import RNN
from gradlab.kinds.rnn_shares import StepShares
from gradlab.kinds.rnn_step import RECURRENT_SCALES, draw_sizes, one_step_share, recurrent_params


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, D, H = spec["N"], spec["T"], spec["D"], spec["H"]
    x = values(rng, (N, T, D), spec)
    h0 = np.tanh(rng.standard_normal((N, H)))
    return Case(x, None, {"h0": h0, **recurrent_params(rng, D, H)}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_sizes(draw, ("T", "D", "H"))


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 5, "D": 3, "H": 2}


KIND = Kind(
    "rnn", (), build, draw_shape, batch_spec,
    function_stems=("rnn",), params=("h0", "Wx", "Wh", "b"), batch_params=("h0",), scales=RECURRENT_SCALES,
    explain=StepShares(WrongInput(RNN, sequence=True, first=one_step_share)),
)
