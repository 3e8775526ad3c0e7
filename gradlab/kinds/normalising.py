"""What the normalisation kinds share (layer, spatial batch and group norm): the normalised output
under each epsilon courses use, over the axes a kind normalises.

Non-goal: anything about one kind in particular (its own module says which axes, which shapes).
"""

from __future__ import annotations

import numpy as np

#: epsilons courses use; the reference's first
EPSILONS = (1e-5, 1e-7, 1e-8, 1e-6, 1e-4, 1e-3, 0.0)


def normalised(x: np.ndarray, axes: tuple[int, ...], gamma: np.ndarray, beta: np.ndarray) -> list[np.ndarray]:
    """γ·(x − mean)/sqrt(var + eps) + β, the mean and variance over `axes`, for each of `EPSILONS`."""
    mu, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return [gamma * (x - mu) / np.sqrt(var + eps) + beta for eps in EPSILONS]
