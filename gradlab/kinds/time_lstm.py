"""The textbook's second volume's TimeLSTM: an LSTM over a whole sequence, from zero h and c.

Names: `TimeLSTM(Wx, Wh, b, stateful=False)` with `forward(xs) -> hs` and `backward(dhs) -> dxs`,
gradients in its `grads = [dWx, dWh, db]` list: xs (N, T, D), Wx (D, 4H), Wh (H, 4H), b (4H,)
(the book's gates f, g, i, o; the order is the layer's own), hs (N, T, H). Checked with
`stateful=False` (its default): every forward starts from h = c = 0, so there is no h0 to
differentiate (CS231n's `lstm_forward` takes one: that is the lstm kind). The book computes hs in
float32 (`np.empty(..., dtype='f')`): it is judged at that precision. The classic bugs are the lstm
kind's, named the same way.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.lstm_step import sequence_candidates
from gradlab.kinds.rnn_step import RECURRENT_SCALES, draw_sizes, one_step_share, recurrent_params


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, D, H = spec["N"], spec["T"], spec["D"], spec["H"]
    return Case(values(rng, (N, T, D), spec), None, recurrent_params(rng, D, H, gates=4), {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_sizes(draw, ("T", "D", "H"), max_H=3)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 5, "D": 3, "H": 2}


KIND = Kind(
    "time_lstm", ("timelstm",), build, draw_shape, batch_spec,
    params=("Wx", "Wh", "b"), scales=RECURRENT_SCALES, explain=one_step_share,
    forward_candidates=sequence_candidates,
)
