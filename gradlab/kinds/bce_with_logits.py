"""Binary cross-entropy from logits: a sigmoid and its binary cross-entropy in one loss, averaged over N or over
every output.

Names: PyTorch's `BCEWithLogitsLoss` as learners write it (`forward(logits, y_true)`, `backward()` or
`backward(dout)`), a `SigmoidBinaryCrossEntropy`/`SigmoidBCE` class (one whose `backward(dvalues, y_true)` is given
the sigmoid's output that forward stored, as the nnfs book's softmax one is: `Kind.backward_takes_output`), and the
function `bce_with_logits(x, y) -> (loss, dx)`. Its gradient is (sigmoid(x) - t) / N, or / (N·D) for a mean over every
output. Logits are (N, D), targets 0/1 integers of the same shape; D is 1 (a binary classifier's one output) up
to 3 (multi-label).
Non-goal: the loss on probabilities (that is `binary_crossentropy`), the nnfs-style
`Activation_Sigmoid_Loss_BinaryCrossentropy` written for one output (`sigmoid_crossentropy_combined`), the second
volume's `SigmoidWithLoss` on (N,)
scores (`sigmoid_with_loss`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.binary_crossentropy import mean_over_elements
from gradlab.kinds.common import LOSS_SCALES, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    shape = (spec["N"], spec["D"])
    return Case(values(rng, shape, spec), rng.integers(0, 2, size=shape), {}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return {"D": draw(st.integers(1, 3))}


def batch_spec(convention: str) -> Spec:
    return {"D": 2}


def logits_for_probabilities(case: Case, name: str, analytic: np.ndarray, numeric: np.ndarray, output: Any,
                             **more: Any) -> tuple[str, str] | None:
    """dx = c·(x - t) where the true one is c·(sigmoid(x) - t): the logits where their sigmoid belongs, the
    derivative taken at the wrong array. Else the count a dx leaves out of the mean."""
    t = case.t
    if name == "x" and t is not None and t.shape == numeric.shape and np.any(numeric):
        true, slip = 1.0 / (1.0 + np.exp(-case.x)) - t, case.x - t
        c = float(np.sum(numeric * true) / max(float(np.sum(true * true)), 1e-300))
        norm = float(np.linalg.norm(numeric))
        if np.linalg.norm(c * true - numeric) <= 1e-6 * norm and np.linalg.norm(c * slip - analytic) <= 1e-6 * norm:
            return "wrong-input", ("dx is (x - t) where (sigmoid(x) - t) belongs: the logits are used where their "
                                   "sigmoid, the predicted probability, belongs")
    return mean_over_elements(case, name, analytic, numeric, output, **more)


def large_logits(convention: str) -> list[Spec]:
    """Logits of both signs from tens to hundreds (seed 7 at scale 400 draws 119, -110, -356 and -397 among smaller
    ones), where a stable loss, max(x, 0) - x·t + log(1 + exp(-|x|)) or np.logaddexp(0, x) - x·t, stays finite and
    one written as the binary cross-entropy of sigmoid(x) does not: sigmoid(x) rounds to 1 beyond x = 37 and
    underflows to 0 below -745, so log(1 - p) or log(p) is -inf and 0·(-inf) NaN. With logits that stability is the
    point of the loss (PyTorch documents BCEWithLogitsLoss as the stable form), so a non-finite loss there is its
    bug. Finiteness only."""
    return [{"N": 3, "D": 2, "scale": 400.0, "seed": 7}]


def forward_candidates(case: Case) -> list[np.ndarray]:
    """The mean over every output (PyTorch's), then the sum over a sample's outputs averaged over N."""
    assert case.t is not None
    x, t = case.x, case.t
    losses = np.logaddexp(0.0, x) - t * x
    return [np.asarray(losses.mean()), np.asarray(losses.sum() / case.N)]


KIND = Kind(
    "bce_with_logits", ("bcewithlogits", "binarycrossentropywithlogits", "sigmoidbinarycrossentropy", "sigmoidbce",
                        "sigmoidcrossentropy", "sigmoidcrossentropywithlogits"),
    build, draw_shape, batch_spec, loss_functions=("bce_with_logits", "binary_cross_entropy_with_logits"),
    is_loss=True, scales=LOSS_SCALES, forward_candidates=forward_candidates, explain=logits_for_probabilities,
    backward_takes_output=True, extreme_specs=large_logits,
)
