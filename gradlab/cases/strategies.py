"""Hypothesis strategies for layer test cases: shapes that catch bugs, values that are reproducible.

A strategy here draws a *spec*: the batch size, feature sizes, labels encoding, hyper-parameters,
an input scale and a seed. `gradlab.kinds.build_case` turns a spec into float64 arrays, so a
failing case is reproducible from its spec alone and hypothesis shrinks shapes (and the seed and
scale) to the smallest case that still fails.

Choices that matter: N ≥ 1 with N > 1 drawn early (N = 1 hides a missing 1/N); each kind's module
draws the rest (feature sizes that differ from each other, both label encodings, conv/pool
hyper-parameters that fit, overlapping pool windows).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from gradlab.kinds import KINDS, Kind
from gradlab.kinds.common import SCALES, batch_sizes, distinct_sizes

__all__ = ["SCALES", "batch_sizes", "distinct_sizes", "specs"]


@st.composite
def specs(draw: Any, kind: Kind | str, *, convention: str = "class", max_batch: int = 5,
          flat_input: bool = False) -> dict[str, Any]:
    """A spec for one test case of `kind` (a `gradlab.kinds` name or object).

    The batch size first (so N > 1 comes early), then the kind's own sizes and hyper-parameters
    (its `draw_shape`), an input scale and the seed. `flat_input=True` keeps an input that may be
    4-D (the textbook's Affine) 2-D, for layers written for (N, D) only.
    """
    if isinstance(kind, str):
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; known kinds: {', '.join(sorted(KINDS))}")
        kind = KINDS[kind]
    min_n = kind.min_batch
    spec: dict[str, Any] = {"N": draw(batch_sizes(min_size=min_n, max_size=max(max_batch, min_n)))}
    spec.update(kind.draw_shape(draw, convention=convention, flat_input=flat_input))
    if kind.scales:
        spec["scale"] = draw(st.sampled_from(kind.scales))
    spec["seed"] = draw(st.integers(0, 2**31 - 1))
    return spec
