"""Dropout in training mode: each unit zeroed at random, the others kept (scaled or not).

Names: `Dropout(dropout_ratio)` (class, `forward(x, train_flg=True)`) and
`dropout_forward(x, dropout_param)` (function, `{"p", "mode": "train", "seed"}`). The mask is
random, so the adapters make every call draw the same one. The grader accepts each published
scaling (the textbook's `x * mask`, inverted dropout's `x * mask / keep`) and fails a forward that
never drops anything. The check asks the training mode's law (`forward_law`) and, where the layer has an evaluation
mode (`train_flg=False`, `"mode": "test"`), that both modes agree in expectation (`mode_law`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, ForwardCheck, Kind, Spec
from gradlab.core.tolerances import FORWARD_ATOL, FORWARD_RTOL
from gradlab.kinds.common import elementwise_case


def build(spec: Spec, rng: np.random.Generator) -> Case:
    case = elementwise_case(spec, rng)
    case.hyper = {"ratio": spec.get("ratio", 0.5), "seed": int(spec.get("seed", 0)) % (2**31)}
    return case


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return {"shape": (draw(st.integers(1, 6)),), "ratio": draw(st.sampled_from((0.5, 0.2, 0.8)))}


def forward_accepts(out: np.ndarray, case: Case) -> ForwardCheck:
    """Each output is 0 (dropped) or the input times one constant >= 1."""
    x = case.x
    if out.shape != x.shape:
        return ForwardCheck(False, f"forward returned shape {out.shape}, expected {x.shape}")
    kept = out != 0
    if not kept.any():
        return ForwardCheck(True, zeros=int(out.size), size=int(out.size))
    ratios = out[kept] / np.where(x[kept] == 0, 1.0, x[kept])
    c = float(np.median(ratios))
    if not (1.0 - 1e-9 <= c <= 1e3 and np.allclose(out[kept], c * x[kept], rtol=FORWARD_RTOL, atol=FORWARD_ATOL)):
        return ForwardCheck(False, "each output must be either 0 (dropped) or the input times one constant "
                                   "(1, or 1/keep-probability for inverted dropout)", int((~kept).sum()), int(out.size))
    return ForwardCheck(True, zeros=int((~kept).sum()), size=int(out.size))


#: units in the input the forward law is measured on: the kept fraction is then known to about 1%
LAW_UNITS = 4000


def forward_law(forward: Callable[[np.ndarray], np.ndarray], case: Case) -> tuple[str, str] | None:
    """The kept units scaled by 1 / the fraction kept (inverted dropout, whatever its ratio is called: keep
    or drop probability) or not at all (the textbook in training): the expected output is then the input
    (or the input times the keep ratio, the textbook's). Measured on LAW_UNITS units, to five standard
    errors of the kept fraction; a forward that drops all or nothing says nothing here."""
    x = 1.0 + np.random.default_rng(case.hyper.get("seed", 0)).random((LAW_UNITS // 8, 8))
    out = forward(x)
    if out.shape != x.shape:
        return None  # the shape is the other checks' to report
    kept = out != 0
    q = float(kept.mean())
    if q in (0.0, 1.0):
        return None
    s = float(np.median(out[kept] / x[kept]))
    if abs(s - 1.0) <= 1e-9 or abs(s * q - 1.0) <= 5.0 * s * np.sqrt(q * (1.0 - q) / x.size):
        return None
    return ("scaled", f"forward keeps {q:.0%} of the units but multiplies them by {s:.3g}: inverted dropout divides "
            f"the kept units by the fraction it keeps ({1.0 / q:.3g} here), whether its ratio names the keep or the "
            "drop probability; the textbook's dropout does not scale in training")


def mode_law(train: Callable[[np.ndarray], np.ndarray], evaluate: Callable[[np.ndarray], np.ndarray],
             case: Case) -> tuple[str, str] | None:
    """A unit's expected output in training is its output in evaluation mode: inverted dropout scales the kept
    units in training and passes x at test, the textbook's scales by the kept fraction at test. A dropout that
    scales in neither mode (nor in its backward) passes every gradient check and `forward_law`. Measured on
    LAW_UNITS units, to five standard errors of the kept fraction; a test mode that is not x times one constant
    (it still drops units) or a training mode that drops all or nothing says nothing here."""
    x = 1.0 + np.random.default_rng(case.hyper.get("seed", 0)).random((LAW_UNITS // 8, 8))
    out, test = train(x), evaluate(x)
    if out.shape != x.shape or test.shape != x.shape:
        return None
    kept = out != 0
    q = float(kept.mean())
    if q in (0.0, 1.0):
        return None
    s, c = float(np.median(out[kept] / x[kept])), float(np.median(test / x))
    if not np.allclose(test, c * x, rtol=FORWARD_RTOL, atol=FORWARD_ATOL):
        return None
    if abs(q * s - c) <= 5.0 * s * np.sqrt(q * (1.0 - q) / x.size) + 1e-9:
        return None
    return ("scaled", f"in training forward keeps {q:.0%} of the units and multiplies them by {s:.3g}, so a unit's "
            f"expected output is {q * s:.3g} x, but in evaluation mode it is {c:.3g} x: the two must agree. Inverted "
            f"dropout divides the kept units by the fraction kept in training ({1.0 / q:.3g} here) and passes x "
            f"unchanged at test; the textbook's dropout scales nothing in training and multiplies by the kept fraction "
            "at test")


def modeless_law(train: Callable[[np.ndarray], np.ndarray], case: Case) -> tuple[str, str] | None:
    """A dropout with no evaluation mode (nnfs's `Layer_Dropout.forward(inputs)`) is left out at test, or passes x:
    in training it must be inverted, a unit's expected output x (the kept units divided by the fraction kept)."""
    x = 1.0 + np.random.default_rng(case.hyper.get("seed", 0)).random((LAW_UNITS // 8, 8))
    out = train(x)
    if out.shape != x.shape:
        return None
    kept = out != 0
    q = float(kept.mean())
    if q in (0.0, 1.0):
        return None
    s = float(np.median(out[kept] / x[kept]))
    if abs(q * s - 1.0) <= 5.0 * s * np.sqrt(q * (1.0 - q) / x.size) + 1e-9:
        return None
    return ("scaled", f"forward keeps {q:.0%} of the units and multiplies them by {s:.3g}, so a unit's expected "
            f"output is {q * s:.3g} x; the layer has no evaluation mode, so at test time it is left out (or passes "
            f"x), and in training it must divide the kept units by the fraction kept ({1.0 / q:.3g} here: inverted "
            "dropout) for the two to agree")


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"shape": (5,), "ratio": 0.5}


KIND = Kind(
    "dropout", ("dropout", "timedropout"), build, draw_shape, batch_spec,
    function_stems=("dropout",), stochastic=True, param_dict="dropout_param",
    param_dict_keys={"p": "ratio", "seed": "seed"}, param_dict_fixed={"mode": "train"},
    hyper_args=("dropout_ratio",), forward_accepts=forward_accepts, must_drop=True, training_role="dropout",
    forward_law=forward_law, mode_law=mode_law, modeless_law=modeless_law,
)
