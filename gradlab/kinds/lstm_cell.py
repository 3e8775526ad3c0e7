"""deeplearning.ai's LSTM cell (Course 5, week 1, "Building a Recurrent Neural Network Step by Step").

`lstm_cell_forward(xt, a_prev, c_prev, parameters) -> (a_next, c_next, yt_pred, cache)` and `lstm_cell_backward(
da_next, dc_next, cache) -> gradients`, a dict holding dxt, da_prev, dc_prev and dWf, dbf, dWi, dbi, dWc, dbc, dWo, dbo.
Samples are columns: xt (n_x, m), a_prev and c_prev (n_a, m); each gate has its own weights acting on the stack
concat = [a_prev; xt], W* (n_a, n_a + n_x) and b* (n_a, 1): ft, it, ot sigmoids, cct = tanh(Wc @ concat + bc),
c_next = ft * c_prev + it * cct, a_next = ot * tanh(c_next). gradlab holds the case in its own rows (the column
layout with `weights="out_in"` transposes it on the way) and sees the two outputs stacked, [a_next; c_next], handing
backward the two halves of its upstream gradient. As for the RNN cell (`gradlab.kinds.rnn_cell`), the prediction
yt_pred and its Wy, by are given to forward and not checked: the course's cell backward does not differentiate them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.rnn_cell import output_weights
from gradlab.kinds.rnn_step import RECURRENT_SCALES, draw_sizes

#: the gates in the order of the course's dict (f, i, c, o), each a weight and a bias
GATES = ("f", "i", "c", "o")
#: what a check of this cell says it looked at
A_AND_C = ("a_next and c_next are checked (its backward is given da_next and dc_next); the prediction yt_pred and its "
           "Wy, by are not part of the course's cell backward and are not checked")


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, D, H = spec["N"], spec["D"], spec["H"]
    x = values(rng, (N, D), spec)
    params: dict[str, np.ndarray] = {"a_prev": np.tanh(rng.standard_normal((N, H))),
                                     "c_prev": rng.standard_normal((N, H))}
    for gate in GATES:  # rows: concat (N, H + D) @ W (H + D, H); the course's W is its transpose
        params[f"W{gate}"] = rng.standard_normal((H + D, H)) / np.sqrt(H + D)
        params[f"b{gate}"] = 0.5 * rng.standard_normal((H,))
    out = output_weights(rng, H)
    return Case(x, None, params, {"Wy": out["Wy"], "by": out["by"]}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    # H <= 3 as for CS231n's step: four (H + D, H) weights stay small enough for plain central differences
    return draw_sizes(draw, ("D", "H"), max_H=3)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 3, "H": 4}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """[a_next, c_next] in gradlab's rows."""
    p = case.params
    concat = np.concatenate([p["a_prev"], case.x], axis=1)
    f, i, o = (1.0 / (1.0 + np.exp(-(concat @ p[f"W{g}"] + p[f"b{g}"]))) for g in ("f", "i", "o"))
    c_next = f * p["c_prev"] + i * np.tanh(concat @ p["Wc"] + p["bc"])
    return [np.concatenate([o * np.tanh(c_next), c_next], axis=1)]


KIND = Kind(
    "lstm_cell", (), build, draw_shape, batch_spec,
    course_stems={"lstm_cell": {"layout": "columns", "weights": "out_in", "checked": "a_next, c_next"}},
    params=("a_prev", "c_prev", *(f"{w}{g}" for g in GATES for w in ("W", "b"))), batch_params=("a_prev", "c_prev"),
    param_dict="parameters", param_dict_keys={"Wy": "Wy", "by": "by"},
    scales=RECURRENT_SCALES, forward_candidates=forward_candidates,
)
