"""The textbook's second volume's TimeGRU: a GRU over a whole sequence, from a zero state.

Names: `TimeGRU(Wx, Wh, b, stateful=False)` with `forward(xs) -> hs` and `backward(dhs) -> dxs`,
gradients in its `grads = [dWx, dWh, db]` list: xs (N, T, D), Wx (D, 3H), Wh (H, 3H), b (3H,), hs
(N, T, H). Checked with `stateful=False` (its default): every forward starts from h = 0. A weight
gradient that is one time step's share alone is named as the other recurrent kinds name it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.rnn_step import RECURRENT_SCALES, draw_sizes, one_step_share, recurrent_params


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, D, H = spec["N"], spec["T"], spec["D"], spec["H"]
    return Case(values(rng, (N, T, D), spec), None, recurrent_params(rng, D, H, gates=3), {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_sizes(draw, ("T", "D", "H"), max_H=3)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 5, "D": 3, "H": 2}


KIND = Kind(
    "time_gru", ("timegru",), build, draw_shape, batch_spec,
    params=("Wx", "Wh", "b"), scales=RECURRENT_SCALES, explain=one_step_share,
)
