"""deeplearning.ai's RNN over a sequence (Course 5, week 1): `rnn_forward(x, a0, parameters) -> (a, y_pred, caches)`
and `rnn_backward(da, caches) -> gradients`, a dict holding dx, da0, dWax, dWaa and dba.

The course's layout puts the features first and the samples second: x (n_x, m, T_x), a0 (n_a, m), a (n_a, m, T_x);
the weights are its cell's (`gradlab.kinds.rnn_cell`), Wax (n_a, n_x), Waa (n_a, n_a), ba (n_a, 1), in one
`parameters` dict with the prediction's Wya and by. gradlab keeps the samples first in its cases, x (N, T, D) and a0
(N, H), and the weights as the course writes them; `gradlab.conventions.function_inputs.WeightsDictLayer` moves the
axes on the way. As for the cell, the predictions y_pred are not checked: the course's backward is given da only.
The course's classic slip, the gradient from step t + 1 not added to da[:, :, t] (`rnn_cell_backward(da_prevt,
...)`), is a dropped path through the hidden state: `dropped-term`; so is a weight's gradient overwritten at each step
(`explain`, read as for CS231n's sequence).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.rnn_cell import output_weights
from gradlab.kinds.rnn_step import RECURRENT_SCALES, draw_sizes, one_step_share, recurrent_params

#: the course's weights and the CS231n names the step-share reading knows them by
_ROW_NAMES = {"Wax": "Wx", "Waa": "Wh"}


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, D, H = spec["N"], spec["T"], spec["D"], spec["H"]
    x = values(rng, (N, T, D), spec)
    a0 = np.tanh(rng.standard_normal((N, H)))
    p = recurrent_params(rng, D, H)
    out = output_weights(rng, H)
    # the weights as the course holds them: Wax @ x_t, Waa @ a_prev, ba a column
    return Case(x, None, {"a0": a0, "Wax": p["Wx"].T.copy(), "Waa": p["Wh"].T.copy(), "ba": p["b"].reshape(H, 1)},
                {"Wya": out["Wy"], "by": out["by"]}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_sizes(draw, ("T", "D", "H"))


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 4, "D": 3, "H": 2}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The hidden states (N, T, H), samples first as gradlab holds them."""
    p = case.params
    a, states = p["a0"], []
    for t in range(case.x.shape[1]):
        a = np.tanh(case.x[:, t] @ p["Wax"].T + a @ p["Waa"].T + p["ba"].T)
        states.append(a)
    return [np.stack(states, axis=1)]


def explain(case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray,
            out: np.ndarray) -> tuple[str, str] | None:
    """A weight's gradient that is one time step's share alone (`dWaa = gradients["dWaa"]` where += belongs), read
    as for CS231n's sequence (`gradlab.kinds.rnn_step.one_step_share`) on the weights turned to its (in, out) order."""
    if target not in _ROW_NAMES or np.ndim(analytic) != 2:
        return None
    rows = replace(case, params={"h0": case.params["a0"]})
    said = one_step_share(rows, _ROW_NAMES[target], np.asarray(analytic).T, np.asarray(numeric).T, out)
    return None if said is None else (said[0], said[1].replace(f"d{_ROW_NAMES[target]}", f"d{target}"))


KIND = Kind(
    "rnn_sequence", (), build, draw_shape, batch_spec,
    course_stems={"rnn": {"checked": "a"}}, params=("a0", "Wax", "Waa", "ba"), batch_params=("a0",),
    param_dict="parameters", param_dict_keys={"Wya": "Wya", "by": "by"},
    scales=RECURRENT_SCALES, forward_candidates=forward_candidates, explain=explain,
)
