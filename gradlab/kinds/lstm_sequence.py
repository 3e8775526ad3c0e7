"""deeplearning.ai's LSTM over a sequence (Course 5, week 1): `lstm_forward(x, a0, parameters) -> (a, y, c, caches)`
and `lstm_backward(da, caches) -> gradients`, a dict holding dx, da0 and dWf, dbf, dWi, dbi, dWc, dbc, dWo, dbo.

The layout of the course's RNN sequence (`gradlab.kinds.rnn_sequence`): x (n_x, m, T_x), a0 (n_a, m), the hidden
states a (n_a, m, T_x), held by gradlab with the samples first; the weights are its LSTM cell's
(`gradlab.kinds.lstm_cell`), W* (n_a, n_a + n_x) on [a_prev; xt] and b* (n_a, 1), as the course writes them. The
cell state starts at zeros. Checked: the hidden states a, the only output the course's backward takes a gradient
for (its y and c are not).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.lstm_cell import GATES
from gradlab.kinds.rnn_cell import output_weights
from gradlab.kinds.rnn_step import RECURRENT_SCALES, draw_sizes


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, D, H = spec["N"], spec["T"], spec["D"], spec["H"]
    x = values(rng, (N, T, D), spec)
    params: dict[str, np.ndarray] = {"a0": np.tanh(rng.standard_normal((N, H)))}
    for gate in GATES:
        params[f"W{gate}"] = rng.standard_normal((H, H + D)) / np.sqrt(H + D)
        params[f"b{gate}"] = 0.5 * rng.standard_normal((H, 1))
    out = output_weights(rng, H)
    return Case(x, None, params, {"Wy": out["Wy"], "by": out["by"]}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    # H <= 3, as for the cell: four (H, H + D) weights stay small enough for plain central differences
    return draw_sizes(draw, ("T", "D", "H"), max_H=3)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 4, "D": 3, "H": 2}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The hidden states (N, T, H), samples first as gradlab holds them."""
    p = case.params
    a, c, states = p["a0"], np.zeros_like(p["a0"]), []
    for t in range(case.x.shape[1]):
        concat = np.concatenate([a, case.x[:, t]], axis=1)
        f, i, o = (1.0 / (1.0 + np.exp(-(concat @ p[f"W{g}"].T + p[f"b{g}"].T))) for g in ("f", "i", "o"))
        c = f * c + i * np.tanh(concat @ p["Wc"].T + p["bc"].T)
        a = o * np.tanh(c)
        states.append(a)
    return [np.stack(states, axis=1)]


KIND = Kind(
    "lstm_sequence", (), build, draw_shape, batch_spec,
    course_stems={"lstm": {"checked": "a"}},
    params=("a0", *(f"{w}{g}" for g in GATES for w in ("W", "b"))), batch_params=("a0",),
    param_dict="parameters", param_dict_keys={"Wy": "Wy", "by": "by"},
    scales=RECURRENT_SCALES, forward_candidates=forward_candidates,
)
