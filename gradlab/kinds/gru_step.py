"""One GRU step: z and r gates, a candidate h_hat from r * prev_h, next_h = (1 - z) * prev_h + z * h_hat.

Names: the textbook's second volume's `GRU(Wx, Wh, b)` with `forward(x, h_prev) -> h_next` and
`backward(dh_next) -> (dx, dh_prev)`, gradients in its `grads = [dWx, dWh, db]` list: x (N, D), h_prev
(N, H), Wx (D, 3H), Wh (H, 3H), b (3H,); in CS231n's function convention, `gru_step_forward/backward(x, prev_h,
Wx, Wh, b)`, backward returning (dx, dprev_h, dWx, dWh, db). The previous state is a forward argument
(`Kind.forward_inputs`), checked and differentiated as the weights are. D and H differ.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds import reset_after_gru_cell
from gradlab.kinds.common import values
from gradlab.kinds.recurrent_backward import WrongInput
from gradlab.kinds.recurrent_cells import GRU
from gradlab.kinds.rnn_shares import StepShares
from gradlab.kinds.rnn_step import RECURRENT_SCALES, draw_sizes, recurrent_params


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, D, H = spec["N"], spec["D"], spec["H"]
    x = values(rng, (N, D), spec)
    prev_h = np.tanh(rng.standard_normal((N, H)))
    return Case(x, None, {"prev_h": prev_h, **recurrent_params(rng, D, H, gates=3)}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_sizes(draw, ("D", "H"), max_H=3)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 3, "H": 2}


KIND = Kind(
    "gru_step", ("gru",), build, draw_shape, batch_spec, function_stems=("gru_step",),
    params=("prev_h", "Wx", "Wh", "b"), batch_params=("prev_h",), forward_inputs=("prev_h",),
    optional_params=("b",),
    scales=RECURRENT_SCALES, explain=StepShares(WrongInput(GRU, others=(reset_after_gru_cell.CELL,))),
)
