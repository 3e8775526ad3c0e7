"""deeplearning.ai's pooling, channels last: `pool_forward(A_prev, hparameters, mode="max") -> (A, cache)` and
`pool_backward(dA, cache, mode="max") -> dA_prev` (Course 4, "Convolutional Neural Networks: Step by Step").

A_prev (m, n_H_prev, n_W_prev, n_C), hparameters {"f", "stride"}, square f × f windows, no padding. `mode` picks
max or average pooling; each string both functions compare it with is checked as its own layer, `pool[max]` and
`pool[average]` (`gradlab.conventions.activation_strings`), and the grader accepts either pooling as the forward
(which one a string means is the course's, not gradlab's, to say). Strides below f make windows overlap, where
gradients must accumulate; max-pool ties are kinks the checker skips. The course's helpers
(`create_mask_from_window`, `distribute_value`) are not layers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import distinct_sizes, values


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, H, W_, C = spec["N"], spec["H"], spec["W"], spec["C"]
    return Case(values(rng, (N, H, W_, C), spec), None, {}, {"f": spec["f"], "stride": spec["stride"]}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    f = draw(st.integers(1, 3))
    # a stride below the window's size makes windows overlap: gradients must accumulate there
    stride = draw(st.integers(1, f))
    out_h, out_w = draw(distinct_sizes(2, low=1, high=3))
    return {"H": (out_h - 1) * stride + f, "W": (out_w - 1) * stride + f, "C": draw(st.integers(1, 2)), "f": f,
            "stride": stride}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"H": 4, "W": 6, "C": 2, "f": 2, "stride": 2}


def forward_candidates(case: Case) -> list[np.ndarray]:
    """Max pooling, then average pooling, over the case's windows."""
    x, f, stride = case.x, case.hyper["f"], case.hyper["stride"]
    n_h, n_w = (x.shape[1] - f) // stride + 1, (x.shape[2] - f) // stride + 1
    windows = np.stack([x[:, i * stride:i * stride + f, j * stride:j * stride + f, :]
                        for i in range(n_h) for j in range(n_w)], axis=1)
    shape = (x.shape[0], n_h, n_w, x.shape[3])
    return [windows.max(axis=(2, 3)).reshape(shape), windows.mean(axis=(2, 3)).reshape(shape)]


KIND = Kind(
    "pool_channels_last", (), build, draw_shape, batch_spec,
    # the course's stem, taken only with the course's dict (convention_names.kind_for_pair): a learner's
    # pool_forward(x, pool_param) or pool_forward(X, size=2) is some other pooling
    course_stems={"pool": {}}, param_dict="hparameters", param_dict_keys={"f": "f", "stride": "stride"},
    hyper_args=("f", "stride"), forward_candidates=forward_candidates,
)
