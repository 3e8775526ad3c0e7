"""A linear classifier's softmax (cross-entropy) loss and its gradient w.r.t. the weights (CS231n
assignment 1): `softmax_loss_naive(W, X, y, reg)` and `softmax_loss_vectorized(W, X, y, reg)` return
`(loss, dW)`. Cases, regularisation and the two published conventions as for `linear_svm`.
"""

from __future__ import annotations

import numpy as np

from gradlab.core.kind import Case, Kind
from gradlab.kinds import linear_svm
from gradlab.kinds.common import LOSS_SCALES


def forward_candidates(case: Case) -> list[np.ndarray]:
    """Cross-entropy of softmax(X @ W), averaged over the samples, under each regularisation."""
    assert case.t is not None
    scores = case.x @ case.params["W"]
    top = scores.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(scores - top).sum(axis=1)) + top[:, 0]
    return linear_svm.regularised(float(np.mean(log_z - scores[np.arange(case.N), case.t])), case)


KIND = Kind(
    "linear_softmax", (), linear_svm.build, linear_svm.draw_shape, linear_svm.batch_spec,
    loss_functions=("softmax_loss_naive", "softmax_loss_vectorized"), loss_args=("W", "x", "y", "reg"),
    params=("W",), is_loss=True, x_differentiable=False, scales=LOSS_SCALES, label_encodings=("index",),
    hyper_args=("reg",), forward_candidates=forward_candidates,
    explain=linear_svm.RegularisationReader(forward_candidates),
)
