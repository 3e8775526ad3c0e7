"""The second volume's TimeBiLSTM: one TimeLSTM reads the sequence forwards, another backwards, and
their hidden states are joined: hs (N, T, 2H).

Names: `TimeBiLSTM(Wx1, Wh1, b1, Wx2, Wh2, b2, stateful=False)` with `forward(xs)` and
`backward(dhs) -> dxs`, its `params`/`grads` lists the two inner layers' lists end to end. dxs is the
sum of the two directions' dx, the second flipped back in time; dropping either is `dropped-term`.
Checked with `stateful=False`, its default. T, D and H differ.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.rnn_step import RECURRENT_SCALES, draw_sizes, recurrent_params


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, D, H = spec["N"], spec["T"], spec["D"], spec["H"]
    x = values(rng, (N, T, D), spec)
    params = {f"{name}{k}": value for k in (1, 2) for name, value in recurrent_params(rng, D, H, gates=4).items()}
    return Case(x, None, params, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    # two LSTMs and six parameters: sizes kept small so that its checks cost what one LSTM's do
    return draw_sizes(draw, ("T", "D", "H"), max_H=3, high=4)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 4, "D": 3, "H": 2}


KIND = Kind(
    "time_bilstm", ("timebilstm",), build, draw_shape, batch_spec,
    params=("Wx1", "Wh1", "b1", "Wx2", "Wh2", "b2"), scales=RECURRENT_SCALES,
)
