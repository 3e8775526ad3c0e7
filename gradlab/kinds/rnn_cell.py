"""deeplearning.ai's RNN cell (Course 5, week 1, "Building a Recurrent Neural Network Step by Step").

`rnn_cell_forward(xt, a_prev, parameters) -> (a_next, yt_pred, cache)` and `rnn_cell_backward(da_next, cache) ->
gradients`, a dict holding dxt, da_prev, dWax, dWaa and dba. Samples are columns: xt (n_x, m), a_prev (n_a, m),
`parameters` a dict of Wax (n_a, n_x), Waa (n_a, n_a), ba (n_a, 1) and the output layer's Wya (n_y, n_a), by (n_y, 1);
a_next = tanh(Wax @ xt + Waa @ a_prev + ba). gradlab holds the case in its own rows (`layout="columns"`,
`weights="out_in"` transpose it on the way), the parameters under the course's own names.

What is checked: a_next and its gradients. The course's cell backward is given da_next only and returns no dWya or
dby: the prediction yt_pred = softmax(Wya @ a_next + by) is not part of what it differentiates, so the cell is checked
on its a_next path, Wya and by are handed to forward as fixed values in the dict, and yt_pred is not looked at.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.rnn_step import RECURRENT_SCALES, draw_sizes, recurrent_params

#: the prediction's size: its weights are given to forward, never checked
N_Y = 2
#: what a check of this course's cells says it looked at
A_NEXT_ONLY = ("the cell's a_next path is checked (its backward is given da_next only); the prediction yt_pred and "
               "its Wya, by are not part of the course's cell backward and are not checked")


def output_weights(rng: np.random.Generator, H: int) -> dict[str, np.ndarray]:
    """The prediction's weights as the course's dict holds them, Wy (n_y, n_a) and by (n_y, 1): forward reads them,
    nothing checks them."""
    return {"Wy": rng.standard_normal((N_Y, H)) / np.sqrt(H), "by": rng.standard_normal((N_Y, 1))}


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, D, H = spec["N"], spec["D"], spec["H"]
    x = values(rng, (N, D), spec)
    a_prev = np.tanh(rng.standard_normal((N, H)))
    p = recurrent_params(rng, D, H)
    out = output_weights(rng, H)
    return Case(x, None, {"a_prev": a_prev, "Wax": p["Wx"], "Waa": p["Wh"], "ba": p["b"]},
                {"Wya": out["Wy"], "by": out["by"]}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_sizes(draw, ("D", "H"))


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 3, "H": 5}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """a_next, in gradlab's rows."""
    p = case.params
    return [np.tanh(case.x @ p["Wax"] + p["a_prev"] @ p["Waa"] + p["ba"])]


KIND = Kind(
    "rnn_cell", (), build, draw_shape, batch_spec,
    course_stems={"rnn_cell": {"layout": "columns", "weights": "out_in", "checked": "a_next"}},
    params=("a_prev", "Wax", "Waa", "ba"), batch_params=("a_prev",),
    param_dict="parameters", param_dict_keys={"Wya": "Wya", "by": "by"},
    scales=RECURRENT_SCALES, forward_candidates=forward_candidates,
)
