"""A bidirectional vanilla RNN over a whole sequence: one RNN reads it forwards, another backwards, and their
hidden states are joined, hs (N, T, 2H).

Names: `TimeBiRNN(Wx1, Wh1, b1, Wx2, Wh2, b2)`, in the manner of the second volume's TimeBiLSTM (`forward(xs)`,
`backward(dhs) -> dxs`, its `params`/`grads` the two inner layers' lists end to end), and `birnn_forward(x, Wx_f,
Wh_f, b_f, Wx_b, Wh_b, b_b) -> (hs, cache)` / `birnn_backward(dhs, cache) -> (dx, dWx_f, dWh_f, db_f, dWx_b, dWh_b,
db_b)`, each direction starting from zeros as TimeRNN does by default. A kind of its own rather than a generic
layer: its output's last axis is twice H, and each direction's weights are (D, H) and (H, H). dx is the sum of both
directions' dx, the second flipped back in time: dropping either, or leaving it unflipped, fails. T, D and H differ.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.rnn_step import RECURRENT_SCALES, draw_sizes, one_step_share, recurrent_params


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, D, H = spec["N"], spec["T"], spec["D"], spec["H"]
    x = values(rng, (N, T, D), spec)
    params = {f"{name}{k}": value for k in (1, 2) for name, value in recurrent_params(rng, D, H).items()}
    return Case(x, None, params, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    # two RNNs and six parameters, each step a Python loop: sizes kept as small as TimeBiLSTM's
    return draw_sizes(draw, ("T", "D", "H"), max_H=3, high=4)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 4, "D": 3, "H": 2}


def one_direction_step_share(case: Case, name: str, analytic: np.ndarray, numeric: np.ndarray, output: Any,
                              **_: Any) -> tuple[str, str] | None:
    """A direction's weight gradient that is one time step's share alone (`dWx = ...` where `+=` belongs), read as
    a vanilla RNN's is (`rnn_step.one_step_share`) on that direction's own sequence: x as it is for the first,
    reversed in time for the second, each with its half of the output and starting from zeros."""
    if len(name) < 3 or name[:2] not in ("Wx", "Wh") or name[2:] not in ("1", "2") or output.ndim != 3:
        return None
    H = output.shape[2] // 2
    ahead = name[2:] == "1"
    x, hs = (case.x, output[:, :, :H]) if ahead else (case.x[:, ::-1], output[:, ::-1, H:])
    one = Case(x, None, {}, {}, case.spec)
    return one_step_share(one, name[:2], analytic, numeric, hs)


KIND = Kind(
    # the second volume's naming only: a framework's `BiRNN`/`BidirectionalRNN` wraps two RNN layers it is given,
    # or keeps its weights in inner layers gradlab cannot read
    "birnn", ("timebirnn", "timebidirectionalrnn"), build, draw_shape, batch_spec,
    function_stems=("birnn", "bidirectional_rnn", "bi_rnn"), params=("Wx1", "Wh1", "b1", "Wx2", "Wh2", "b2"),
    scales=RECURRENT_SCALES, explain=one_direction_step_share,
)
