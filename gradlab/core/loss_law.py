"""A law every loss over a batch obeys: the batch's loss is a mean (or the sum) of its samples' losses.

A loss normalised over the wrong axis (a softmax over the batch axis, `exp / exp.sum(axis=0)`) couples the
samples: one sample's loss depends on the others. When its backward is the exact derivative of that wrong loss,
every gradient check passes; when it is not, the gradient's error reads as a dropped term. Either way the loss
itself says it: asked for each sample alone, a loss that treats samples on their own gives losses whose mean (a
mean loss, the usual) or sum (a summed loss) is the batch's loss, whatever the kind (softmax, SVM, cross-entropy,
squared error; a linear classifier's regularisation is the same for every sample, so it passes through the mean).
`gradlab.core.check` asks it of every deterministic loss before its own forward; it fails `couples-samples`.
Non-goals: stochastic losses (negative sampling draws new negatives at each call), labels the law cannot split
by sample (a dict), and losses that cannot be called on one sample (that is not a bug: said nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["batch_loss_law"]

#: relative agreement of the batch's loss with its samples' mean or sum, by the precision the loss computes in
RTOL = {np.dtype(np.float64): 1e-7, np.dtype(np.float32): 1e-4}
#: at most this many samples are asked alone (one forward each)
MAX_SAMPLES = 16


def batch_loss_law(forward: Callable[[np.ndarray, Any], Any], x: np.ndarray, t: Any) -> tuple[str, str] | None:
    """("couples-samples", why) when the loss of the batch `x` (labels `t`) is neither the mean nor the sum of
    its samples' losses, each asked alone; None when it is, or when the question cannot be asked."""
    N = x.shape[0] if x.ndim else 0
    if N == 1 and np.issubdtype(x.dtype, np.floating):
        # one sample says nothing of coupling: an unlike second joins it (its features reversed, halved, moved),
        # with the same labels
        other = 0.3 - 0.5 * np.flip(x, axis=-1)
        x, t, N = np.concatenate([x, other.astype(x.dtype)]), _twice(t), 2
    if not 2 <= N <= MAX_SAMPLES or t is None:
        return None
    try:
        with np.errstate(all="ignore"):
            whole, dtype = _scalar(forward(x.copy(), _copy(t)))
            alone = []
            for i in range(N):
                ti = _sample(t, i, N)
                if ti is None:
                    return None
                alone.append(_scalar(forward(x[i:i + 1].copy(), ti))[0])
    except Exception:  # noqa: BLE001 - a loss that cannot take one sample says nothing here
        return None
    if whole is None or any(a is None for a in alone):
        return None
    parts = np.array(alone, dtype=np.float64)
    rtol = RTOL.get(dtype, 1e-4)
    total = float(parts.sum())
    scale = max(abs(whole), float(np.abs(parts).max(initial=0.0)), 1e-300)
    # a mean may weigh the samples (a loss over the valid time steps of all samples, masked ones left out): any
    # weighted mean lies between the smallest and the largest sample's loss
    low, high = float(parts.min()), float(parts.max())
    if low - rtol * scale <= whole <= high + rtol * scale or abs(whole - total) <= rtol * N * scale:
        return None
    if _sum_with_one_penalty(forward, x, t, whole, total, N, rtol * N * scale):
        return None
    return ("couples-samples", f"the loss of a batch of {N} samples is {whole:.6g}, but the {N} samples' losses, each "
            f"computed alone, lie between {low:.6g} and {high:.6g} (sum {total:.6g}), and a mean of them cannot be "
            "outside: one sample's loss depends on the other samples (a softmax or a normalisation over the batch "
            "axis, axis 0, where each row belongs on its own)")


def _sum_with_one_penalty(forward: Callable[[np.ndarray, Any], Any], x: np.ndarray, t: Any, whole: float,
                         total: float, N: int, atol: float) -> bool:
    """Whether the loss is a sum over samples plus one penalty the batch shares (a linear classifier's summed
    loss + reg * ||W||^2: each sample asked alone carries the whole penalty, so the batch's loss is the samples'
    sum less N - 1 penalties). The penalty that would be is read from the two, and the batch given twice over must
    then cost twice its samples' sum plus one penalty."""
    penalty = (total - whole) / (N - 1)
    doubled = _twice_over(t, N)
    if penalty <= 0 or doubled is None:
        return False
    try:
        with np.errstate(all="ignore"):
            twice, _ = _scalar(forward(np.concatenate([x, x]), doubled))
    except Exception:  # noqa: BLE001 - a loss that cannot take the batch twice says nothing here
        return False
    return twice is not None and abs(twice - (2 * (total - N * penalty) + penalty)) <= 2 * atol


def _twice_over(t: Any, N: int) -> Any:
    """Labels of a batch of N given twice over (its N rows, then the same N again); None if they cannot be."""
    if isinstance(t, np.ndarray):
        return np.concatenate([t, t]) if t.ndim and t.shape[0] == N else None
    if isinstance(t, tuple):
        parts = [_twice_over(v, N) for v in t]
        return None if any(p is None for p in parts) else tuple(parts)
    return None


def _scalar(out: Any) -> tuple[float | None, np.dtype | None]:
    try:
        a = np.asarray(out)
    except Exception:  # noqa: BLE001 - not a number: the forward step reports what it returned
        return None, None
    if a.size != 1 or not np.issubdtype(a.dtype, np.number):
        return None, None
    v = float(a.reshape(-1)[0])
    return (v, a.dtype) if np.isfinite(v) else (None, None)


def _copy(t: Any) -> Any:
    if isinstance(t, np.ndarray):
        return t.copy()
    if isinstance(t, tuple):
        return tuple(_copy(v) for v in t)
    return t


def _twice(t: Any) -> Any:
    """Labels for the batch of one sample and its second: each array of one row repeated; None if not so."""
    if isinstance(t, np.ndarray) and t.ndim and t.shape[0] == 1:
        return np.concatenate([t, t])
    if isinstance(t, tuple):
        parts = [_twice(v) for v in t]
        return None if any(p is None for p in parts) else tuple(parts)
    return None


def _sample(t: Any, i: int, N: int) -> Any:
    """Sample i's labels: the first axis of an array of N rows; each item of a tuple; None if it cannot be split."""
    if isinstance(t, np.ndarray):
        return t[i:i + 1].copy() if t.ndim and t.shape[0] == N else None
    if isinstance(t, tuple):
        parts = [_sample(v, i, N) for v in t]
        return None if any(p is None for p in parts) else tuple(parts)
    return None
