"""One RNN step in PyTorch's layout, as CMU 11-785's mytorch writes it: tanh(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).

`RNNCell(input_size, hidden_size)` holds W_ih (H, D), W_hh (H, H) and two biases, b_ih and b_hh (H,), whose
gradients are the same; `forward(x, h_prev_t) -> h_t`. The course's `backward(delta, h_t, h_prev_l, h_prev_t) ->
(dx, dh_prev_t)` is handed the forward's output and inputs back, adds its weight gradients into dW_ih, dW_hh,
db_ih, db_hh (+=, zeroed by `zero_grad`) and averages them over the batch, as its writeup asks: such a backward is
judged so (`gradlab.conventions.step_classes`). The second volume's `RNN(Wx, Wh, b)` is kind rnn_step: one bias,
weights (in, out).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.recurrent_backward import WrongInput
from gradlab.kinds.recurrent_cells import Arrays, Cell, Grads, Site
from gradlab.kinds.rnn_step import RECURRENT_SCALES, draw_sizes, recurrent_params


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, D, H = spec["N"], spec["D"], spec["H"]
    x = values(rng, (N, D), spec)
    prev_h = np.tanh(rng.standard_normal((N, H)))
    p = recurrent_params(rng, D, H)
    # W_hh is square: drawn as Wh, stored transposed, so a dW_hh written as its transpose shows in its values
    return Case(x, None, {"prev_h": prev_h, "W_ih": np.ascontiguousarray(p["Wx"].T),
                          "W_hh": np.ascontiguousarray(p["Wh"].T), "b_ih": p["b"],
                          "b_hh": 0.5 * rng.standard_normal((H,))}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_sizes(draw, ("D", "H"))


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 3, "H": 5}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """h_t."""
    p = case.params
    return [np.tanh(case.x @ p["W_ih"].T + p["b_ih"] + p["prev_h"] @ p["W_hh"].T + p["b_hh"])]


def _forward(x: np.ndarray, state: tuple[np.ndarray, ...], p: Arrays, order: tuple[int, ...]) -> Arrays:
    a = x @ p["W_ih"].T + p["b_ih"] + state[0] @ p["W_hh"].T + p["b_hh"]
    return {"x": x, "prev_h": state[0], "a": a, "next_h": np.tanh(a)}


def _backward(arr: Arrays, F: Arrays, up: tuple[np.ndarray, ...], p: Arrays, order: tuple[int, ...]) -> Grads:
    da = up[0] * F["a"]
    return {"x": da @ p["W_ih"], "prev_h": da @ p["W_hh"], "W_ih": da.T @ arr["x"], "W_hh": da.T @ F["Wh_reads"],
            "b_ih": da.sum(axis=0), "b_hh": da.sum(axis=0)}


#: the cell as the wrong-input reading needs it (`gradlab.kinds.recurrent_cells`), in PyTorch's layout
CELL = Cell(_forward, _backward, (Site(np.tanh, "a", "next_h", "the new hidden state's tanh"),
                                  Site(None, "Wh_reads", "prev_h", "dW_hh's product",
                                       "a = x @ W_ih.T + b_ih + h_prev_t @ W_hh.T + b_hh")), ("prev_h",))


def sizes(case: Case) -> dict[str, int]:
    """RNNCell(input_size, hidden_size): the input's width and the state's."""
    return {"in": case.x.shape[1], "out": case.params["W_hh"].shape[0]}


KIND = Kind(
    "torch_rnn_cell", ("rnncell",), build, draw_shape, batch_spec,
    params=("prev_h", "W_ih", "W_hh", "b_ih", "b_hh"), batch_params=("prev_h",), forward_inputs=("prev_h",),
    scales=RECURRENT_SCALES, forward_candidates=forward_candidates, sizes=sizes,
    explain=WrongInput(CELL),
)
