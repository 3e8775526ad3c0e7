"""The recurrent cells as the wrong-input reading needs them (`gradlab.kinds.recurrent_backward`): each
cell's forward arrays and its exact backward computed from derivative factors, so that every tanh' and
sigmoid' (and a product's other factor) can be evaluated at a chosen array.
Cells: the RNN step, the LSTM step in both published gate orders (CS231n's i, f, o, g; the textbook's
f, g, i, o), the textbook's GRU step (gates z, r, h); PyTorch's GRU is `gradlab.kinds.reset_after_gru_cell`.
Non-goal: reading a layer's gradient (that is `recurrent_backward`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Arrays = dict[str, np.ndarray]
Grads = dict[str, np.ndarray]


@dataclass(frozen=True)
class Site:
    """One place a cell's backward multiplies by a local derivative. Where the cell applies an activation,
    `pre` is the array it is applied to and `post` its output; where a product's derivative is the other factor
    (next_c = f * prev_c + i * g: dnext_c/df = prev_c), `activation` is None, `post` the array that belongs
    there, `pre` the place's own key and `law` the product."""

    #: np.tanh or this module's sigmoid (the functions, not their names: a kind's name is its module's own)
    activation: Callable[[np.ndarray], np.ndarray] | None
    pre: str
    post: str
    what: str  # in words, for the sentence
    law: str = ""
    #: a product's factor that is an activation's output (next_h = o * tanh(next_c)): that activation, so that the
    #: "pre" form computes it again from another array (tanh(prev_c) where tanh(next_c) belongs)
    of: Callable[[np.ndarray], np.ndarray] | None = None

    def factor(self, form: str, u: np.ndarray) -> np.ndarray:
        """The derivative as written from array u: the "post" form takes the activation's output (1 - y**2,
        y * (1 - y)), the "pre" form its argument (1 - tanh(a)**2, sigmoid(a) * (1 - sigmoid(a))); a product's
        factor is u itself (or, in the "pre" form, its activation `of` u)."""
        if self.activation is None:
            return self.of(u) if form == "pre" and self.of is not None else u
        if form == "pre":
            u = self.activation(u)
        return 1.0 - u ** 2 if self.activation is np.tanh else u * (1.0 - u)

    def formula(self, form: str, name: str) -> str:
        name = name.replace("tanh(", "np.tanh(")
        if self.activation is None:
            return f"np.tanh({name})" if form == "pre" and self.of is np.tanh else name
        if form == "pre":
            name = f"np.tanh({name})" if self.activation is np.tanh else f"{self.name}({name})"
        return f"1 - {name}**2" if self.activation is np.tanh else f"{name} * (1 - {name})"

    @property
    def name(self) -> str:
        return "" if self.activation is None else self.activation.__name__


@dataclass(frozen=True)
class Hypothesis:
    """The derivative at `sites` written in `form` from the arrays named `arrays` (one per site: a helper such
    as `dsigmoid(a)` called for every gate reads each gate's own array of that role)."""

    sites: tuple[Site, ...]
    form: str
    arrays: tuple[str, ...]


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


# --- the cells: forward arrays, and the backward from derivative factors --------------------------------

RNN_SITES = (Site(np.tanh, "a", "next_h", "the new hidden state's tanh"),
             Site(None, "Wh_reads", "prev_h", "dWh's product", "a = x @ Wx + prev_h @ Wh + b"))


def rnn_forward(x: np.ndarray, state: tuple[np.ndarray, ...], p: Arrays, order: tuple[int, ...]) -> Arrays:
    a = x @ p["Wx"] + state[0] @ p["Wh"] + p["b"]
    return {"x": x, "prev_h": state[0], "a": a, "next_h": np.tanh(a)}


def rnn_backward(arr: Arrays, F: Arrays, up: tuple[np.ndarray, ...], p: Arrays, order: tuple[int, ...]) -> Grads:
    da = up[0] * F["a"]
    return {"x": da @ p["Wx"].T, "prev_h": da @ p["Wh"].T, "Wx": arr["x"].T @ da, "Wh": F["Wh_reads"].T @ da,
            "b": da.sum(axis=0)}


#: the LSTM's gates by the position of (i, f, o, g) in the 4H columns: CS231n's i, f, o, g, the textbook's f, g, i, o
LSTM_ORDERS = ((0, 1, 2, 3), (2, 0, 3, 1))
LSTM_SITES = (Site(sigmoid, "a_i", "i", "the input gate's sigmoid"),
              Site(sigmoid, "a_f", "f", "the forget gate's sigmoid"),
              Site(sigmoid, "a_o", "o", "the output gate's sigmoid"),
              Site(np.tanh, "a_g", "g", "the candidate g's tanh"),
              Site(np.tanh, "next_c", "tanh(next_c)", "the cell state's tanh"),
              Site(None, "di", "g", "the input gate's gradient", "next_c = f * prev_c + i * g"),
              Site(None, "df", "prev_c", "the forget gate's gradient", "next_c = f * prev_c + i * g"),
              Site(None, "dg", "i", "the candidate g's gradient", "next_c = f * prev_c + i * g"),
              Site(None, "dprev_c", "f", "dprev_c", "next_c = f * prev_c + i * g"),
              Site(None, "do", "tanh(next_c)", "the output gate's gradient", "next_h = o * tanh(next_c)", np.tanh),
              Site(None, "dtanh_c", "o", "the cell state's path from next_h", "next_h = o * tanh(next_c)"),
              Site(None, "Wh_reads", "prev_h", "dWh's product", "a = x @ Wx + prev_h @ Wh + b"))


def lstm_forward(x: np.ndarray, state: tuple[np.ndarray, ...], p: Arrays, order: tuple[int, ...]) -> Arrays:
    h, c = state
    H = h.shape[1]
    a = x @ p["Wx"] + h @ p["Wh"] + p["b"]
    arr = {"x": x, "prev_h": h, "prev_c": c}
    for gate, k in zip("ifog", order):
        arr[f"a_{gate}"] = a[:, k * H:(k + 1) * H]
    arr.update(i=sigmoid(arr["a_i"]), f=sigmoid(arr["a_f"]), o=sigmoid(arr["a_o"]), g=np.tanh(arr["a_g"]))
    arr["next_c"] = arr["f"] * c + arr["i"] * arr["g"]
    arr["tanh(next_c)"] = np.tanh(arr["next_c"])
    arr["next_h"] = arr["o"] * arr["tanh(next_c)"]
    return arr


def lstm_backward(arr: Arrays, F: Arrays, up: tuple[np.ndarray, ...], p: Arrays, order: tuple[int, ...]) -> Grads:
    dh, dc = up
    ds = dc + dh * F["dtanh_c"] * F["next_c"]
    by_gate = {"i": ds * F["di"] * F["a_i"], "f": ds * F["df"] * F["a_f"],
               "o": dh * F["do"] * F["a_o"], "g": ds * F["dg"] * F["a_g"]}
    da = np.hstack([by_gate["ifog"[order.index(k)]] for k in range(4)])
    return {"x": da @ p["Wx"].T, "prev_h": da @ p["Wh"].T, "prev_c": ds * F["dprev_c"], "Wx": arr["x"].T @ da,
            "Wh": F["Wh_reads"].T @ da, "b": da.sum(axis=0)}


GRU_SITES = (Site(sigmoid, "a_z", "z", "the update gate's sigmoid"),
             Site(sigmoid, "a_r", "r", "the reset gate's sigmoid"),
             Site(np.tanh, "a_h", "h_hat", "the candidate h_hat's tanh"),
             Site(None, "dh_hat", "z", "the candidate h_hat's gradient", "next_h = (1 - z) * prev_h + z * h_hat"),
             Site(None, "dr", "prev_h", "the reset gate's gradient", "h_hat = tanh(x @ Wxh + (r * prev_h) @ Whh + bh)"),
             Site(None, "dprev_h_r", "r", "dprev_h's path through the candidate",
                  "h_hat = tanh(x @ Wxh + (r * prev_h) @ Whh + bh)"),
             Site(None, "Wh_gates_read", "prev_h", "dWh's product for the gates z and r",
                  "a_z, a_r = x @ Wx + prev_h @ Wh + b, each gate's block"),
             Site(None, "Wh_candidate_reads", "r * prev_h", "dWh's product for the candidate",
                  "h_hat = tanh(x @ Wxh + (r * prev_h) @ Whh + bh)"))


def gru_forward(x: np.ndarray, state: tuple[np.ndarray, ...], p: Arrays, order: tuple[int, ...]) -> Arrays:
    h = state[0]
    H = h.shape[1]
    Wx, Wh, b = p["Wx"], p["Wh"], p.get("b", np.zeros(3 * H))
    arr = {"x": x, "prev_h": h, "a_z": x @ Wx[:, :H] + h @ Wh[:, :H] + b[:H],
           "a_r": x @ Wx[:, H:2 * H] + h @ Wh[:, H:2 * H] + b[H:2 * H]}
    arr.update(z=sigmoid(arr["a_z"]), r=sigmoid(arr["a_r"]))
    arr["r * prev_h"] = arr["r"] * h
    arr["a_h"] = x @ Wx[:, 2 * H:] + arr["r * prev_h"] @ Wh[:, 2 * H:] + b[2 * H:]
    arr["h_hat"] = np.tanh(arr["a_h"])
    arr["next_h"] = (1 - arr["z"]) * h + arr["z"] * arr["h_hat"]
    return arr


def gru_backward(arr: Arrays, F: Arrays, up: tuple[np.ndarray, ...], p: Arrays, order: tuple[int, ...]) -> Grads:
    dh, h, z = up[0], arr["prev_h"], arr["z"]
    H = h.shape[1]
    Wh = p["Wh"]
    da_h = dh * F["dh_hat"] * F["a_h"]
    d_rh = da_h @ Wh[:, 2 * H:].T  # the candidate saw r * prev_h
    da_z = dh * (arr["h_hat"] - h) * F["a_z"]
    da_r = d_rh * F["dr"] * F["a_r"]
    da = np.hstack([da_z, da_r, da_h])
    return {"x": da @ p["Wx"].T,
            "prev_h": dh * (1 - z) + d_rh * F["dprev_h_r"] + da_z @ Wh[:, :H].T + da_r @ Wh[:, H:2 * H].T,
            "Wx": arr["x"].T @ da, "Wh": np.hstack([F["Wh_gates_read"].T @ da_z, F["Wh_gates_read"].T @ da_r,
                                                     F["Wh_candidate_reads"].T @ da_h]),
            "b": da.sum(axis=0)}


def gru_paths(arr: Arrays, F: Arrays, up: tuple[np.ndarray, ...], p: Arrays,
              order: tuple[int, ...]) -> dict[str, list[tuple[str, np.ndarray]]]:
    """The GRU step's dh_prev and dx split into the paths that add up to them (`gru_backward`, summed there), each
    with what the textbook's backward calls it."""
    dh, h, z = up[0], arr["prev_h"], arr["z"]
    H = h.shape[1]
    Wx, Wh = p["Wx"], p["Wh"]
    da_h = dh * F["dh_hat"] * F["a_h"]
    d_rh = da_h @ Wh[:, 2 * H:].T
    da_z = dh * (arr["h_hat"] - h) * F["a_z"]
    da_r = d_rh * F["dr"] * F["a_r"]
    return {"prev_h": [("dh_next * (1 - z)", dh * (1 - z)), ("r * dhr", d_rh * F["dprev_h_r"]),
                       ("dz @ Whz.T", da_z @ Wh[:, :H].T), ("dr @ Whr.T", da_r @ Wh[:, H:2 * H].T)],
            "x": [("dz @ Wxz.T", da_z @ Wx[:, :H].T), ("dr @ Wxr.T", da_r @ Wx[:, H:2 * H].T),
                  ("dt @ Wx.T", da_h @ Wx[:, 2 * H:].T)]}


Forward = Callable[[np.ndarray, tuple[np.ndarray, ...], Arrays, tuple[int, ...]], Arrays]
Backward = Callable[[Arrays, Arrays, tuple[np.ndarray, ...], Arrays, tuple[int, ...]], Grads]
#: a gradient's additive paths through the cell, named: dh_prev and dx as sums (`rnn_shares.some_paths_alone`)
Paths = Callable[[Arrays, Arrays, tuple[np.ndarray, ...], Arrays, tuple[int, ...]],
                 dict[str, list[tuple[str, np.ndarray]]]]


@dataclass(frozen=True)
class Cell:
    """A recurrent cell as the reading needs it: its forward's arrays, its backward from derivative factors,
    where it applies activations, its state (h, or h and c) and its published gate orders."""

    forward: Forward
    backward: Backward
    sites: tuple[Site, ...]
    states: tuple[str, ...]  # "prev_h", "prev_c": the step's state arguments, in order
    orders: tuple[tuple[int, ...], ...] = ((0,),)
    paths: Paths | None = None

    def factors(self, arr: Arrays, hypothesis: Hypothesis | None = None) -> Arrays:
        F = {s.pre: s.factor("post", arr[s.post]) for s in self.sites}
        if hypothesis is not None:
            for site, name in zip(hypothesis.sites, hypothesis.arrays):
                F[site.pre] = site.factor(hypothesis.form, arr[name])
        return F


RNN = Cell(rnn_forward, rnn_backward, RNN_SITES, ("prev_h",))
LSTM = Cell(lstm_forward, lstm_backward, LSTM_SITES, ("prev_h", "prev_c"), LSTM_ORDERS)
GRU = Cell(gru_forward, gru_backward, GRU_SITES, ("prev_h",), paths=gru_paths)
