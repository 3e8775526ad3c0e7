"""PReLU: x where x > 0 and α·x where x ≤ 0, its slope α learned, as a parameter with a gradient of its own.

Names: `PReLU`/`PRelu`/`ParametricReLU`, `prelu_forward(x, alpha)` → (out, cache) and `prelu_backward(dout,
cache)` → (dx, dalpha). Layers keep α in one of three forms, each right: one number for the whole layer (the
paper's channel-shared variant), one per feature of (N, D), or one per channel of (N, C, H, W). A layer is
probed with each (`ParameterForms`: one number, per channel, then per feature) and checked in the first it
runs with; its dα is the sum over every value α multiplies (the batch, and H and W for a channel). A layer
that keeps one α and a layer per feature that sums dα over every axis by mistake return the same number: the
form a layer runs with is taken as its intent. A slope per sample (α of x's whole shape, N included, as one
published `prelu_forward` documents it) is no parameter a network learns across batches: its dα, not summed over
the batch, is the wrong reduction, as the zoo's PReLUDalphaPerSample is.
The grader accepts the forward for the case's α, as the layer is given it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, ParameterForms, Spec
from gradlab.kinds.common import values

#: spec["alpha"]: one slope for every value, one per feature of (N, D), one per channel of (N, C, H, W)
ONE, FEATURE, CHANNEL = "one", "feature", "channel"
#: the per-channel form's images: C, H and W distinct, so that a (C,) slope broadcast against W crashes instead of
#: passing by accident (the form is probed and then checked on these, at every N and scale drawn)
CHANNEL_SHAPE = (3, 2, 5)
#: how close (relative, in norm) dalpha must be to a slip's formula to be read as that slip: it is computed exactly
#: so in float64, and to a float32 layer's rounding
SAME = 1e-5


def build(spec: Spec, rng: np.random.Generator) -> Case:
    """x of shape (N, *spec['shape']); alpha in (0.05, 0.6), away from 1 (where PReLU is the identity and dx
    cannot tell which side of 0 it read) and from 0 (a ReLU, whose dalpha still shows)."""
    x = values(rng, (spec["N"], *spec["shape"]), spec)
    size = {ONE: (), FEATURE: spec["shape"][:1], CHANNEL: spec["shape"][:1]}[spec["alpha"]]
    alpha = rng.uniform(0.05, 0.6, size=size)
    return Case(x, None, {"alpha": np.asarray(alpha, dtype=np.float64)}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    """A slope per feature of (N, D) unless the layer runs with another form (`ParameterForms` below)."""
    return {"alpha": FEATURE, "shape": (draw(st.integers(2, 6)),)}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run (and of the forms' probe)."""
    return {"alpha": FEATURE, "shape": (4,)}


def broadcast_alpha(alpha: np.ndarray, x: np.ndarray) -> np.ndarray:
    """alpha shaped to multiply x: a channel's slope over (N, C, H, W), a feature's over (N, D)."""
    return alpha.reshape(1, -1, *([1] * (x.ndim - 2))) if alpha.ndim == 1 else alpha


def summed_to_alpha(a: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """A product over x's shape summed over every value one slope multiplies: dalpha's reduction."""
    return np.sum(a) if alpha.ndim == 0 else np.sum(a, axis=(0, *range(2, a.ndim)))


def forward_candidates(case: Case) -> list[np.ndarray]:
    x = case.x
    return [np.where(x > 0, x, broadcast_alpha(case.params["alpha"], x) * x)]


@dataclass(frozen=True)
class SlopeReading:
    """`Kind.explain`: dalpha written with the wrong array or on the wrong side of 0. With one slope for the whole
    layer, dalpha is one number and the general diagnosis can only measure a factor (`scaled`, 1.1 times); the
    slips learners make have formulas of their own, tested here against the upstream gradient (`reads_upstream`):
    dout times x everywhere (alpha multiplies x only where x <= 0), times the output, or times x where x > 0."""

    reads_upstream: bool = True

    def __call__(self, case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray, out: np.ndarray,
                 upstream: np.ndarray | None = None) -> tuple[str, str] | None:
        if upstream is None or target != "alpha" or out.shape != case.x.shape:
            return None
        x, alpha = case.x, case.params["alpha"]
        right = "sum(dout * np.minimum(x, 0))"
        slips = (
            (upstream * x, "wrong-input", "the slope's gradient is the sum of dout * x over every value, where it "
             f"belongs over the values x <= 0 alone: alpha multiplies only those ({right})"),
            (upstream * out, "wrong-input", "the slope's gradient is the sum of dout * out, the output, where dout * "
             f"x belongs: d(alpha * x)/d(alpha) is x where x <= 0 ({right})"),
            (upstream * np.minimum(out, 0), "wrong-input", "the slope's gradient is the sum of dout * alpha * x, the "
             f"output where x <= 0, where dout * x belongs: d(alpha * x)/d(alpha) is x ({right})"),
            (upstream * np.maximum(x, 0), "misrouted", "the slope's gradient is the sum of dout * x where x > 0, "
             f"where alpha acts on x <= 0 alone: the mask is inverted ({right})"),
        )
        for product, code, sentence in slips:
            written = summed_to_alpha(product, alpha)
            if np.shape(written) == analytic.shape and np.any(written) and \
                    float(np.linalg.norm(analytic - written)) <= SAME * float(np.linalg.norm(written)):
                return code, sentence
        return None


def gradient_shapes(shape: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """One slope as (), (1,) or (1, 1); a channel's as (C,), (1, C, 1, 1) or (C, 1, 1); a feature's as (1, D)."""
    if shape == ():
        return ((), (1,), (1, 1))
    (n,) = shape
    return ((n,), (1, n), (1, n, 1, 1), (n, 1, 1))


def sizes(case: Case) -> dict[str, int]:
    """`PReLU(num_parameters)`: as many slopes as the case has. None in the one-slope form: a layer built from a
    number of slopes keeps one per feature or channel by construction, and built with 1 it would take the one-slope
    form, where a dalpha summed over every axis is right, and hide that slip of a layer meant per feature."""
    return {} if case.spec.get("alpha") == ONE else {"features": int(case.params["alpha"].size)}


KIND = Kind(
    "prelu", ("prelu", "parametricrelu", "parametricrectifiedlinearunit"), build, draw_shape, batch_spec,
    function_stems=("prelu",), params=("alpha",), forward_candidates=forward_candidates,
    gradient_shapes=gradient_shapes, sizes=sizes, explain=SlopeReading(),
    # one number first: a layer that updates itself returns its gradient as the change of its slope, and a single
    # slope's change spread over one per feature (alpha - lr * a_number) has the per-feature form's size
    parameter_forms=ParameterForms("alpha", ({"alpha": ONE}, {"alpha": CHANNEL, "shape": CHANNEL_SHAPE},
                                             {"alpha": FEATURE})),
)
