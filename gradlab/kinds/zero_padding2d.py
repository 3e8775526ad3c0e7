"""Zero padding over (N, C, H, W): `pad` zeros added on each side of H and W, (N, C, H + 2·pad, W + 2·pad).

Names: Keras' `ZeroPadding2D(padding)`, PyTorch's `ZeroPad2d(padding)`, `Pad`, `Padding`, `ZeroPad`, and
`zero_pad_forward(x, pad)` / `pad_forward` with backwards returning dx; the padding one number, or the pair (pad_h,
pad_w) for a layer that refuses one number (`PROBE`). No parameters; pad of 1 or 2 (pad 0 is the
identity, which hides a backward that crops the wrong border). H != W, so a crop whose axes are swapped shows.
Non-goal: deeplearning.ai's `zero_pad(X, pad)`, channels last and without a backward (a helper, not a layer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, OptionalInput, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, C, H, W_, p = spec["N"], spec["C"], spec["H"], spec["W"], spec["pad"]
    return Case(values(rng, (N, C, H, W_), spec), None, {}, {"pad": (p, p) if spec.get("pair") else p}, spec)


def draw_shape(draw: Draw, *, flat_input: bool = False, **_: Any) -> Spec:
    """`flat_input`: the layer refused one number for its padding (`PROBE`), so it is given the pair."""
    H, W_ = draw(distinct_sizes(2, low=1, high=4))
    return {"C": draw(st.integers(1, 2)), "H": H, "W": W_, "pad": draw(st.integers(1, 2)), "pair": flat_input}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"C": 2, "H": 2, "W": 3, "pad": 1}


def forward_candidates(case: Case) -> list[np.ndarray]:
    p = int(case.spec["pad"])
    return [np.pad(case.x, ((0, 0), (0, 0), (p, p), (p, p)))]


#: one number for the padding, as most layers take it; a layer that refuses it (ML-From-Scratch's ZeroPadding2D reads
#: padding[0] and padding[1]) is given the pair (pad_h, pad_w), Keras' other form, with no note: both are right
PROBE = OptionalInput(probe={"N": 2, "C": 1, "H": 2, "W": 3, "pad": 1, "seed": 0, "scale": 1.0}, output=(2, 1, 4, 5),
                      note="")


@dataclass(frozen=True)
class CropReading:
    """`Kind.explain`: a dx that is dout cropped at another offset than the border's (`dout[:, :, :H, :W]`, the
    top-left corner) is `misrouted`, the offset it was cropped at named. Needs the upstream gradient."""

    reads_upstream: bool = True

    def __call__(self, case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray, out: np.ndarray,
                 upstream: np.ndarray | None = None) -> tuple[str, str] | None:
        p = int(case.spec["pad"])
        if target != "x" or upstream is None or upstream.ndim != 4 or analytic.shape != case.x.shape:
            return None
        H, W_ = case.x.shape[2:]
        for i in range(2 * p + 1):
            for j in range(2 * p + 1):
                if (i, j) != (p, p) and np.allclose(analytic, upstream[:, :, i:i + H, j:j + W_], rtol=1e-7, atol=0):
                    lines = "row and column" if p == 1 else "rows and columns"
                    return ("misrouted", f"dx is dout cropped from row {i} and column {j}: the input sits {p} {lines} "
                            f"inside the padded output, so dx = dout[:, :, {p}:{p} + H, {p}:{p} + W]")
        return None


KIND = Kind(
    "zero_padding2d", ("zeropadding2d", "zeropadding", "zeropad2d", "zeropad", "pad", "padding", "pad2d", "padding2d",
                 "constantpad2d", "constantpadding2d", "constantpadding"),
    build, draw_shape, batch_spec,
    function_stems=("zero_pad", "zero_padding", "pad", "padding", "pad2d"), positional_hyper=("pad",),
    hyper_args=("pad",), forward_candidates=forward_candidates, explain=CropReading(),
    optional_input=PROBE,
)
