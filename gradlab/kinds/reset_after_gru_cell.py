"""The GRU in PyTorch's equations as the recurrent readings need it (`gradlab.kinds.recurrent_cells`): the reset
gate applied to the candidate's hidden term after its weight, n = tanh(x @ Wxn + bxn + r * (h @ Whn + bhn)), and
next_h = (1 - z) * n + z * h (Keras calls it `reset_after`). The textbook's GRU applies r to h before Whh and
weighs the candidate with z, not 1 - z: a reading built on one says nothing about the other, so each cell is its
own, and a kind offers both where both are written (`gradlab.kinds.recurrent_backward.WrongInput.others`).

Two layouts: packed, Wx (D, 3H), Wh (H, 3H), b (3H,) added on the input side (and bh on the hidden side, when
given), the three gates side by side in any order (PyTorch packs r, z, n; CS231n-style and Keras code z, r, n);
and a weight per gate, CMU 11-785's GRUCell: Wrx, Wzx, Wnx (H, D), Wrh, Wzh, Wnh (H, H), biases brx ... bnh.
The backward gives the gradients under the layout's own names, and the additive paths of dprev_h (four) and dx
(three) for `gradlab.kinds.rnn_shares.some_paths_alone`.
"""

from __future__ import annotations

from itertools import permutations

import numpy as np

from gradlab.kinds.recurrent_cells import Arrays, Cell, Grads, Site, sigmoid

GATES = "rzn"
#: where each of r, z, n sits in the packed 3H columns: every packing (the per-gate layout ignores it)
ORDERS = tuple(permutations(range(3)))
LAW_N = "n = tanh(x @ Wxn + bxn + r * (prev_h @ Whn + bhn))"
LAW_H = "next_h = (1 - z) * n + z * prev_h"

SITES = (Site(sigmoid, "a_r", "r", "the reset gate's sigmoid"),
         Site(sigmoid, "a_z", "z", "the update gate's sigmoid"),
         Site(np.tanh, "a_n", "n", "the candidate n's tanh"),
         Site(None, "dn", "1 - z", "the candidate n's gradient", LAW_H),
         Site(None, "dprev_h_z", "z", "dprev_h's direct path", LAW_H),
         Site(None, "dr", "hn", "the reset gate's gradient", LAW_N),
         Site(None, "dhn", "r", "the candidate's hidden term's gradient", LAW_N),
         Site(None, "Wh_reads", "prev_h", "dWh's product", "a_h = prev_h @ Wh + bh, each gate's block"))


def _packed(p: Arrays, order: tuple[int, ...]) -> tuple[np.ndarray, ...]:
    """Wx, Wh, bx, bh packed in `order` (a per-gate layout is packed r, z, n whatever the order)."""
    if "Wrx" in p:
        return (np.hstack([p[f"W{g}x"].T for g in GATES]), np.hstack([p[f"W{g}h"].T for g in GATES]),
                np.concatenate([p[f"b{g}x"] for g in GATES]), np.concatenate([p[f"b{g}h"] for g in GATES]))
    zero = np.zeros(p["Wh"].shape[1])
    return p["Wx"], p["Wh"], p.get("b", zero), p.get("bh", zero)


def _position(p: Arrays, order: tuple[int, ...]) -> dict[str, int]:
    return dict(zip(GATES, (0, 1, 2) if "Wrx" in p else order))


def _block(a: np.ndarray, k: int) -> np.ndarray:
    H = a.shape[-1] // 3
    return a[..., k * H:(k + 1) * H]


def forward(x: np.ndarray, state: tuple[np.ndarray, ...], p: Arrays, order: tuple[int, ...]) -> Arrays:
    h = state[0]
    Wx, Wh, bx, bh = _packed(p, order)
    at = _position(p, order)
    ax, ah = x @ Wx + bx, h @ Wh + bh
    arr = {"x": x, "prev_h": h, "a_r": _block(ax, at["r"]) + _block(ah, at["r"]),
           "a_z": _block(ax, at["z"]) + _block(ah, at["z"]), "hn": _block(ah, at["n"])}
    arr.update(r=sigmoid(arr["a_r"]), z=sigmoid(arr["a_z"]))
    arr["1 - z"] = 1 - arr["z"]
    arr["a_n"] = _block(ax, at["n"]) + arr["r"] * arr["hn"]
    arr["n"] = np.tanh(arr["a_n"])
    arr["next_h"] = arr["1 - z"] * arr["n"] + arr["z"] * h
    return arr


def _gate_grads(arr: Arrays, F: Arrays, dh: np.ndarray) -> dict[str, np.ndarray]:
    """The pre-activation gradients: of r, z and n on the input side, and the candidate's hidden term's."""
    da_n = dh * F["dn"] * F["a_n"]
    return {"r": da_n * F["dr"] * F["a_r"], "z": dh * (arr["prev_h"] - arr["n"]) * F["a_z"], "n": da_n,
            "hn": da_n * F["dhn"]}


def _packs(d: dict[str, np.ndarray], at: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """The input side's and the hidden side's pre-activation gradients, packed as the weights are."""
    by_x, by_h = {at[g]: d[g] for g in GATES}, {at[g]: d["hn" if g == "n" else g] for g in GATES}
    return np.hstack([by_x[k] for k in range(3)]), np.hstack([by_h[k] for k in range(3)])


def backward(arr: Arrays, F: Arrays, up: tuple[np.ndarray, ...], p: Arrays, order: tuple[int, ...]) -> Grads:
    Wx, Wh, _, _ = _packed(p, order)
    at = _position(p, order)
    dax, dah = _packs(_gate_grads(arr, F, up[0]), at)
    grads = {"x": dax @ Wx.T, "prev_h": up[0] * F["dprev_h_z"] + dah @ Wh.T}
    if "Wrx" not in p:
        return {**grads, "Wx": arr["x"].T @ dax, "Wh": F["Wh_reads"].T @ dah, "b": dax.sum(axis=0),
                "bh": dah.sum(axis=0)}
    for g in GATES:
        gx, gh = _block(dax, at[g]), _block(dah, at[g])
        grads.update({f"W{g}x": gx.T @ arr["x"], f"W{g}h": gh.T @ F["Wh_reads"], f"b{g}x": gx.sum(axis=0),
                      f"b{g}h": gh.sum(axis=0)})
    return grads


def paths(arr: Arrays, F: Arrays, up: tuple[np.ndarray, ...], p: Arrays,
          order: tuple[int, ...]) -> dict[str, list[tuple[str, np.ndarray]]]:
    """dprev_h's four paths and dx's three, each named as code of this form writes it."""
    Wx, Wh, _, _ = _packed(p, order)
    at = _position(p, order)
    d = _gate_grads(arr, F, up[0])
    return {"prev_h": [("dh_next * z", up[0] * F["dprev_h_z"]),
                       ("dhn @ Whn.T", d["hn"] @ _block(Wh, at["n"]).T),
                       ("dz @ Whz.T", d["z"] @ _block(Wh, at["z"]).T),
                       ("dr @ Whr.T", d["r"] @ _block(Wh, at["r"]).T)],
            "x": [(f"d{g} @ Wx{g}.T", d[g] @ _block(Wx, at[g]).T) for g in "zrn"]}


CELL = Cell(forward, backward, SITES, ("prev_h",), ORDERS, paths)
