"""What the kind modules share: value builders and the shape-drawing helpers they draw sizes with.

Values are normal draws times the spec's scale from a seeded generator, so a case is reproducible
from its spec alone. Sizes are drawn by hypothesis, which shrinks a failure towards small shapes.
Non-goal: anything about one kind in particular (that is its own module).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Spec

#: input scales: ordinary first (shrinking goes there), then small and large but valid
SCALES = (1.0, 0.01, 30.0)
#: loss layers: logits of magnitude 1000 are a fixed extreme case of their own
LOSS_SCALES = (1.0, 0.1)
#: the shapes an element-wise layer is drawn with
ELEMENTWISE_SHAPES = ((3,), (4,), (2, 3), (5,))


def values(rng: np.random.Generator, shape: tuple[int, ...], spec: Spec) -> np.ndarray:
    """Generic inputs: normal values times the spec's scale, away from exact zeros and ties."""
    return rng.standard_normal(shape) * float(spec.get("scale", 1.0))


def labels(rng: np.random.Generator, N: int, C: int, encoding: str) -> np.ndarray:
    """N class labels among C, as indices `(N,)` or one-hot `(N, C)`."""
    idx = rng.integers(0, C, size=N)
    return idx if encoding == "index" else np.eye(C)[idx]


def batch_sizes(*, min_size: int = 1, max_size: int = 5) -> st.SearchStrategy[int]:
    """N in [min_size, max_size]. Hypothesis draws N > 1 within the first few cases and shrinks a
    failure towards N = 1, so "fails with N=2, passes with N=1" shows when the 1/N is the bug."""
    _positive("min_size", min_size)
    if max_size < min_size:
        raise ValueError(f"max_size={max_size} is below min_size={min_size}; pass max_size >= min_size")
    return st.integers(min_size, max_size)


def distinct_sizes(count: int, *, low: int = 1, high: int = 6) -> st.SearchStrategy[tuple[int, ...]]:
    """`count` feature sizes that all differ (so no matrix is square by accident)."""
    _positive("count", count)
    if high - low + 1 < count:
        raise ValueError(f"cannot draw {count} distinct sizes from [{low}, {high}]; widen the range")
    return st.lists(st.integers(low, high), min_size=count, max_size=count, unique=True).map(tuple)


def _positive(name: str, value: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def elementwise_case(spec: Spec, rng: np.random.Generator) -> Case:
    """x of shape (N, *spec['shape']) (plus the spec's offset, for an extreme case), no parameters."""
    x = values(rng, (spec["N"], *spec["shape"]), spec) + float(spec.get("offset", 0.0))
    return Case(x, None, {}, dict(spec.get("hyper", {})), spec)


def exp_overflow_extremes(convention: str) -> list[Spec]:
    """Inputs of both signs beyond 709, where exp overflows (seed 7 draws 1340, -992, -891 among smaller ones): an
    activation written with exp of its input where a stable form exists (tanh as (e^x - e^-x) / (e^x + e^-x),
    softplus as log(1 + e^x), sigmoid as e^x / (1 + e^x)) turns inf or NaN there, as a softmax without its row
    maximum subtracted does on logits near 1000; np.tanh, 1 / (1 + np.exp(-x)) and np.logaddexp(0, x) stay
    finite. Finiteness only, as the losses' logits of magnitude 1000 are."""
    return [{"N": 2, "shape": (4,), "scale": 1000.0, "seed": 7}]


def logits_near_1000(convention: str) -> list[Spec]:
    """A softmax's input near 1000, close together: exp overflows unless the row maximum is subtracted.
    Finiteness only."""
    return [{"N": 2, "shape": (4,), "scale": 1.0, "offset": 1000.0, "seed": 7}]


def draw_elementwise_shape(draw: Draw, *, flat_input: bool = False, **_: Any) -> Spec:
    """A feature shape; one axis only with `flat_input` (2-D inputs (N, D), as the column layout needs)."""
    shapes = tuple(s for s in ELEMENTWISE_SHAPES if len(s) == 1) if flat_input else ELEMENTWISE_SHAPES
    return {"shape": draw(st.sampled_from(shapes))}


def elementwise_batch_spec(convention: str) -> Spec:
    return {"shape": (5,)}


def class_label_extremes(convention: str) -> list[Spec]:
    """Logits near 1000, close to each other: exp overflows unless the row maximum is subtracted, and
    a softmax that subtracts it stays finite (its probabilities do not round to 0, so even log(p)
    without a guard is finite: the case tests max-subtraction, not a log guard). Finiteness only."""
    return [{"N": 3, "C": 4, "labels": "index" if convention == "function" else "onehot", "scale": 1.0,
             "offset": 1000.0, "seed": 7}]


#: what a softmax loss that is inf where a probability underflows is told (`Kind.caution_specs`)
UNDERFLOW = ("the loss is not finite where the true class's probability underflows to 0 (its logit hundreds below the "
             "row's best): -log(p) of a softmax is inf there. Right on every other case; the log-softmax (x_y - max - "
             "log sum exp) or a guard, log(p + 1e-7) or np.clip(p, 1e-7, 1 - 1e-7), stays finite")


def probability_underflow_cautions(convention: str) -> list[tuple[Spec, str]]:
    """Logits spread over hundreds: seed 1 draws a first sample whose true class lies 850 below its best, so that
    class's probability underflows to exactly 0 and -log(p[y]) is inf, where the log-softmax, the textbook's and
    CS231n's log(p + 1e-7) and the nnfs book's clip stay finite (their value is off by the guard there, which training
    never reaches; only finiteness is asked). A caution, not an extreme case: CS231n's own provided softmax_loss of
    several years takes -log(p) unguarded, and it is the curriculum's correct layer (DESIGN.md: a correct layer is
    finite where its input is; this one is, wherever training goes)."""
    encoding = "index" if convention == "function" else "onehot"
    return [({"N": 3, "C": 4, "labels": encoding, "scale": 800.0, "seed": 1}, UNDERFLOW)]
