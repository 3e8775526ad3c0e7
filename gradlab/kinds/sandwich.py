"""What CS231n's sandwich layers (`layer_utils.py`: affine-relu, conv-relu-pool, ...) share: the parts
of a case their inner layers take, drawn as the inner kinds draw them.

A sandwich is checked as one layer: its gradients must be those of the composed forward; its inner
normalisation's forward law is read on the outputs its ReLU lets through, given the normalisation's input
computed here (`affine_of`, `conv_of`). Non-goal: checking the inner layers one by one (each is its own kind).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, OptionalInput, Spec
from gradlab.kinds.common import distinct_sizes, values

#: CS231n's conv_param / pool_param keys, from the case's hyper-parameters
CONV_KEYS = {"stride": "stride", "pad": "pad"}
POOL_KEYS = {"pool_height": "pool", "pool_width": "pool", "stride": "pool"}


def affine_arrays(spec: Spec, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """x (N, D), or (N, *in_shape) where the spec has one (CS231n's affine_forward flattens each sample's axes), and
    W (D, M), b (M,); b shifts the pre-activations so that a ReLU keeps some and drops some."""
    N, D, M = spec["N"], spec["D"], spec["M"]
    x = values(rng, (N, *spec.get("in_shape", (D,))), spec)
    W = rng.standard_normal((D, M)) / np.sqrt(D)
    return x, {"W": W, "b": 0.3 * rng.standard_normal((M,))}


def draw_affine(draw: Draw, *, images: bool = False) -> Spec:
    """D != M (a square W hides a transposed dW). With `images`, x is drawn (N, C, H, W) half the time, as the affine
    kind draws it (shrinking goes to the plain (N, D)): a sandwich must flatten it and reshape dx back."""
    D, M = draw(distinct_sizes(2, low=2, high=6))
    if not images or not draw(st.booleans()):
        return {"D": D, "M": M}
    in_shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(2, 3)))
    D = int(np.prod(in_shape))
    return {"D": D, "M": M + 1 if D == M else M, "in_shape": in_shape}


#: an affine sandwich probed once on images: one whose forward refuses them is checked on (N, D), with no note (its
#: affine_forward, a kind of its own, is told so where it is checked; a learner's AffineRelu class for vectors is
#: theirs to write so), and one whose forward takes them must give dx back in their shape
IMAGES = OptionalInput(probe={"N": 2, "D": 6, "M": 4, "in_shape": (2, 1, 3), "seed": 0, "scale": 1.0}, output=(2, 4),
                       note="")


def conv_arrays(spec: Spec, rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """x (N, C, H, W), W (F, C, HH, WW), b (F,)."""
    N, C, H, W_, F, K = spec["N"], spec["C"], spec["H"], spec["W"], spec["F"], spec["K"]
    x = values(rng, (N, C, H, W_), spec)
    w = rng.standard_normal((F, C, K, K)) / np.sqrt(C * K * K)
    return x, {"W": w, "b": 0.3 * rng.standard_normal((F,))}


def draw_conv(draw: Draw, *, pool: int = 1) -> Spec:
    """A stride-1 convolution with a square K x K filter (K odd, pad (K - 1) / 2 or 0, as CS231n's
    networks use) whose output sides are multiples of `pool`; C != F and H != W."""
    C, F = draw(distinct_sizes(2, low=1, high=3))
    K = draw(st.sampled_from((1, 3)))
    pad = draw(st.sampled_from((0, (K - 1) // 2)))
    out_h, out_w = draw(distinct_sizes(2, low=1, high=2))
    H, W = out_h * pool + K - 1 - 2 * pad, out_w * pool + K - 1 - 2 * pad
    return {"C": C, "F": F, "K": K, "H": H, "W": W, "stride": 1, "pad": pad}


def conv_hyper(spec: Spec) -> dict[str, Any]:
    return {"stride": spec["stride"], "pad": spec["pad"]}


#: samples the inner normalisation's law is measured on in an affine sandwich
LAW_SAMPLES = 400


def affine_law_shape(case: Case) -> tuple[int, ...]:
    return (LAW_SAMPLES, int(case.params["W"].shape[0]))


def affine_of(case: Case, x: np.ndarray) -> np.ndarray:
    """x @ W + b with the case's parameters: what the inner normalisation of an affine sandwich is given."""
    return x.reshape(x.shape[0], -1) @ case.params["W"] + case.params["b"]


def conv_of(case: Case, x: np.ndarray) -> np.ndarray:
    """The stride-1 convolution of x with the case's W and b (padded by its pad): the inner normalisation's
    input in a conv sandwich."""
    w, pad = case.params["W"], int(case.hyper["pad"])
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, w.shape[2:], axis=(2, 3))
    return np.einsum("nchwij,fcij->nfhw", windows, w) + case.params["b"].reshape(1, -1, 1, 1)


def norm_arrays(rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
    return {"gamma": 1.0 + 0.5 * rng.standard_normal((size,)), "beta": rng.standard_normal((size,))}
