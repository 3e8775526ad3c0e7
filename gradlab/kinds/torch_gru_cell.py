"""One GRU step in PyTorch's gate equations, a weight per gate, as CMU 11-785's mytorch writes it.

r = sigmoid(Wrx @ x + brx + Wrh @ h + brh), z = sigmoid(Wzx @ x + bzx + Wzh @ h + bzh),
n = tanh(Wnx @ x + bnx + r * (Wnh @ h + bnh)), h_t = (1 - z) * n + z * h.
`GRUCell(input_size, hidden_size)` holds six weights, Wrx, Wzx, Wnx (H, D) and Wrh, Wzh, Wnh (H, H), and six biases
(H,); `forward(x, h_prev_t) -> h_t` and `backward(delta) -> (dx, dh_prev_t)`, the gradients kept in dWrx ... dbnh.
The course's cell takes one sample, vectors without a batch axis (its forward asserts x.shape == (d,)): gradlab's
rows are then handed to it one at a time (`gradlab.conventions.unbatched`). gru_step is the packed layout (Wx holds
the gates side by side).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds import reset_after_gru_cell
from gradlab.kinds.common import values
from gradlab.kinds.recurrent_backward import WrongInput
from gradlab.kinds.rnn_shares import StepShares
from gradlab.kinds.rnn_step import RECURRENT_SCALES, draw_sizes

GATES = ("r", "z", "n")


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, D, H = spec["N"], spec["D"], spec["H"]
    x = values(rng, (N, D), spec)
    params: dict[str, np.ndarray] = {"prev_h": np.tanh(rng.standard_normal((N, H)))}
    for g in GATES:
        params[f"W{g}x"] = rng.standard_normal((H, D)) / np.sqrt(D)
    for g in GATES:
        params[f"W{g}h"] = rng.standard_normal((H, H)) / np.sqrt(H)
    for g in GATES:
        params[f"b{g}x"] = 0.5 * rng.standard_normal((H,))
    for g in GATES:
        params[f"b{g}h"] = 0.5 * rng.standard_normal((H,))
    return Case(x, None, params, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_sizes(draw, ("D", "H"))


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 3, "H": 4}


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def forward_candidates(case: Case) -> list[np.ndarray]:
    """h_t."""
    p, x = case.params, case.x
    h = p["prev_h"]
    r = _sigmoid(x @ p["Wrx"].T + p["brx"] + h @ p["Wrh"].T + p["brh"])
    z = _sigmoid(x @ p["Wzx"].T + p["bzx"] + h @ p["Wzh"].T + p["bzh"])
    n = np.tanh(x @ p["Wnx"].T + p["bnx"] + r * (h @ p["Wnh"].T + p["bnh"]))
    return [(1 - z) * n + z * h]


def sizes(case: Case) -> dict[str, int]:
    """GRUCell(input_size, hidden_size): the input's width and the state's."""
    return {"in": case.x.shape[1], "out": case.params["prev_h"].shape[1]}


KIND = Kind(
    "torch_gru_cell", ("grucell",), build, draw_shape, batch_spec,
    params=("prev_h", "Wrx", "Wzx", "Wnx", "Wrh", "Wzh", "Wnh", "brx", "bzx", "bnx", "brh", "bzh", "bnh"),
    batch_params=("prev_h",), forward_inputs=("prev_h",),
    scales=RECURRENT_SCALES, forward_candidates=forward_candidates, sizes=sizes,
    explain=StepShares(WrongInput(reset_after_gru_cell.CELL)),
)
