"""One LSTM step: gates from x @ Wx + prev_h @ Wh + b, next_c = f * prev_c + i * g, next_h = o * tanh(next_c).

Names: `lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b) -> (next_h, next_c, cache)` and
`lstm_step_backward(dnext_h, dnext_c, cache) -> (dx, dprev_h, dprev_c, dWx, dWh, db)` (CS231n
assignment 3). Two outputs: gradlab sees them joined along the last axis, (N, 2H) = [next_h, next_c],
and hands backward the two halves of its upstream gradient (`Kind.outputs`). The gates' order inside
the 4H columns is the layer's own choice (CS231n: i, f, o, g; the textbook's second volume: f, g, i, o).
A dprev_c that is dnext_c's path without the forget gate (`dprev_c = dc`, not `dc * f`) is named so; a gate's or the
cell state's derivative evaluated at the wrong array is `wrong-input` (`gradlab.kinds.recurrent_backward`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.recurrent_backward import WrongInput
from gradlab.kinds.recurrent_cells import LSTM
from gradlab.kinds.rnn_step import RECURRENT_SCALES, draw_sizes, recurrent_params

#: how close analytic * f must come to numeric for a dprev_c to be "the forget gate left out"
FORGET_RTOL = 1e-6


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, D, H = spec["N"], spec["D"], spec["H"]
    x = values(rng, (N, D), spec)
    prev_h = np.tanh(rng.standard_normal((N, H)))
    prev_c = rng.standard_normal((N, H))
    return Case(x, None, {"prev_h": prev_h, "prev_c": prev_c, **recurrent_params(rng, D, H, gates=4)}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_sizes(draw, ("D", "H"), max_H=3)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 3, "H": 5}


#: the published gate orders of the 4H columns, as the positions of (i, f, o, g): CS231n's i, f, o, g
#: and the textbook's f, g, i, o
GATE_ORDERS = ((0, 1, 2, 3), (2, 0, 3, 1))


def lstm_step(x: np.ndarray, h: np.ndarray, c: np.ndarray, p: dict[str, np.ndarray],
              order: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step in a given gate order: (next_h, next_c)."""
    H = h.shape[1]
    a = x @ p["Wx"] + h @ p["Wh"] + p["b"]
    i, f, o, g = (a[:, k * H:(k + 1) * H] for k in order)
    next_c = c / (1 + np.exp(-f)) + np.tanh(g) / (1 + np.exp(-i))
    return np.tanh(next_c) / (1 + np.exp(-o)), next_c


def lstm_sequence(case: Case, order: tuple[int, ...]) -> np.ndarray:
    """A whole sequence's hidden states (N, T, H), from h0 (zeros without one) and a zero cell state."""
    N, T, _ = case.x.shape
    H = case.params["Wh"].shape[0]
    h = case.params.get("h0", np.zeros((N, H)))
    c = np.zeros((N, H))
    hs = []
    for t in range(T):
        h, c = lstm_step(case.x[:, t], h, c, case.params, order)
        hs.append(h)
    return np.stack(hs, axis=1)


def step_candidates(case: Case) -> list[np.ndarray]:
    """The grader accepts the step's [next_h, next_c] in either published gate order."""
    p = case.params
    return [np.concatenate(lstm_step(case.x, p["prev_h"], p["prev_c"], p, order), axis=1) for order in GATE_ORDERS]


def sequence_candidates(case: Case) -> list[np.ndarray]:
    """The grader accepts a sequence's hidden states in either published gate order."""
    return [lstm_sequence(case, order) for order in GATE_ORDERS]


def forget_gates(case: Case) -> list[np.ndarray]:
    """The forget gate f of the case's step in each published gate order (CS231n's i, f, o, g puts it
    second, the textbook's f, g, i, o first)."""
    p = case.params
    a = case.x @ p["Wx"] + p["prev_h"] @ p["Wh"] + p["b"]
    H = p["prev_h"].shape[1]
    return [1.0 / (1.0 + np.exp(-a[:, k * H:(k + 1) * H])) for k in (1, 0)]


def explain(case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray,
            out: np.ndarray) -> tuple[str, str] | None:
    """dprev_c that is numeric / f: the cell path's gradient without the forget gate."""
    if target != "prev_c":
        return None
    scale = FORGET_RTOL * max(float(np.abs(numeric).max(initial=0.0)), 1e-300)
    for f in forget_gates(case):
        if f.shape == analytic.shape and float(np.abs(analytic * f - numeric).max(initial=0.0)) <= scale:
            return ("dropped-term", "dprev_c is the cell state's gradient without the forget gate: next_c = f * "
                    "prev_c + i * g, so the cell path carries dc * f back to prev_c, not dc")
    return None


KIND = Kind(
    "lstm_step", ("lstm",), build, draw_shape, batch_spec,
    function_stems=("lstm_step",), params=("prev_h", "prev_c", "Wx", "Wh", "b"), batch_params=("prev_h", "prev_c"),
    forward_inputs=("prev_h", "prev_c"),
    outputs=("next_h", "next_c"), scales=RECURRENT_SCALES, explain=WrongInput(LSTM, first=explain),
    forward_candidates=step_candidates,
)
