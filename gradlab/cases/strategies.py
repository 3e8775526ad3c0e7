"""Hypothesis strategies for layer test cases: shapes that catch bugs, values that are reproducible.

A strategy here draws a *spec*: the batch size, feature sizes, labels encoding, hyper-parameters,
an input scale and a seed. `gradlab.kinds.build_case` turns a spec into float64 arrays, so a
failing case is reproducible from its spec alone and hypothesis shrinks shapes (and the seed and
scale) to the smallest case that still fails.

Choices that matter: N ≥ 1 with N > 1 drawn early (N = 1 hides a missing 1/N); feature sizes that
differ from each other (square matrices hide transposes); both label encodings; conv/pool
hyper-parameters that fit, including overlapping pool windows (stride < pool size).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from gradlab.kinds import KINDS, Case, Kind, build_case

#: input scales: ordinary first (shrinking goes there), then small and large but valid
SCALES = (1.0, 0.01, 30.0)


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


@st.composite
def specs(draw: Any, kind: Kind | str, *, convention: str = "class", max_batch: int = 5,
          flat_input: bool = False) -> dict[str, Any]:
    """A spec for one test case of `kind` (a `gradlab.kinds` name or object).

    `flat_input=True` keeps an affine layer's input 2-D (for layers written for (N, D) only).
    """
    if isinstance(kind, str):
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; known kinds: {', '.join(sorted(KINDS))}")
        kind = KINDS[kind]
    min_n = kind.min_batch
    spec: dict[str, Any] = {"N": draw(batch_sizes(min_size=min_n, max_size=max(max_batch, min_n)))}
    name = kind.name
    if name == "affine":
        D, M = draw(distinct_sizes(2, low=1, high=7))
        # shrinking goes towards the plain 2-D input; 4-D stays only when the failure needs it
        if flat_input or not draw(st.booleans()):
            spec["in_shape"] = (D,)
        else:  # a 4-D input that the layer must flatten and whose dx it must reshape back
            spec["in_shape"] = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(2, 3)))
        spec["out"] = M
    elif name in ("softmax_with_loss", "svm_loss"):
        spec["C"] = draw(st.integers(2, 6))
        spec["labels"] = "index" if convention == "function" else draw(st.sampled_from(("onehot", "index")))
    elif name == "softmax":
        spec["shape"] = (draw(st.integers(2, 6)),)
    elif name == "batchnorm":
        spec["D"] = draw(st.integers(1, 6))
    elif name == "conv":
        spec.update(_conv_geometry(draw))
    elif name == "max_pool":
        spec.update(_pool_geometry(draw))
    elif name == "embedding":
        spec.update(V=draw(st.integers(2, 5)), D=draw(st.integers(1, 4)), T=draw(st.integers(1, 4)))
    elif name == "dropout":
        spec["shape"] = (draw(st.integers(1, 6)),)
        spec["ratio"] = draw(st.sampled_from((0.5, 0.2, 0.8)))
    else:  # elementwise layers and the MSE loss
        spec["shape"] = draw(st.sampled_from(((3,), (4,), (2, 3), (5,))))
    if kind.is_loss:  # logits of magnitude 1000 are a fixed case of their own (see runner)
        spec["scale"] = draw(st.sampled_from((1.0, 0.1)))
    elif name != "embedding":
        spec["scale"] = draw(st.sampled_from(SCALES))
    spec["seed"] = draw(st.integers(0, 2**31 - 1))
    return spec


def _conv_geometry(draw: Any) -> dict[str, Any]:
    C, F = draw(distinct_sizes(2, low=1, high=3))
    HH, WW = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride, pad = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    out_h, out_w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    # sizes chosen so the windows fit exactly: H + 2*pad - HH is a multiple of stride
    H = (out_h - 1) * stride + HH - 2 * pad
    W = (out_w - 1) * stride + WW - 2 * pad
    if H < 1 or W < 1 or pad >= max(HH, WW):
        pad = 0
        H, W = (out_h - 1) * stride + HH, (out_w - 1) * stride + WW
    return {"C": C, "H": H, "W": W, "F": F, "HH": HH, "WW": WW, "stride": stride, "pad": pad}


def _pool_geometry(draw: Any) -> dict[str, Any]:
    pool_h, pool_w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    # stride below the pool size makes windows overlap: gradients must accumulate there
    stride = draw(st.integers(1, max(pool_h, pool_w)))
    out_h, out_w = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return {"C": draw(st.integers(1, 2)), "H": (out_h - 1) * stride + pool_h, "W": (out_w - 1) * stride + pool_w,
            "pool_h": pool_h, "pool_w": pool_w, "stride": stride, "pad": 0}


def cases(kind: Kind | str, *, convention: str = "class", max_batch: int = 5,
          flat_input: bool = False) -> st.SearchStrategy[Case]:
    """Concrete float64 test cases of `kind` (arrays built from a drawn spec)."""
    k = KINDS[kind] if isinstance(kind, str) else kind
    return specs(k, convention=convention, max_batch=max_batch, flat_input=flat_input).map(lambda s: build_case(k, s))
